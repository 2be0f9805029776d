"""AnchorOPT stage II (spec §3): soft tokens + a frozen stage-I anchor arranged by a learned position matrix.

`AnchoredLayout` is the text-side plug-in any baseline composes through `build_prompt_layout`;
`AnchorOPTMixin` adds the frozen anchor branch, the CE + ensemble-KD loss and the base/new test
logits on top of a baseline trainer. Neither knows which baseline it is combined with.
"""
import os
from contextlib import contextmanager
from dataclasses import replace

import torch
from torch import nn

import clip
from clip.build import infer_config
from clip.model import CLIP
from dassl.config import ConfigError

from ..parts.eval_cache import EvaluationCache
from ..parts.logits import cosine_logits
from ..parts.precision import learnable_dtype
from ..parts.prompt_layout import PromptLayout, embed_token_ids, expand_to, random_context, register_prompt_layout
from .anchoropt_anchor import PLACEHOLDER, AnchorPrompt, initial_anchor, read_anchor_file
from .anchoropt_config import resolve_anchor_path, stage_one_command
from .anchoropt_losses import anchoropt_loss, argmax_position_matrix, sample_position_matrix


def replay_discarded_draws(clip_model, anchor_len, draws):
    """Consume the RNG as upstream does before its soft tokens, in the order of `draws`: "anchor" is the
    random anchor its anchor learner draws (then overwritten), "clip" an extra CLIP it constructs."""
    for draw in draws:
        if draw == "anchor":
            initial_anchor(anchor_len, clip_model.ln_final.weight.shape[0], clip_model.dtype)
        else:
            CLIP(**infer_config(clip_model.state_dict()))


def load_stage_one_anchor(cfg):
    """The frozen anchor ``[L_a, D]`` of this run (explicit ANCHOR_PATH or the per-dataset default)."""
    path = resolve_anchor_path(cfg)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"Anchor file not found: {path} (TRAINER.ANCHOROPT.ANCHOR_PATH) — create it with stage I: "
            f"{stage_one_command(cfg)}"
        )
    return read_anchor_file(path)


@register_prompt_layout("anchored")
class AnchoredLayout(PromptLayout):
    """``[SOS] P·[ctx_1..ctx_N ; anchor] <class> . [EOS]`` with P a hard Gumbel sample of fp32 logits Π.

    N is TRAINER.ANCHOROPT.N_CTX (random soft tokens), or the word count of `context.init_text`
    when the trainer asks for word initialisation (upstream CoCoOp_AnchorOPT with COOP.CTX_INIT).
    P is drawn once per forward call (training and, by default, testing) and kept in `positions`
    so that MaPLe's deep hook of the same call rearranges its layers identically. The anchor is a
    frozen, non-persistent buffer: it always comes from the stage-I file.
    """

    positions_drawn_at_init = True  # False: the trainer calls draw_position_logits() (upstream draw order)

    def __init__(self, cfg, classnames, clip_model, context):
        super().__init__(clip_model, classnames)
        options = cfg.TRAINER.ANCHOROPT
        if context.class_token_position != "end":
            raise ConfigError(
                f"AnchorOPT places the class name at the end; got CLASS_TOKEN_POSITION={context.class_token_position!r}"
            )
        self.n_ctx = context.n_ctx if context.init_text else options.N_CTX
        self.anchor_len = options.ANCHOR_LEN
        self.gumbel_temperature = options.GUMBEL_TEMP
        self.test_position = options.TEST_POSITION
        self.deep_anchor_index = options.DEEP_ANCHOR_INDEX
        slot_count = self.n_ctx + self.anchor_len
        device = clip_model.token_embedding.weight.device

        if context.init_text:
            ctx = embed_token_ids(clip_model, clip.tokenize(context.init_text))[0, 1 : 1 + self.n_ctx]
            prefix = context.init_text
        else:
            shape = (self.n_cls, self.n_ctx, self.width) if context.class_specific else (self.n_ctx, self.width)
            ctx = random_context(shape, clip_model.dtype)
            prefix = " ".join([PLACEHOLDER] * self.n_ctx)
        self.ctx = nn.Parameter(ctx.to(device, learnable_dtype(cfg, clip_model.dtype)))
        self.ctx_pos_params = nn.Parameter(torch.zeros(slot_count, slot_count, device=device))
        if self.positions_drawn_at_init:
            self.draw_position_logits()
        self.register_buffer("anchor", torch.zeros(self.anchor_len, self.width, device=device), persistent=False)
        self.set_anchor(load_stage_one_anchor(cfg))

        embeddings = self.register_templates(clip_model, [f"{prefix} {name}." for name in self.classnames])
        self.register_buffer("token_prefix", embeddings[:, :1])
        # The template has no anchor slot: dropping the last L_a paddings keeps the sequence at 77 tokens.
        self.register_buffer("token_suffix", embeddings[:, 1 + self.n_ctx : embeddings.shape[1] - self.anchor_len])
        pool_shift = self.anchor_len if options.POOL_INDEX == "eos" else 0
        self.register_buffer("pool_shift", torch.tensor(pool_shift, device=device), persistent=False)
        self.positions = None
        self._sharing_positions = False

    @property
    def position_logits(self):
        """Π (named `ctx_pos_params` as in upstream checkpoints)."""
        return self.ctx_pos_params

    @property
    def pool_index(self):
        """The template's EOT index ("." of the real sequence, upstream) or the real EOS (POOL_INDEX=eos)."""
        return self.tokenized_prompts.argmax(dim=-1) + self.pool_shift

    def draw_position_logits(self):
        """Π ~ standard normal, drawn on the CPU with `randn` right where upstream draws it."""
        with torch.no_grad():
            self.ctx_pos_params.copy_(torch.randn(self.ctx_pos_params.shape))

    def set_anchor(self, anchor):
        if tuple(anchor.shape) != tuple(self.anchor.shape):
            raise ValueError(
                f"Stage-I anchor has shape {tuple(anchor.shape)}, expected {tuple(self.anchor.shape)} "
                "(TRAINER.ANCHOROPT.ANCHOR_LEN and the CLIP text width)"
            )
        self.anchor.copy_(anchor.detach())

    def sample_positions(self):
        if not self.training and self.test_position == "argmax":
            return argmax_position_matrix(self.ctx_pos_params.detach())
        return sample_position_matrix(self.ctx_pos_params, self.gumbel_temperature)

    @contextmanager
    def shared_positions(self):
        """Every prompt built inside uses one P, drawn at the first build.

        Upstream samples P once per model forward; CoCoOp builds its prompts image by image.
        """
        if self._sharing_positions:
            yield
            return
        self._sharing_positions, self.positions = True, None
        try:
            yield
        finally:
            self._sharing_positions = False

    def forward(self, class_shift=None):
        if not self._sharing_positions or self.positions is None:
            self.positions = self.sample_positions()
        return super().forward(class_shift)

    def class_soft_tokens(self):
        return self.ctx.to(self.dtype)

    def deep_text_window(self):
        return 1, self.n_ctx + self.anchor_len

    @property
    def shared_prefix_length(self):
        return 1 + self.n_ctx + self.anchor_len + self.shared_suffix_positions

    def assemble(self, class_tokens):
        leading = class_tokens.shape[:-2]
        anchor = self.anchor.to(class_tokens.dtype).expand(*leading, self.anchor_len, self.width)
        slots = self.positions.to(class_tokens.dtype) @ torch.cat([class_tokens, anchor], dim=-2)
        prefix = expand_to(self.token_prefix, leading[:-1])
        suffix = expand_to(self.token_suffix, leading[:-1])
        return torch.cat([prefix, slots, suffix], dim=-2)


