"""EuroSAT (RGB): folder names become the descriptive class names the prompts use."""
from dassl.data.datasets import DATASET_REGISTRY

from .split_dataset import FolderSplitDataset


@DATASET_REGISTRY.register()
class EuroSAT(FolderSplitDataset):
    dataset_dir = "eurosat"
    image_subdir = "2750"
    split_name = "EuroSAT"
    renamed_classes = {
        "AnnualCrop": "Annual Crop Land",
        "Forest": "Forest",
        "HerbaceousVegetation": "Herbaceous Vegetation Land",
        "Highway": "Highway or Road",
        "Industrial": "Industrial Buildings",
        "Pasture": "Pasture Land",
        "PermanentCrop": "Permanent Crop Land",
        "Residential": "Residential Buildings",
        "River": "River",
        "SeaLake": "Sea or Lake",
    }
