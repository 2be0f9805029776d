"""Dassl's utility namespace: everything here is imported as ``from dassl.utils import ...``.

Names resolve on first use, so a tool that needs only `atomic_write` (parse_test_res.py) starts
without importing torch.
"""
import importlib

_SUBMODULE_OF = {
    **dict.fromkeys(["get_rank", "is_main_process"], "distributed"),
    **dict.fromkeys(["atomic_write", "mkdir_if_missing"], "files"),
    **dict.fromkeys(["Logger", "close_logger", "flush_logger", "setup_logger"], "logger"),
    **dict.fromkeys(["AverageMeter", "MetricMeter"], "meters"),
    "Registry": "registry",
    **dict.fromkeys([
        "ImageReadError", "check_availability", "check_isfile", "collect_env_info",
        "get_most_similar_str_to_a_from_b", "listdir_nohidden", "read_image", "read_json", "set_random_seed",
        "tolist_if_not", "write_json",
    ], "tools"),
    **dict.fromkeys([
        "count_num_param", "load_checkpoint", "load_pretrained_weights", "open_all_layers", "open_specified_layers",
        "read_checkpoint_pointer", "resume_from_checkpoint", "save_checkpoint",
    ], "torchtools"),
}
__all__ = sorted(_SUBMODULE_OF)


def __getattr__(name):
    if name in set(_SUBMODULE_OF.values()):  # `dassl.utils.torchtools` without importing it first
        return importlib.import_module(f".{name}", __name__)
    if name not in _SUBMODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_SUBMODULE_OF[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