@register_prompt_layout("anchored_deep")
class DeepAnchoredLayout(AnchoredLayout):
    """MaPLe's AnchorOPT layout (spec §3.5): deep text prompts rearranged by the input layer's P.

    Upstream draws Π between MaPLe's shallow projection and its deep prompts, so the trainer calls
    `draw_position_logits` there.
    """

    positions_drawn_at_init = False

    def __init__(self, cfg, classnames, clip_model, context):
        if cfg.TRAINER.ANCHOROPT.ANCHOR_LEN != 1:
            raise ConfigError("The MaPLe deep AnchorOPT variant carries one anchor: set TRAINER.ANCHOROPT.ANCHOR_LEN 1")
        super().__init__(cfg, classnames, clip_model, context)

    def deep_text_hook(self, deep_prompts):
        return AnchoredDeepPrompts(self.positions, deep_prompts, self.n_ctx, self.deep_anchor_index == "fixed")


class AnchoredDeepPrompts:
    """MaPLe text block hook for AnchorOPT (spec §3.5): at block j the window takes ``P·[g_j ; h]``.

    `h` is the hidden state carried for the anchor: read at ``1 + i*`` where the anchor sits
    (`fixed`), or at ``i*`` as upstream does (an off-by-one); ``i*`` is the first slot whose row of P
    picks the anchor. Without such a slot the window is ``P[:, :N]·g_j``.
    """

    def __init__(self, positions, deep_prompts, n_ctx, fixed_index):
        self.positions = positions
        self.prompts = list(deep_prompts)
        self.n_ctx = n_ctx
        self.fixed_index = fixed_index
        anchor_rows = (positions.argmax(dim=-1) == n_ctx).nonzero().flatten().tolist()
        self.anchor_row = anchor_rows[0] if anchor_rows else None

    @property
    def deepest_layer(self):
        return len(self.prompts)

    @property
    def window_end(self):
        """The hook reads and writes nothing at or past this position (SOT plus the P slots)."""
        return 1 + self.positions.shape[0]

    def __call__(self, layer_index, x):
        if not 1 <= layer_index <= len(self.prompts):
            return x
        positions = self.positions.to(x.dtype)
        prompt = self.prompts[layer_index - 1].to(x.dtype).expand(x.shape[0], self.n_ctx, x.shape[2])
        if self.anchor_row is None:
            slots = positions[:, : self.n_ctx] @ prompt
        else:
            carried = self.anchor_row + 1 if self.fixed_index else self.anchor_row
            slots = positions @ torch.cat([prompt, x[:, carried : carried + 1]], dim=1)
        return torch.cat([x[:, :1], slots, x[:, 1 + positions.shape[0] :]], dim=1)


