"""Builds a CLIP from an OpenAI-format state dict: sizes from tensor shapes, fp16 conversion, checked load."""
from typing import Mapping, Optional

import torch
from torch import nn

from .design import check_against_model, parse_design
from .model import CLIP

# Bookkeeping entries of the TorchScript checkpoints that are not module parameters.
NON_PARAMETER_KEYS = ("input_resolution", "context_length", "vocab_size")


def count_distinct_blocks(state_dict: Mapping[str, torch.Tensor], prefix: str) -> int:
    """Number of distinct block indices (third dotted component) under `prefix`."""
    return len({key.split(".")[2] for key in state_dict if key.startswith(prefix)})


def infer_config(state_dict: Mapping[str, torch.Tensor]) -> dict:
    """CLIP constructor arguments read from tensor shapes, so any size (also tiny test models) works."""
    if "visual.proj" in state_dict:
        conv = state_dict["visual.conv1.weight"]
        vision_width, vision_patch_size = conv.shape[0], conv.shape[-1]
        vision_layers = len([key for key in state_dict
                             if key.startswith("visual.") and key.endswith(".attn.in_proj_weight")])
        grid = round((state_dict["visual.positional_embedding"].shape[0] - 1) ** 0.5)
        image_resolution = vision_patch_size * grid
    else:
        vision_layers = tuple(count_distinct_blocks(state_dict, f"visual.layer{stage}") for stage in (1, 2, 3, 4))
        vision_width = state_dict["visual.layer1.0.conv1.weight"].shape[0]
        pool_tokens = state_dict["visual.attnpool.positional_embedding"].shape[0]
        grid = round((pool_tokens - 1) ** 0.5)
        if grid * grid + 1 != pool_tokens:
            raise ValueError(f"visual.attnpool.positional_embedding has {pool_tokens} rows, "
                             "expected a square grid plus one; the checkpoint is not a CLIP ModifiedResNet")
        vision_patch_size = None
        image_resolution = grid * 32
    transformer_width = state_dict["ln_final.weight"].shape[0]
    return dict(
        embed_dim=state_dict["text_projection"].shape[1],
        image_resolution=image_resolution,
        vision_layers=vision_layers,
        vision_width=vision_width,
        vision_patch_size=vision_patch_size,
        context_length=state_dict["positional_embedding"].shape[0],
        vocab_size=state_dict["token_embedding.weight"].shape[0],
        transformer_width=transformer_width,
        transformer_heads=transformer_width // 64,
        transformer_layers=count_distinct_blocks(state_dict, "transformer.resblocks"),
    )


def convert_weights(model: nn.Module) -> None:
    """OpenAI's fp16 conversion: conv/linear/attention projections and `proj`/`text_projection` only."""

    def convert_module(module: nn.Module) -> None:
        tensors = []
        if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Linear)):
            tensors += [module.weight, module.bias]
        if isinstance(module, nn.MultiheadAttention):
            tensors += [getattr(module, name) for name in ("in_proj_weight", "q_proj_weight", "k_proj_weight",
                                                            "v_proj_weight", "in_proj_bias", "bias_k", "bias_v")]
        tensors += [getattr(module, name, None) for name in ("text_projection", "proj")]
        for tensor in tensors:
            if isinstance(tensor, torch.Tensor):
                tensor.data = tensor.data.half()

    model.apply(convert_module)


def build_model(state_dict: Mapping[str, torch.Tensor], design_details: Optional[dict] = None) -> CLIP:
    """The fp16 CLIP of an OpenAI state dict, in eval mode.

    `design_details` (upstream's MaPLe-family protocol, see `clip.design`): None or trainer CoOp/CoCoOp
    give OpenAI's CLIP; MaPLe accepts `[x, deep_prompts, counter]` in its towers; IVLP/VPT create
    learnable deep prompts (`VPT`, `VPT_shallow`, fp32, random) inside the towers. Anything else raises.
    """
    design = parse_design(design_details)
    weights = {key: value for key, value in state_dict.items() if key not in NON_PARAMETER_KEYS}
    config = infer_config(weights)
    check_against_model(design, config["vision_layers"], config["transformer_layers"])
    model = CLIP(**config, design=design)
    convert_weights(model)
    missing, unexpected = model.load_state_dict(weights, strict=False)
    missing = [key for key in missing if not is_owned_prompt(key)]
    if missing or unexpected:
        raise ValueError(f"Checkpoint does not match the CLIP layout: missing keys {sorted(missing)[:5]}, "
                         f"unexpected keys {sorted(unexpected)[:5]}; is it an OpenAI CLIP state dict?")
    return model.eval()


def is_owned_prompt(key: str) -> bool:
    """IVLP/VPT prompts are created by the model, not read from OpenAI's checkpoints."""
    return key.rsplit(".", 1)[-1] in ("VPT", "VPT_shallow")
