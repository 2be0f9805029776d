"""Tiny random CLIPs in OpenAI's checkpoint format, for tests and the demo.

The vocabulary is the real one (49408) so `clip.tokenize` works; widths are multiples of 64 because
OpenAI's loader infers `heads = width // 64`. Tensors are stored with OpenAI's fp16/fp32 split.
"""
import warnings
from typing import Dict, Sequence

import torch
from torch import nn

from .atomic import atomic_target
from .build import NON_PARAMETER_KEYS, convert_weights
from .model import CLIP
from .module_tree import module_tree

OPENAI_VOCAB_SIZE = 49408


def tiny_vit_state_dict(embed_dim: int = 32, vision_width: int = 64, vision_layers: int = 2,
                        patch_size: int = 16, image_resolution: int = 32, text_width: int = 64,
                        text_layers: int = 2, context_length: int = 77, seed: int = 0) -> Dict[str, torch.Tensor]:
    """A random ViT CLIP; the default has a 2x2 patch grid (5 image tokens)."""
    return _random_state_dict(dict(
        embed_dim=embed_dim, image_resolution=image_resolution, vision_layers=vision_layers,
        vision_width=vision_width, vision_patch_size=patch_size, context_length=context_length,
        vocab_size=OPENAI_VOCAB_SIZE, transformer_width=text_width, transformer_heads=text_width // 64,
        transformer_layers=text_layers), seed)


def tiny_resnet_state_dict(embed_dim: int = 32, vision_width: int = 8, vision_layers: Sequence[int] = (1, 1, 1, 1),
                           image_resolution: int = 64, text_width: int = 64, text_layers: int = 2,
                           context_length: int = 77, seed: int = 0) -> Dict[str, torch.Tensor]:
    """A random ModifiedResNet CLIP; the default pools a 2x2 feature map of 256 channels."""
    return _random_state_dict(dict(
        embed_dim=embed_dim, image_resolution=image_resolution, vision_layers=tuple(vision_layers),
        vision_width=vision_width, vision_patch_size=None, context_length=context_length,
        vocab_size=OPENAI_VOCAB_SIZE, transformer_width=text_width, transformer_heads=text_width // 64,
        transformer_layers=text_layers), seed)


def _random_state_dict(config: dict, seed: int) -> Dict[str, torch.Tensor]:
    """CLIP's own init, plus random norms and biases so that no branch is an identity; global RNG untouched."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = CLIP(**config)
        with torch.no_grad():
            for module in model.modules():
                if isinstance(module, (nn.BatchNorm2d, nn.LayerNorm)):
                    module.weight.uniform_(0.5, 1.5)
                    module.bias.normal_(std=0.1)
                if isinstance(module, nn.BatchNorm2d):
                    module.running_mean.normal_(std=0.1)
                    module.running_var.uniform_(0.5, 1.5)
            for name, param in model.named_parameters():
                if name.endswith("bias") and "ln_" not in name and "bn" not in name:
                    param.normal_(std=0.02)
    convert_weights(model)
    return {key: value.clone() for key, value in model.state_dict().items()}


def save_state_dict(state_dict: Dict[str, torch.Tensor], path: str) -> str:
    """A plain `torch.save` checkpoint, written atomically."""
    with atomic_target(path) as partial:
        torch.save(state_dict, partial)
    return path


def save_torchscript_archive(state_dict: Dict[str, torch.Tensor], path: str) -> str:
    """A TorchScript archive whose `state_dict()` looks like OpenAI's (bookkeeping entries included)."""
    archive = module_tree(state_dict.items(), nn.Module.register_buffer)
    bookkeeping = _bookkeeping_entries(state_dict)
    for key in NON_PARAMETER_KEYS:
        archive.register_buffer(key, bookkeeping[key])
    with warnings.catch_warnings(), atomic_target(path) as partial:
        warnings.simplefilter("ignore", FutureWarning)
        torch.jit.save(torch.jit.script(archive), partial)
    return path


def _bookkeeping_entries(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    if "visual.proj" in state_dict:
        patch = state_dict["visual.conv1.weight"].shape[-1]
        grid = round((state_dict["visual.positional_embedding"].shape[0] - 1) ** 0.5)
        resolution = patch * grid
    else:
        resolution = 32 * round((state_dict["visual.attnpool.positional_embedding"].shape[0] - 1) ** 0.5)
    return {
        "input_resolution": torch.tensor(resolution),
        "context_length": torch.tensor(state_dict["positional_embedding"].shape[0]),
        "vocab_size": torch.tensor(state_dict["token_embedding.weight"].shape[0]),
    }