class AnchorOPTMixin:
    """AnchorOPT on top of a baseline trainer: ``class X_AnchorOPT(AnchorOPTMixin, X)``.

    Adds the frozen anchor branch ``z_a = s·norm(f_img)·norm(t_a)ᵀ`` (its text features encoded once
    per run), the loss ``λ_CE·CE(z_n) + λ_KD·KD`` and the test rule: base classes scored by the
    baseline's own logits, new classes by ``(z_n + z_a)/2``, ``all`` per XD_LOGITS.
    """

    prompt_layout = "anchored"
    learner_name = "normal_prompt_learner"
    distills = True  # False: no KD, λ_CE scales the baseline's own loss (DePT)
    # What upstream draws from the RNG before the soft tokens and then throws away (REPLAY_UPSTREAM_DRAWS)
    upstream_discarded_draws = ()

    @property
    def anchoropt_cfg(self):
        return self.cfg.TRAINER.ANCHOROPT

    def build_layout(self, classnames, context):
        if self.anchoropt_cfg.REPLAY_UPSTREAM_DRAWS:
            replay_discarded_draws(self.clip_model, self.anchoropt_cfg.ANCHOR_LEN, self.upstream_discarded_draws)
        return super().build_layout(classnames, self.anchored_context(context))

    def anchored_context(self, context):
        """Upstream AnchorOPT ignores the baselines' CTX_INIT: random soft tokens, TRAINER.ANCHOROPT.N_CTX of them."""
        return replace(context, init_text="")

    def build_model(self):
        super().build_model()
        layout = self.prompt_learner
        self.anchor_prompt = AnchorPrompt(layout.classnames, self.clip_model, layout.anchor).to(self.device)
        self.anchor_prompt.requires_grad_(False)
        self._anchor_text_features = None
        if self.cfg.TRAINER.CACHE_FROZEN_TEXT_FEATURES:
            self._anchor_text_features = self.anchor_text_features()
        if layout.test_position == "sample":
            self.eval_cache = EvaluationCache(enabled=False)  # P, hence the text features, change per test batch
        self._encoded_images = (None, None)

    def encode_images(self, images):
        features = super().encode_images(images)
        self._encoded_images = (images, features)
        return features

    def anchor_logits(self, images):
        """z_a from the frozen branch, reusing the baseline's image features when no prompt enters the image tower."""
        seen_images, features = self._encoded_images
        if not self.frozen_image_encoder or seen_images is not images:
            features = self.frozen_image_features(images)
        return cosine_logits(features.detach(), self.anchor_text_features(), self.logit_scale)

    @torch.no_grad()
    def anchor_text_features(self):
        """Frozen anchor-branch features [C, E]: encoded once per run, or at every use as upstream does (W-G10)."""
        if self._anchor_text_features is not None:
            return self._anchor_text_features
        return self.anchor_prompt.text_features(self.text_encoder)

    def logits(self, images, text_features=None):
        with self.prompt_learner.shared_positions():
            return super().logits(images, text_features)

    def compute_loss(self, images, labels):
        options = self.anchoropt_cfg
        if not self.distills:
            loss, summary = super().compute_loss(images, labels)
            loss = options.PROMPT_CE_WEIGHT * loss
            summary["loss"] = loss.item()
            return loss, summary
        prompt_logits = self.logits(images)
        anchor_logits = self.anchor_logits(images)
        loss = anchoropt_loss(
            prompt_logits, anchor_logits, labels, options.PROMPT_CE_WEIGHT, options.KD_WEIGHT, options.KD_TEMPERATURE
        )
        return loss, self.loss_summary(loss, prompt_logits, labels)

    def test_scoring(self):
        """"prompt" (z_n, the baseline's logits) on classes seen in training, "ensemble" on unseen ones."""
        subsample = self.cfg.DATASET.SUBSAMPLE_CLASSES
        source_classes = subsample == "all" and self.cfg.DATASET.NAME == self.anchoropt_cfg.XD_SOURCE_DATASET
        if subsample == "base" or source_classes:
            return "prompt"
        if subsample == "new":
            return "ensemble"
        return self.anchoropt_cfg.XD_LOGITS

    def model_inference(self, images):
        prompt_logits = super().model_inference(images)
        if self.test_scoring() == "prompt":
            return prompt_logits
        return (prompt_logits + self.anchor_logits(images)) / 2

    def after_train(self):
        position_probs = torch.softmax(self.prompt_learner.position_logits.detach().float(), dim=-1)
        print(f"Position matrix softmax(Π) rows:\n{position_probs.cpu().numpy().round(3)}")
        print(f"Position matrix argmax(Π): {position_probs.argmax(dim=-1).tolist()}")
        super().after_train()
