"""ImageNet-R: 200 wnid folders, labelled 0..199 by sorted folder name (not ImageNet's labels)."""
from dassl.data.datasets import DATASET_REGISTRY

from .imagenet_variant import ImageNetVariant


@DATASET_REGISTRY.register()
class ImageNetR(ImageNetVariant):
    dataset_dir = "imagenet-rendition"
    image_subdirs = ("imagenet-r",)
