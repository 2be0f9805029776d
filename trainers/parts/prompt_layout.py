"""Prompt layouts: where the learnable text tokens sit in CLIP's 77-token input.

A layout is the only thing the ATPrompt and AnchorOPT plug-ins change on the text side, so every
baseline obtains its layout from `build_prompt_layout` and talks to it through `PromptLayout`.
"""
import functools
from dataclasses import dataclass

import torch
from torch import nn

import clip
from clip.prompt_hooks import replace_tokens
from dassl.config import ConfigError

from .precision import learnable_dtype

CLASS_TOKEN_POSITIONS = ("end", "middle", "front")
PROMPT_LAYOUTS = {}


@dataclass(frozen=True)
class ContextSpec:
    """How a method's class context is initialised.

    `init_text` non-empty: the template prefix is that text and the first `n_ctx` of its tokens
    initialise the context (words beyond `n_ctx` stay as fixed text, MaPLe's "of a"); empty: random
    normal(0, 0.02) context and an "X X ..." placeholder prefix.
    """

    n_ctx: int
    init_text: str = ""
    class_specific: bool = False
    class_token_position: str = "end"


def prefix_context(n_ctx, ctx_init):
    """MaPLe-family context: the whole CTX_INIT is the template prefix, its first n_ctx tokens learnable,
    when n_ctx <= 4 (spec 3.4); otherwise random tokens."""
    if ctx_init and n_ctx <= 4:
        return ContextSpec(n_ctx, ctx_init.replace("_", " "))
    return ContextSpec(n_ctx)


def register_prompt_layout(name):
    """Class decorator making a layout selectable by name (a trainer's `prompt_layout` attribute)."""

    def register(layout_class):
        if name in PROMPT_LAYOUTS:
            raise KeyError(f"Prompt layout {name!r} is already registered by {PROMPT_LAYOUTS[name].__name__}")
        PROMPT_LAYOUTS[name] = layout_class
        return layout_class

    return register


def build_prompt_layout(cfg, classnames, clip_model, context, layout="plain"):
    """The one place a layout class is chosen."""
    if layout not in PROMPT_LAYOUTS:
        raise KeyError(f"Unknown prompt layout {layout!r}; registered: {sorted(PROMPT_LAYOUTS)}")
    return PROMPT_LAYOUTS[layout](cfg, [name.replace("_", " ") for name in classnames], clip_model, context)


def embed_token_ids(clip_model, token_ids):
    """Frozen token embeddings of `token_ids` in the CLIP dtype, on CLIP's device."""
    device = clip_model.token_embedding.weight.device
    with torch.no_grad():
        return clip_model.token_embedding(token_ids.to(device)).type(clip_model.dtype)


def random_context(shape, dtype, std=0.02):
    """normal(0, std) context drawn on the CPU generator in the CLIP dtype, as upstream builds its
    prompt learners on the CPU before moving them: a seed gives the same context on any device."""
    ctx = torch.empty(shape, dtype=dtype)
    nn.init.normal_(ctx, std=std)
    return ctx


def name_token_count(name):
    """Number of BPE tokens of a class name (its EOT index minus the SOT)."""
    return int(clip.tokenize(name).argmax(dim=-1)) - 1


class PromptLayout(nn.Module):
    """Owns a prompt's learnable text tokens and assembles `(embeddings [..., C, 77, D], pool_index [C])`.

    Subclasses implement `class_soft_tokens`, `assemble` and `deep_text_window`. Every persistent
    buffer of a layout depends on the class list and is rebuilt, never loaded, from checkpoints.
    """

    def __init__(self, clip_model, classnames):
        super().__init__()
        self.classnames = list(classnames)
        self.n_cls = len(self.classnames)
        self.dtype = clip_model.dtype
        self.width = clip_model.ln_final.weight.shape[0]

    def register_templates(self, clip_model, texts):
        """Tokenise one template sentence per class; returns their embeddings [C, 77, D]."""
        token_ids = clip.tokenize(texts)
        self.register_buffer("tokenized_prompts", token_ids.to(clip_model.token_embedding.weight.device),
                             persistent=False)
        return embed_token_ids(clip_model, token_ids)

    @property
    def pool_index(self):
        """Position pooled by the text encoder: the template's EOT (largest token id)."""
        return self.tokenized_prompts.argmax(dim=-1)

    def class_soft_tokens(self):
        """Learnable class context in the activation dtype: [n, D] (shared) or [C, n, D]."""
        raise NotImplementedError

    def assemble(self, class_tokens):
        """Full sequences [..., C, 77, D] from class soft tokens [..., C, n, D]."""
        raise NotImplementedError

    def deep_text_window(self):
        """(start, length) of the positions MaPLe's deep text prompts overwrite."""
        raise NotImplementedError

    @property
    def shared_prefix_length(self):
        """Leading positions that are one tensor for every class of a prompt set (SOT, shared context,
        fixed words), which the text encoder then runs once. 0, the safe default, shares nothing.
        """
        return 0

    @functools.cached_property
    def shared_suffix_positions(self):
        """Leading positions of the frozen `token_suffix` that every class has in common (fixed words
        such as MaPLe's "of a"), counted once: the buffer never changes after construction."""
        return identical_leading_positions(self.token_suffix)

    def forward(self, class_shift=None):
        """Prompt embeddings for every class, shifted per image by `class_shift` [B, D] if given (CoCoOp)."""
        tokens = self.class_soft_tokens()
        if tokens.dim() == 2:
            tokens = tokens.expand(self.n_cls, -1, -1)
        if class_shift is not None:
            tokens = tokens.unsqueeze(0) + class_shift.to(tokens.dtype)[:, None, None, :]
        return self.assemble(tokens), self.pool_index

    def deep_text_hook(self, deep_prompts):
        """Block hook writing deep prompt `j` ([n, D]) into this layout's window at text block `j + 1`."""
        start, length = self.deep_text_window()
        for prompt in deep_prompts:
            if prompt.shape[0] != length:
                raise ValueError(f"Deep text prompt of {prompt.shape[0]} tokens for a window of {length}")
        return replace_tokens(start, [prompt.to(self.dtype) for prompt in deep_prompts])


