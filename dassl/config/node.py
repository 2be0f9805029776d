"""A yacs ``CfgNode`` whose unknown-key errors also name the closest valid key."""
from yacs.config import CfgNode as _YacsCfgNode

from dassl.utils import get_most_similar_str_to_a_from_b


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

    def _with_suggestion(self, error):
        key = _unknown_key(str(error.args[0]) if error.args else "")
        if key is None:
            return error
        closest = get_most_similar_str_to_a_from_b(key, _all_keys(self))
        return type(error)(f"Non-existent config key: {key} (closest valid key: {closest})")

    def merge_from_list(self, cfg_list):
        try:
            super().merge_from_list(cfg_list)
        except (AssertionError, KeyError) as error:
            raise self._with_suggestion(error) from None

    def merge_from_other_cfg(self, cfg_other):
        """Also the path of ``merge_from_file``."""
        try:
            super().merge_from_other_cfg(cfg_other)
        except KeyError as error:
            raise self._with_suggestion(error) from None
