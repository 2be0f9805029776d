"""A yacs ``CfgNode`` whose unknown-key errors also name the closest valid key."""
from yacs.config import CfgNode as _YacsCfgNode

from dassl.utils import get_most_similar_str_to_a_from_b

from .errors import ConfigError, ConfigLookupError


def _all_keys(node, prefix=""):
    keys = []
    for key, value in node.items():
        full_key = prefix + key
        keys.append(full_key)
        if isinstance(value, _YacsCfgNode):
            keys.extend(_all_keys(value, full_key + "."))
    return keys


def _unknown_key(message):
    """Pull the offending key out of yacs' 'Non-existent (config )key: X.Y' message, or None."""
    marker = "key: "
    if "Non-existent" not in message or marker not in message:
        return None
    return message.split(marker, 1)[1].strip("'\" ")


class CfgNode(_YacsCfgNode):
    """Real yacs node (upstream adds plain yacs sub-nodes to it) with friendlier unknown-key errors."""

    def _as_config_error(self, error):
        """yacs' checks of user input (unknown key, type mismatch, odd override list) as ConfigErrors;
        an unknown key also gets its closest valid key."""
        message = str(error.args[0]) if error.args else ""
        key = _unknown_key(message)
        if key is not None:
            closest = get_most_similar_str_to_a_from_b(key, _all_keys(self))
            return ConfigLookupError(f"Non-existent config key: {key} (closest valid key: {closest})")
        return ConfigError(message)

    def merge_from_list(self, cfg_list):
        try:
            super().merge_from_list(cfg_list)
        except (AssertionError, KeyError, ValueError) as error:
            raise self._as_config_error(error) from None

    def merge_from_other_cfg(self, cfg_other):
        """Also the path of ``merge_from_file``."""
        try:
            super().merge_from_other_cfg(cfg_other)
        except (KeyError, ValueError) as error:
            raise self._as_config_error(error) from None
