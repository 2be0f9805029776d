"""PREC amp: bf16 autocast where the GPU has it (no loss scaling needed), fp16 with loss scaling otherwise."""
from contextlib import nullcontext

import torch


def autocast_dtype(device):
    """bf16 keeps fp32's exponent range, so it needs no GradScaler; older GPUs fall back to fp16."""
    device = torch.device(device)
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float16


def grad_scaler(device):
    """A GradScaler for fp16 autocast, None for bf16 (its range makes scaling pointless)."""
    if autocast_dtype(device) == torch.bfloat16:
        return None
    return torch.amp.GradScaler(torch.device(device).type)


def precision_autocast(precision, device):
    """The autocast context of a PREC: amp's dtype on `device`, nothing for fp16 / fp32."""
    if precision != "amp":
        return nullcontext()
    device = torch.device(device)
    return torch.autocast(device_type=device.type, dtype=autocast_dtype(device))
