"""Builds the frozen CLIP a trainer runs on, from MODEL.BACKBONE.NAME (an official name or a local file)."""
import clip
from clip.checkpoint import read_state_dict, resolve_checkpoint

from .precision import effective_precision


def load_clip(cfg, prec, device, design_details=None):
    """CLIP built on CPU in the original mixed fp16 layout, upcast unless the run is fp16, then moved to `device`.

    Returns the model frozen and in eval mode (encoders never train; BatchNorm keeps its statistics).
    `design_details` (see `clip.design`) gives it prompts of its own, frozen here too: the trainer
    decides which of them learn.
    """
    backbone = cfg.MODEL.BACKBONE.NAME
    print(f"Loading CLIP (backbone: {backbone})")
    path = resolve_checkpoint(backbone, cfg.MODEL.BACKBONE.CACHE_DIR or None)
    model = clip.build_model(read_state_dict(path), design_details)
    if effective_precision(prec, device) != "fp16":
        model.float()
    model.requires_grad_(False)
    return model.to(device).eval()
