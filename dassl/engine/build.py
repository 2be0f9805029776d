from dassl.config import ConfigError
from dassl.utils import Registry, check_availability

TRAINER_REGISTRY = Registry("TRAINER")


def build_trainer(cfg):
    available = TRAINER_REGISTRY.registered_names()
    try:
        check_availability(cfg.TRAINER.NAME, available)
    except ValueError as error:
        raise ConfigError(f"TRAINER.NAME: {error}") from None
    if cfg.VERBOSE:
        print(f"Loading trainer: {cfg.TRAINER.NAME}")
    return TRAINER_REGISTRY.get(cfg.TRAINER.NAME)(cfg)
