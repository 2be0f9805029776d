"""`build_model`'s `design_details`: the prompt protocols of the MaPLe-family CLIPs, read and checked.

Upstream forks of MaPLe / PromptSRC pass a dictionary to `clip.build_model` saying which prompt
blocks the model gets. Every key and value is honoured or refused here with one error naming it,
so a ported trainer either gets the prompts it asked for or a clear message, never a plain CLIP.
"""
from dataclasses import dataclass
from typing import Mapping, Optional

PLAIN_TRAINERS = ("CoOp", "CoCoOp")  # plain blocks: prompts only replace input rows
MAPLE_TRAINERS = ("MaPLe",)  # prompts passed through the blocks as [x, deep_prompts, counter]
OWNED_PROMPT_TRAINERS = ("IVLP", "VPT")  # learnable deep prompts created inside the blocks
TRAINERS = PLAIN_TRAINERS + MAPLE_TRAINERS + OWNED_PROMPT_TRAINERS
DEPTH_KEYS = ("vision_depth", "language_depth", "vision_ctx", "language_ctx")
KNOWN_KEYS = ("trainer", *DEPTH_KEYS, "maple_length")
# Keys of upstream's model variants that this CLIP does not take: their methods are trainers here.
VARIANT_KEYS = {
    "atprompt_num": "MaPLe_ATP's clip/model_atp.py (use TRAINER.NAME MaPLe_ATP)",
    "attribute_len": "MaPLe_AnchorOPT's clip/model_anchoropt.py (use TRAINER.NAME MaPLe_AnchorOPT)",
}


@dataclass(frozen=True)
class PromptDesign:
    """Which prompts the CLIP's blocks own or accept; the default is OpenAI's plain CLIP.

    `vision_depth` d >= 1: a `[vision_ctx, Dv]` prompt `visual.VPT` is appended to the image tokens and
    vision blocks 1..d-1 own `VPT_shallow` replacing the last `vision_ctx` tokens. `language_depth` d:
    text blocks 1..d-1 own `VPT_shallow` replacing positions 1..`language_ctx` (the input-level text
    prompt belongs to the trainer). `maple_length`: rows of MaPLe's deep prompts, checked when passed.
    """

    trainer: str = "CoOp"
    vision_depth: int = 0
    language_depth: int = 0
    vision_ctx: int = 0
    language_ctx: int = 0
    maple_length: int = 0


class DesignError(ValueError):
    """A `design_details` key or value this CLIP does not implement."""


def design_error(message: str) -> DesignError:
    return DesignError(f"clip.build_model design_details: {message}")


def parse_design(design_details: Optional[Mapping]) -> PromptDesign:
    """The `PromptDesign` of an upstream `design_details` dict (None: plain CLIP)."""
    if design_details is None:
        return PromptDesign()
    for key in design_details:
        if key in VARIANT_KEYS:
            raise design_error(f"key {key!r} belongs to {VARIANT_KEYS[key]}; this CLIP does not implement it")
        if key not in KNOWN_KEYS:
            raise design_error(f"unknown key {key!r}; implemented keys: {', '.join(KNOWN_KEYS)}")
    trainer = design_details.get("trainer")
    if trainer not in TRAINERS:
        raise design_error(f"'trainer' is {trainer!r}; implemented: {', '.join(TRAINERS)}")
    values = {}
    for key in KNOWN_KEYS[1:]:
        value = design_details.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise design_error(f"{key!r} must be a non-negative int, got {value!r}")
        values[key] = value
    design = PromptDesign(trainer=trainer, **values)
    check_consistent(design, design_details)
    return design


def check_consistent(design: PromptDesign, given: Mapping) -> None:
    """Refuse values the chosen protocol would ignore (upstream ignores them silently).

    A `*_ctx` with a depth that creates no block prompts is accepted: upstream's loaders pass the
    trainer's token counts through whatever the depth (the shallow text prompt is the trainer's).
    """
    if design.trainer not in OWNED_PROMPT_TRAINERS:
        for key in DEPTH_KEYS:
            if getattr(design, key):
                raise design_error(f"{key!r}={getattr(design, key)} has no effect with trainer {design.trainer!r}; "
                                   f"owned deep prompts need trainer 'IVLP' or 'VPT' (or set it to 0)")
    if design.trainer in MAPLE_TRAINERS:
        if "maple_length" not in given or design.maple_length < 1:
            raise design_error("trainer 'MaPLe' needs 'maple_length' >= 1 (the number of prompt tokens, N_CTX)")
    elif design.maple_length:
        raise design_error(f"'maple_length' is only used by trainer 'MaPLe', not {design.trainer!r}")
    if design.trainer in OWNED_PROMPT_TRAINERS:
        missing = [key for key in ("vision_depth", "language_depth") if key not in given]
        if missing:
            raise design_error(f"trainer {design.trainer!r} needs {', '.join(map(repr, missing))}")
        for tower in ("vision", "language"):
            depth, ctx = getattr(design, f"{tower}_depth"), getattr(design, f"{tower}_ctx")
            needs_ctx = depth >= 1 if tower == "vision" else depth >= 2
            if needs_ctx and ctx < 1:
                raise design_error(f"'{tower}_depth'={depth} needs '{tower}_ctx' >= 1 prompt tokens")


def check_against_model(design: PromptDesign, vision_layers, transformer_layers: int) -> None:
    """Depths must fit the towers (upstream silently drops the extra prompts)."""
    if isinstance(vision_layers, (tuple, list)):
        if design.vision_depth or design.trainer in MAPLE_TRAINERS:
            raise design_error(f"trainer {design.trainer!r} with visual prompts needs a ViT; this CLIP has a ModifiedResNet")
        return
    for key, layers in (("vision_depth", vision_layers), ("language_depth", transformer_layers)):
        if getattr(design, key) > layers:
            raise design_error(f"{key!r}={getattr(design, key)} exceeds the tower's {layers} blocks")
