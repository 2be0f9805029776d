"""Dassl's utility namespace: everything here is imported as ``from dassl.utils import ...``."""
from .distributed import get_rank, is_main_process
from .logger import Logger, close_logger, flush_logger, setup_logger
from .meters import AverageMeter, MetricMeter
from .registry import Registry
from .tools import (
    ImageReadError,
    atomic_write,
    check_availability,
    check_isfile,
    collect_env_info,
    get_most_similar_str_to_a_from_b,
    listdir_nohidden,
    mkdir_if_missing,
    read_image,
    read_json,
    set_random_seed,
    tolist_if_not,
    write_json,
)
from .torchtools import (
    count_num_param,
    load_checkpoint,
    load_pretrained_weights,
    open_all_layers,
    open_specified_layers,
    read_checkpoint_pointer,
    resume_from_checkpoint,
    save_checkpoint,
)
