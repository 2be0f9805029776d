"""ImageNet-A: 200 wnid folders, labelled 0..199 by sorted folder name (not ImageNet's labels)."""
from dassl.data.datasets import DATASET_REGISTRY

from .imagenet_variant import ImageNetVariant


@DATASET_REGISTRY.register()
class ImageNetA(ImageNetVariant):
    dataset_dir = "imagenet-adversarial"
    image_subdirs = ("imagenet-a",)
