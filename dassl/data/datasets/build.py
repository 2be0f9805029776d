"""The dataset registry: readers register themselves by class name; configs pick one by DATASET.NAME."""
from dassl.config import check_config_choice
from dassl.utils import Registry

DATASET_REGISTRY = Registry("DATASET")


def build_dataset(cfg):
    check_config_choice("DATASET.NAME", cfg.DATASET.NAME, DATASET_REGISTRY.registered_names())
    if cfg.VERBOSE:
        print(f"Loading dataset: {cfg.DATASET.NAME}")
    return DATASET_REGISTRY.get(cfg.DATASET.NAME)(cfg)