def identical_leading_positions(buffer):
    """How many leading positions of a frozen [C, k, D] buffer hold the same embedding for every class."""
    differs = (buffer != buffer[:1]).flatten(2).any(dim=-1).any(dim=0)
    return int(differs.int().argmax()) if bool(differs.any()) else buffer.shape[1]


def expand_to(buffer, leading_shape):
    """View of a [C, k, D] buffer broadcast to [*leading_shape, C, k, D]."""
    return buffer.expand(*leading_shape, *buffer.shape)


@register_prompt_layout("plain")
class PlainContextLayout(PromptLayout):
    """CoOp's layout: `[SOT] ctx_1..ctx_n <class> . [EOT]`, generic or class-specific, class at end/middle/front."""

    def __init__(self, cfg, classnames, clip_model, context):
        super().__init__(clip_model, classnames)
        if context.class_token_position not in CLASS_TOKEN_POSITIONS:
            raise ConfigError(
                f"CLASS_TOKEN_POSITION must be one of {CLASS_TOKEN_POSITIONS}, got {context.class_token_position!r}"
            )
        n_ctx = context.n_ctx
        self.n_ctx = n_ctx
        self.class_token_position = context.class_token_position
        param_dtype = learnable_dtype(cfg, clip_model.dtype)
        if context.init_text:
            init_tokens = embed_token_ids(clip_model, clip.tokenize(context.init_text))
            ctx = init_tokens[0, 1:1 + n_ctx].to(param_dtype)
            prefix = context.init_text
        else:
            shape = (self.n_cls, n_ctx, self.width) if context.class_specific else (n_ctx, self.width)
            ctx = random_context(shape, clip_model.dtype).to(clip_model.token_embedding.weight.device, param_dtype)
            prefix = " ".join(["X"] * n_ctx)
        print(f'Initial context: "{prefix}"')
        print(f"Number of context words (tokens): {n_ctx}")
        self.ctx = nn.Parameter(ctx)
        self.name_lens = [name_token_count(name) for name in self.classnames]
        embeddings = self.register_templates(clip_model, [f"{prefix} {name}." for name in self.classnames])
        self.register_buffer("token_prefix", embeddings[:, :1])
        self.register_buffer("token_suffix", embeddings[:, 1 + n_ctx:])

    def class_soft_tokens(self):
        return self.ctx.to(self.dtype)

    def deep_text_window(self):
        return 1, self.n_ctx

    @property
    def shared_prefix_length(self):
        if self.class_token_position != "end" or self.ctx.dim() == 3:
            return 0
        return 1 + self.n_ctx + self.shared_suffix_positions

    def assemble(self, class_tokens):
        leading = class_tokens.shape[:-3]
        prefix = expand_to(self.token_prefix, leading)
        suffix = expand_to(self.token_suffix, leading)
        if self.class_token_position == "end":
            return torch.cat([prefix, class_tokens, suffix], dim=-2)
        rows = []
        half = self.n_ctx // 2
        for index, name_len in enumerate(self.name_lens):
            row = slice(index, index + 1)
            ctx, name, rest = class_tokens[..., row, :, :], suffix[..., row, :name_len, :], suffix[..., row, name_len:, :]
            if self.class_token_position == "middle":
                parts = [prefix[..., row, :, :], ctx[..., :half, :], name, ctx[..., half:, :], rest]
            else:
                parts = [prefix[..., row, :, :], name, ctx, rest]
            rows.append(torch.cat(parts, dim=-2))
        return torch.cat(rows, dim=-3)
