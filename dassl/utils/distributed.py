"""The one place that knows about process ranks, so a DDP mode can later gate logging and saving here."""
import os

import torch.distributed as dist


def get_rank():
    """This process's rank; before the process group exists, the one `torchrun` put in RANK."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    return int(os.environ.get("RANK", "0"))


def is_main_process():
    """Only rank 0 prints and writes checkpoints; a single-process run is rank 0."""
    return get_rank() == 0
