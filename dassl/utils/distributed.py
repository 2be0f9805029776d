"""The one place that knows about process ranks, so a DDP mode can later gate logging and saving here."""
import torch.distributed as dist


def get_rank():
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    return 0


def is_main_process():
    """Only rank 0 prints and writes checkpoints; a single-process run is rank 0."""
    return get_rank() == 0
