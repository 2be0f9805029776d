"""Caltech-101: 100 object classes (the background and easy-faces folders are left out)."""
from dassl.data.datasets import DATASET_REGISTRY

from .split_dataset import FolderSplitDataset


@DATASET_REGISTRY.register()
class Caltech101(FolderSplitDataset):
    dataset_dir = "caltech-101"
    image_subdir = "101_ObjectCategories"
    split_name = "Caltech101"
    ignored_folders = ("BACKGROUND_Google", "Faces_easy")
    renamed_classes = {"airplanes": "airplane", "Faces": "face", "Leopards": "leopard", "Motorbikes": "motorbike"}
