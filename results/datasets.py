"""Dataset names as they appear in logs, config files and the papers' tables.

A log names a dataset by `DATASET.NAME` (e.g. `DescribableTextures`) and by its config file stem
(`dtd`); the papers print `DTD`. Tables use the paper name so ours and the published numbers line up.
"""

CONFIG_STEM_TO_NAME = {
    "imagenet": "ImageNet",
    "caltech101": "Caltech101",
    "oxford_pets": "OxfordPets",
    "stanford_cars": "StanfordCars",
    "oxford_flowers": "OxfordFlowers",
    "food101": "Food101",
    "fgvc_aircraft": "FGVCAircraft",
    "sun397": "SUN397",
    "dtd": "DescribableTextures",
    "eurosat": "EuroSAT",
    "ucf101": "UCF101",
    "imagenetv2": "ImageNetV2",
    "imagenet_sketch": "ImageNetSketch",
    "imagenet_a": "ImageNetA",
    "imagenet_r": "ImageNetR",
}

_PAPER_NAME_OF = {"OxfordFlowers": "Flowers102", "DescribableTextures": "DTD"}

BASE_TO_NOVEL = [
    "ImageNet", "Caltech101", "OxfordPets", "StanfordCars", "Flowers102", "Food101",
    "FGVCAircraft", "SUN397", "DTD", "EuroSAT", "UCF101",
]
CROSS_DATASET_SOURCE = "ImageNet"
CROSS_DATASET_TARGETS = BASE_TO_NOVEL[1:]
DOMAIN_GENERALIZATION_TARGETS = ["ImageNetV2", "ImageNetSketch", "ImageNetA", "ImageNetR"]


def paper_name(dataset_name):
    """Paper spelling of a `DATASET.NAME` (unknown names pass through unchanged)."""
    return _PAPER_NAME_OF.get(dataset_name, dataset_name)


def paper_name_of_config_stem(stem):
    """Paper spelling of a dataset config stem such as `oxford_flowers`, or None if unknown."""
    name = CONFIG_STEM_TO_NAME.get(stem)
    return paper_name(name) if name else None


def paper_order(names):
    """Sort dataset names in the papers' column order; unknown names follow alphabetically."""
    known = BASE_TO_NOVEL + DOMAIN_GENERALIZATION_TARGETS
    return sorted(names, key=lambda name: (known.index(name), "") if name in known else (len(known), name))
