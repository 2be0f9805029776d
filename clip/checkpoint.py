"""Reads a CLIP checkpoint file (TorchScript archive or plain state dict) into a CPU state dict."""
import os
import warnings
from typing import Dict, Optional

import torch

from .download import download
from .pretrained import PRETRAINED, available_models


def resolve_checkpoint(name_or_path: str, download_root: Optional[str] = None) -> str:
    """A local file path for a model name (downloaded and verified) or for an existing checkpoint path."""
    if name_or_path in PRETRAINED:
        weights = PRETRAINED[name_or_path]
        return download(weights.url, download_root, weights.sha256)
    path = os.path.expanduser(name_or_path)
    if os.path.isfile(path):
        return path
    raise RuntimeError(f"CLIP model {name_or_path!r} not found: use one of {available_models()} "
                       "or the path of an existing checkpoint file")


def read_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """OpenAI ships TorchScript archives; plain `torch.save` state dicts are accepted as well."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # TorchScript is deprecated, but it is OpenAI's format
            return dict(torch.jit.load(path, map_location="cpu").state_dict())
    except RuntimeError:
        pass
    try:
        state_dict = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise RuntimeError(f"Cannot read CLIP checkpoint {path} ({type(error).__name__}); expected an OpenAI "
                           "TorchScript archive or a state dict saved with torch.save — re-download it") from None
    if not isinstance(state_dict, dict):
        raise RuntimeError(f"CLIP checkpoint {path} holds a {type(state_dict).__name__}, not a state dict; "
                           "save model.state_dict() instead")
    return state_dict
