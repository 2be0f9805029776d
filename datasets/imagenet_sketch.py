"""ImageNet-Sketch: 1000 wnid folders, labels equal to ImageNet's."""
from dassl.data.datasets import DATASET_REGISTRY

from .imagenet_variant import ImageNetVariant


@DATASET_REGISTRY.register()
class ImageNetSketch(ImageNetVariant):
    dataset_dir = "imagenet-sketch"
    image_subdirs = ("images", "sketch")
