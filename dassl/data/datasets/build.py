"""The dataset registry: readers register themselves by class name; configs pick one by DATASET.NAME."""
from dassl.config import ConfigError
from dassl.utils import Registry, check_availability

DATASET_REGISTRY = Registry("DATASET")


def build_dataset(cfg):
    available = DATASET_REGISTRY.registered_names()
    try:
        check_availability(cfg.DATASET.NAME, available)
    except ValueError as error:
        raise ConfigError(f"DATASET.NAME: {error}") from None
    if cfg.VERBOSE:
        print(f"Loading dataset: {cfg.DATASET.NAME}")
    return DATASET_REGISTRY.get(cfg.DATASET.NAME)(cfg)
