"""Precision policy: PREC fp16/fp32/amp as the original on CUDA, fp32 on CPU; fp32 master copies of trainables."""
import torch
from torch import nn
from torch.nn import functional as F

from dassl.config import ConfigError

PRECISIONS = ("fp16", "fp32", "amp")


def effective_precision(prec, device):
    """The precision a run really uses: half precision only exists on CUDA, so CPU runs fp32."""
    if prec not in PRECISIONS:
        raise ConfigError(f"PREC must be one of {PRECISIONS}, got {prec!r} (see configs/trainers/*.yaml)")
    return prec if torch.device(device).type == "cuda" else "fp32"


def learnable_dtype(cfg, clip_dtype):
    """dtype in which learnable tensors are stored.

    TRAINER.FP32_MASTER_WEIGHTS keeps fp32 masters that are cast at use (no fp16 update underflow/NaN);
    turning it off stores them in the CLIP dtype, as upstream trains them under fp16 (spec 6.2 item 1).
    """
    return torch.float32 if cfg.TRAINER.FP32_MASTER_WEIGHTS else clip_dtype


class CastLinear(nn.Linear):
    """Linear layer computing in its input's dtype, so fp32 master weights serve fp16 activations."""

    def forward(self, x):
        bias = None if self.bias is None else self.bias.to(x.dtype)
        return F.linear(x, self.weight.to(x.dtype), bias)
