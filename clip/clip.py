"""OpenAI's public CLIP API: `available_models`, `load`, `tokenize`, `build_model`, `_MODELS`, `_download`."""
from typing import Optional, Tuple, Union

import torch
from torchvision.transforms import Compose

from .build import build_model
from .checkpoint import read_state_dict, resolve_checkpoint
from .download import _download
from .model import CLIP
from .pretrained import _MODELS, available_models
from .simple_tokenizer import tokenize
from .transform import image_transform

__all__ = ["available_models", "load", "tokenize", "build_model", "_MODELS", "_download"]


def load(name_or_path: str, device: Union[str, torch.device, None] = None, jit: bool = False,
         download_root: Optional[str] = None) -> Tuple[CLIP, Compose]:
    """CLIP (eval mode) on `device` plus its image preprocessing.

    The model is fp16 (OpenAI's mixed layout) on CUDA and fp32 on CPU, as in OpenAI's loader.
    """
    if jit:
        raise ValueError("clip.load(jit=True) is not supported: this package builds an eager model; use jit=False")
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    model = build_model(read_state_dict(resolve_checkpoint(name_or_path, download_root))).to(device)
    if device.type == "cpu":
        model.float()
    return model, image_transform(model.visual.input_resolution)
