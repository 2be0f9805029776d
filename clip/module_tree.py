"""Module trees built from dotted tensor names, so a state dict's keys become attribute paths."""
from typing import Callable, Iterable, Tuple

import torch
from torch import nn


def module_tree(named_tensors: Iterable[Tuple[str, torch.Tensor]],
                register: Callable[[nn.Module, str, torch.Tensor], None]) -> nn.Module:
    """A tree of empty modules holding each tensor at its dotted name; `register(owner, leaf, tensor)`
    attaches it (`nn.Module.register_buffer` or `register_parameter`, which share rather than copy)."""
    root = nn.Module()
    for name, tensor in named_tensors:
        *path, leaf = name.split(".")
        owner = root
        for part in path:
            if not hasattr(owner, part):
                owner.add_module(part, nn.Module())
            owner = getattr(owner, part)
        register(owner, leaf, tensor)
    return root
