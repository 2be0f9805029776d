from .defaults import _C as cfg_default
from .errors import ConfigError, ConfigLookupError, check_config_choice
from .node import CfgNode


def get_cfg_default():
    """An independent copy of the default tree."""
    return cfg_default.clone()


def clean_cfg(cfg, trainer):
    """Drop every ``cfg.TRAINER.<X>`` sub-node except ``NAME`` and the one of ``trainer``."""
    keep = {"NAME", trainer.upper()}
    for key in list(cfg.TRAINER.keys()):
        if key not in keep:
            cfg.TRAINER.pop(key)
