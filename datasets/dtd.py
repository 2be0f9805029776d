"""Describable Textures (DTD). Carries ``read_and_split_data`` as a static method, where the
original Caltech101, Food101 and EuroSAT readers call it."""
from dassl.data.datasets import DATASET_REGISTRY

from . import splits
from .split_dataset import FolderSplitDataset


@DATASET_REGISTRY.register()
class DescribableTextures(FolderSplitDataset):
    dataset_dir = "dtd"
    image_subdir = "images"
    split_name = "DescribableTextures"

    read_and_split_data = staticmethod(splits.read_and_split_data)
