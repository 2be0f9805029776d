"""IVLP deep prompts (independent vision and language prompts, Khattak et al.): owned by CLIP's blocks.

`clip.build_model(state_dict, ivlp_design(...))` creates them inside the towers (`clip.design`);
`owned_prompt_modules` shows the same tensors to a trainer under the names upstream's checkpoints
use (`image_encoder.VPT`, `image_encoder.transformer.resblocks.N.VPT_shallow`,
`text_encoder.transformer.resblocks.N.VPT_shallow`), without the frozen weights around them.
"""
from torch import nn

from clip.module_tree import module_tree
from dassl.config import ConfigError


def ivlp_design(text_tokens, text_depth, vision_tokens, vision_depth):
    """Upstream's `design_details` for IVLP (the shallow text prompt belongs to the trainer's layout)."""
    return {"trainer": "IVLP", "vision_depth": vision_depth, "language_depth": text_depth,
            "vision_ctx": vision_tokens, "language_ctx": text_tokens}


def check_text_depth(section, text_depth):
    """Upstream asserts it: vision-only prompting is VPT, not IVLP (`build_model` checks the rest)."""
    if text_depth < 1:
        raise ConfigError(f"TRAINER.{section}.PROMPT_DEPTH_TEXT must be >= 1 (independent V-L prompting)")


def owned_prompt_modules(clip_model):
    """{"image_encoder": ..., "text_encoder": ...}: the CLIP's own prompts, trainable, under upstream's names."""
    vision = [(name, p) for name, p in clip_model.visual.named_parameters() if "VPT" in name]
    text = [(f"transformer.{name}", p) for name, p in clip_model.transformer.named_parameters() if "VPT" in name]
    for _, parameter in vision + text:
        parameter.requires_grad_(True)
    return {"image_encoder": module_tree(vision, nn.Module.register_parameter),
            "text_encoder": module_tree(text, nn.Module.register_parameter)}
