"""Food-101."""
from dassl.data.datasets import DATASET_REGISTRY

from .split_dataset import FolderSplitDataset


@DATASET_REGISTRY.register()
class Food101(FolderSplitDataset):
    dataset_dir = "food-101"
    image_subdir = "images"
    split_name = "Food101"
