"""Data-parallel training under `torchrun`: process group, sharded train loader, gradient averaging.

Gradients are averaged explicitly after every backward instead of through a DistributedDataParallel
wrapper: trainers call their modules' sub-parts directly (a prompt learner, a head), which a DDP
wrapper would not see, and learned tensors are small, so one all-reduce per step costs nothing.
Every rank starts from rank 0's parameters and sees its own shard of each epoch's permutation;
the global batch stays DATALOADER.TRAIN_X.BATCH_SIZE, so results match one process up to batch order.
"""
import os
import sys

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, DistributedSampler, RandomSampler


def requested_world_size():
    """Number of processes `torchrun` started (1 without it)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_distributed():
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def training_device(use_cuda):
    """The device of this process; joins the process group first when started by `torchrun`."""
    cuda = use_cuda and torch.cuda.is_available()
    if requested_world_size() > 1 and not dist.is_initialized():
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        if cuda:
            torch.cuda.set_device(local_rank)
        dist.init_process_group(backend="nccl" if cuda else "gloo")
        if dist.get_rank() != 0:
            sys.stdout = open(os.devnull, "w")
    if not cuda:
        return torch.device("cpu")
    return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0"))) if is_distributed() else torch.device("cuda")


def shard_train_loader(loader, seed):
    """`loader` re-built so each rank draws batch_size / world_size items of a shared per-epoch permutation."""
    if not is_distributed():
        return loader
    world = dist.get_world_size()
    if loader.batch_size % world:
        raise ValueError(f"DATALOADER.TRAIN_X.BATCH_SIZE={loader.batch_size} is not divisible by the "
                         f"{world} processes; choose a multiple of --nproc_per_node")
    sampler = DistributedSampler(loader.dataset, num_replicas=world, rank=dist.get_rank(),
                                 shuffle=isinstance(loader.sampler, RandomSampler), seed=max(seed, 0),
                                 drop_last=loader.drop_last)
    return DataLoader(loader.dataset, batch_size=loader.batch_size // world, sampler=sampler,
                      num_workers=loader.num_workers, drop_last=loader.drop_last, pin_memory=loader.pin_memory)


def start_epoch(loader, epoch):
    """Give the distributed sampler its epoch, so every epoch gets a new permutation on all ranks."""
    if isinstance(getattr(loader, "sampler", None), DistributedSampler):
        loader.sampler.set_epoch(epoch)


def broadcast_parameters(modules):
    """Copy rank 0's parameters and buffers to every rank (initialisations may differ without a seed)."""
    if not is_distributed():
        return
    for module in modules:
        for tensor in list(module.parameters()) + list(module.buffers()):
            dist.broadcast(tensor.data, src=0)


def sum_over_ranks(tensor):
    """`tensor` summed over the ranks (unchanged in a single process); returned on the tensor's device."""
    if not is_distributed():
        return tensor
    device = torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else torch.device("cpu")
    total = tensor.to(device).clone()
    dist.all_reduce(total, op=dist.ReduceOp.SUM)
    return total.to(tensor.device)


def average_gradients(modules):
    """Mean of every gradient over the ranks: the gradient of the mean loss over the global batch."""
    if not is_distributed():
        return
    world = dist.get_world_size()
    for module in modules:
        for param in module.parameters():
            if param.grad is not None:
                dist.all_reduce(param.grad, op=dist.ReduceOp.SUM)
                param.grad.div_(world)
