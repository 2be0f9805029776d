"""MaPLe (Khattak et al., CVPR 2023): deep text prompts coupled to deep visual prompts by linear maps."""
import copy

import torch
from torch import nn

from clip.prompt_hooks import replace_tokens
from dassl.config import ConfigError
from dassl.engine import TRAINER_REGISTRY

from .config import config_extension, section
from .parts.precision import CastLinear, learnable_dtype
from .parts.prompt_layout import prefix_context
from .parts.prompt_trainer import PromptTrainer


@config_extension
def add_maple_keys(cfg):
    maple = section(cfg.TRAINER, "MAPLE")
    maple.N_CTX = 2  # prompt tokens per layer, in both towers
    maple.CTX_INIT = "a photo of a"  # used only when N_CTX <= 4; words past N_CTX stay as fixed text
    maple.PREC = "fp16"  # fp16, fp32 or amp
    maple.PROMPT_DEPTH = 9  # J: layers 0..J-1 carry prompts (1 = shallow MaPLe)


def maple_context(maple_cfg):
    """The whole CTX_INIT is the template prefix; its first N_CTX tokens are learnable (spec 3.4)."""
    return prefix_context(maple_cfg.N_CTX, maple_cfg.CTX_INIT)


def vision_width(clip_model):
    if not hasattr(clip_model.visual, "class_embedding"):
        raise ConfigError("MaPLe needs a ViT backbone (MODEL.BACKBONE.NAME such as ViT-B/16)")
    return clip_model.visual.class_embedding.shape[-1]


def check_prompt_depth(depth, clip_model):
    layers = min(len(clip_model.transformer.resblocks), len(clip_model.visual.transformer.resblocks))
    if not 1 <= depth <= layers:
        raise ConfigError(f"TRAINER.MAPLE.PROMPT_DEPTH must be in 1..{layers} for this backbone, got {depth}")


def add_coupling(layout, clip_model, depth, proj_dtype, after_shallow_projection=None):
    """Attach MaPLe's shallow projection and deep prompts to the layout under upstream's names.

    `after_shallow_projection(layout)` runs between the two, where a plug-in's upstream draws its own
    tensor (AnchorOPT's position logits), so that seeded draws keep upstream's order.
    """
    text_width, visual_width = layout.width, vision_width(clip_model)
    n_tokens = layout.class_soft_tokens().shape[-2]
    layout.add_module("proj", CastLinear(text_width, visual_width).to(proj_dtype))
    if after_shallow_projection is not None:
        after_shallow_projection(layout)
    deep = [nn.Parameter(torch.empty(n_tokens, text_width).normal_(std=0.02)) for _ in range(depth - 1)]
    layout.add_module("compound_prompts_text", nn.ParameterList(deep))
    # Deep copies of ONE initialised layer: all projections start identical (spec 6.2 item 3).
    shared = CastLinear(text_width, visual_width)
    layout.add_module("compound_prompt_projections", nn.ModuleList(copy.deepcopy(shared) for _ in range(depth - 1)))


@TRAINER_REGISTRY.register()
class MaPLe(PromptTrainer):
    config_section = "MAPLE"
    learner_name = "MultiModalPromptLearner"
    log_accuracy = False
    check_finite_loss = False
    frozen_image_encoder = False  # visual prompts change the image features: no feature cache

    def build_learner(self, classnames):
        depth = self.method_cfg.PROMPT_DEPTH
        check_prompt_depth(depth, self.clip_model)
        layout = self.build_layout(classnames, maple_context(self.method_cfg))
        proj_dtype = learnable_dtype(self.cfg, self.dtype)
        add_coupling(layout, self.clip_model, depth, proj_dtype, self.after_shallow_projection)
        self.prompt_learner = layout
        return nn.ModuleDict({"prompt_learner": layout})

    def after_shallow_projection(self, layout):
        """Hook for plug-ins that draw a tensor between `proj` and the deep prompts (none in MaPLe)."""

    def visual_prompts(self):
        """Shallow [n, Dv] and deep visual prompts, all functions of the text prompts."""
        layout = self.prompt_learner
        shallow = layout.proj(layout.class_soft_tokens())
        deep = [proj(prompt) for proj, prompt in zip(layout.compound_prompt_projections, layout.compound_prompts_text)]
        return shallow, deep

    def encode_images(self, images):
        shallow, deep = self.visual_prompts()
        n_tokens = shallow.shape[0]
        hook = replace_tokens(-n_tokens, [prompt.to(self.dtype) for prompt in deep])
        return self.clip_model.encode_image(images.type(self.dtype), prompt_tokens=shallow.to(self.dtype), block_hook=hook)

    def class_text_features(self):
        embeddings, pool_index = self.prompt_learner()
        hook = self.prompt_learner.deep_text_hook(list(self.prompt_learner.compound_prompts_text))
        return self.encode_prompts(embeddings, pool_index, block_hook=hook)
