"""Test helpers for AnchorOPT: configs, a tiny CLIP and stage-I files in the original release format."""
import collections

import torch

from dassl.config import get_cfg_default
from trainers.config import extend_cfg
from trainers.parts.clip_setup import load_clip
from trainers.plugins import anchoropt_config  # noqa: F401  (registers TRAINER.ANCHOROPT.*)


def anchoropt_cfg(clip_path, anchor_path="", **anchoropt_keys):
    cfg = get_cfg_default()
    extend_cfg(cfg)
    cfg.MODEL.BACKBONE.NAME = clip_path
    cfg.TRAINER.ANCHOROPT.ANCHOR_PATH = anchor_path
    for key, value in anchoropt_keys.items():
        setattr(cfg.TRAINER.ANCHOROPT, key, value)
    return cfg


def tiny_clip(cfg):
    return load_clip(cfg, "fp32", "cpu")


def write_original_anchor_file(path, anchor, num_classes=3):
    """A stage-I checkpoint with the released files' structure: fp16 tensors, pickled SGD/cosine objects."""
    width = anchor.shape[-1]
    parameter = torch.nn.Parameter(anchor.half().clone())
    optimizer = torch.optim.SGD([parameter], lr=0.002, momentum=0.9, weight_decay=5e-4)
    parameter.grad = torch.zeros_like(parameter)
    optimizer.step()
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
    state_dict = collections.OrderedDict(
        anchor_ctx_1=parameter.detach(),
        token_prefix=torch.zeros(num_classes, 1, width, dtype=torch.float16),
        token_of=torch.zeros(num_classes, 1, width, dtype=torch.float16),
        token_suffix=torch.zeros(num_classes, 77 - 3, width, dtype=torch.float16),
    )
    scheduler = {"cons_lr": 1e-05, "successor": cosine, "warmup_epoch": 1, "base_lrs": [0.002], "last_epoch": 1}
    torch.save(
        {"state_dict": state_dict, "epoch": 10, "optimizer": optimizer.state_dict(), "scheduler": scheduler,
         "val_result": None},
        path,
    )
    return path
