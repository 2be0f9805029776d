"""ATPrompt: fixed attribute words anchored between learnable soft tokens (spec atprompt-anchoropt §1).

Layout with K attributes `w_k`, attribute soft lengths `A_k` and N class soft tokens:

    [SOT] a^1 (A_1) w_1 a^2 (A_2) w_2 ... a^K (A_K) w_K  t (N)  <class tokens> . [EOT] ...

Attribute soft tokens are shared by all classes and never shifted (CoCoOp's meta-net shifts `t`
only); MaPLe's deep prompts replace only `t`, so attribute tokens flow on in the residual stream.
"""
import functools
import os

import torch
import yaml
from torch import nn

from dassl.config import ConfigError

from ..config import config_extension, config_finalizer, section
from ..parts.precision import learnable_dtype
from ..parts.prompt_layout import (PromptLayout, expand_to, name_token_count, random_context,
                                   register_prompt_layout)

MAX_ATTRIBUTES = 3
TOKENIZATIONS = ("first_token_upstream", "full_span")
XD_ATTRIBUTE_SOURCES = ("source", "target_upstream")
DEEP_WINDOWS = ("real_lengths", "upstream_n_ctx")
UNSET_WORD = "none"
ATTRIBUTE_TABLE_PATH = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "configs", "atprompt",
    "attributes.yaml",
)
ATTRIBUTE_STD = 0.01
CLASS_CONTEXT_STD = 0.02


@config_extension
def add_atprompt_keys(cfg):
    atp = section(cfg.TRAINER, "ATPROMPT")
    atp.USE_ATPROMPT = False  # use the attribute layout (the *_ATP trainers fall back to the plain one when False)
    atp.ATT_NUM = 0  # number of attributes K (1-3); 0 = take the searched words of configs/atprompt/attributes.yaml
    atp.N_ATT1 = 4  # soft tokens before attribute 1 (scripts set N_ATT1..3 = the class context length)
    atp.N_ATT2 = 4
    atp.N_ATT3 = 4
    atp.ATT1_TEXT = UNSET_WORD  # attribute words; explicit values win over the table
    atp.ATT2_TEXT = UNSET_WORD
    atp.ATT3_TEXT = UNSET_WORD
    # How an attribute word of several BPE tokens ("playfulness" = play+fulness) is placed.
    # first_token_upstream: as the published numbers were made: every word is assumed to be one token,
    #   so a multi-token word keeps its first token and shifts the rest of the template (W-A1);
    # full_span: what the paper intends: every token of every word sits between its soft blocks.
    atp.ATTRIBUTE_TOKENIZATION = "first_token_upstream"
    # Attributes of a cross-dataset target when ATT_NUM is 0.
    # source: the paper's protocol: the words of SOURCE_DATASET (the training dataset);
    # target_upstream: upstream's code: the target dataset's own row of the table.
    atp.XD_ATTRIBUTES = "source"
    atp.SOURCE_DATASET = ""  # DATASET.NAME the prompts were trained on ("" = the current dataset)
    # Positions MaPLe's deep text prompts overwrite (W-A4).
    # real_lengths: the class soft tokens, wherever the attribute blocks and words put them (the fix);
    # upstream_n_ctx: upstream's 1 + K*(MAPLE.N_CTX + 1), which assumes N_ATTk = MAPLE.N_CTX and one-token
    #   words; it differs only where they do not, e.g. upstream's cross-dataset script (N_ATT 4, N_CTX 2).
    atp.DEEP_WINDOW = "real_lengths"


@functools.lru_cache(maxsize=None)
def load_attribute_table(path=ATTRIBUTE_TABLE_PATH):
    """DATASET.NAME -> {"bases": [...], "searched": [...]}, with `same_as` rows resolved."""
    with open(path, encoding="utf-8") as f:
        raw = yaml.safe_load(f)
    table = {}
    for name, row in raw.items():
        target = raw[row["same_as"]] if "same_as" in row else row
        if not target.get("searched") or len(target["searched"]) > MAX_ATTRIBUTES:
            raise ConfigError(f"{path}: row {name!r} needs 1-{MAX_ATTRIBUTES} 'searched' words")
        table[name] = {"bases": list(target["bases"]), "searched": list(target["searched"])}
    return table


def _explicit_words(atp):
    """The ATT*_TEXT words given in the config, after checking ATT_NUM agrees with them."""
    words = [atp[f"ATT{k}_TEXT"] for k in range(1, MAX_ATTRIBUTES + 1)]
    given = [word for word in words if word != UNSET_WORD]
    if atp.ATT_NUM > MAX_ATTRIBUTES or atp.ATT_NUM < 0:
        raise ConfigError(f"TRAINER.ATPROMPT.ATT_NUM={atp.ATT_NUM}: ATPrompt supports 1-{MAX_ATTRIBUTES} attributes")
    count = atp.ATT_NUM or len(given)
    if words[:count] != given or (atp.ATT_NUM and len(given) < atp.ATT_NUM):
        raise ConfigError(
            f"TRAINER.ATPROMPT.ATT_NUM={atp.ATT_NUM} needs ATT1_TEXT..ATT{count}_TEXT set (got {words}); "
            "set them in order, or set neither to use configs/atprompt/attributes.yaml"
        )
    return words[:count]


def table_dataset_name(cfg):
    """The dataset whose table row applies (the source's for cross-dataset targets, see XD_ATTRIBUTES)."""
    atp = cfg.TRAINER.ATPROMPT
    if atp.XD_ATTRIBUTES not in XD_ATTRIBUTE_SOURCES:
        raise ConfigError(f"TRAINER.ATPROMPT.XD_ATTRIBUTES must be one of {XD_ATTRIBUTE_SOURCES}, "
                         f"got {atp.XD_ATTRIBUTES!r}")
    if atp.XD_ATTRIBUTES == "source" and atp.SOURCE_DATASET:
        return atp.SOURCE_DATASET
    return cfg.DATASET.NAME


def resolve_attribute_words(cfg):
    """Attribute words of a run: explicit ATT*_TEXT when given, else the table's searched words."""
    explicit = _explicit_words(cfg.TRAINER.ATPROMPT)
    if explicit:
        return explicit
    dataset = table_dataset_name(cfg)
    table = load_attribute_table()
    if dataset not in table:
        raise ConfigError(
            f"No ATPrompt attributes for dataset {dataset!r} in {ATTRIBUTE_TABLE_PATH}: add a row there or set "
            "TRAINER.ATPROMPT.ATT_NUM and ATT1_TEXT.. (e.g. ATT_NUM 1 ATT1_TEXT color)"
        )
    return table[dataset]["searched"]


@config_finalizer
def fill_attribute_words(cfg):
    """Write the resolved words into the config, so the run's config dump shows what was used."""
    if not cfg.TRAINER.ATPROMPT.USE_ATPROMPT:
        return
    words = resolve_attribute_words(cfg)
    cfg.TRAINER.ATPROMPT.ATT_NUM = len(words)
    for k, word in enumerate(words, start=1):
        cfg.TRAINER.ATPROMPT[f"ATT{k}_TEXT"] = word


def attribute_slot_lengths(words, tokenization):
    """Prompt positions each word occupies: its BPE span (full_span) or 1 (upstream's assumption)."""
    if tokenization not in TOKENIZATIONS:
        raise ConfigError(f"TRAINER.ATPROMPT.ATTRIBUTE_TOKENIZATION must be one of {TOKENIZATIONS}, "
                         f"got {tokenization!r}")
    if tokenization == "full_span":
        return [name_token_count(word) for word in words]
    return [1] * len(words)


@register_prompt_layout("atprompt")
class AttributeLayout(PromptLayout):
    """ATPrompt's text layout; parameters `ctx` (class soft tokens) and `ctx_att1..` (attribute soft tokens).

    From the config, all three attribute blocks exist (upstream checkpoints hold them) and the first K
    are used. The attribute search passes `attributes` and one `soft_lengths` entry per word instead.
    Frozen buffers: `token_prefix`, `token_middle1..K` (attribute words) and `token_suffix`.
    """

    def __init__(self, cfg, classnames, clip_model, context, attributes=None, soft_lengths=None,
                 draw_attribute_blocks=True):
        super().__init__(clip_model, [name.replace("_", " ") for name in classnames])
        if context.class_specific:
            raise ConfigError("ATPrompt shares its context across classes: set TRAINER.COOP.CSC False")
        if context.class_token_position != "end":
            raise ConfigError("ATPrompt puts the class name last: set TRAINER.COOP.CLASS_TOKEN_POSITION end")
        atp = cfg.TRAINER.ATPROMPT
        self.attributes = resolve_attribute_words(cfg) if attributes is None else list(attributes)
        self.n_ctx = context.n_ctx
        if soft_lengths is None:
            soft_lengths = [atp[f"N_ATT{k}"] for k in range(1, MAX_ATTRIBUTES + 1)]
        if len(soft_lengths) < len(self.attributes):
            raise ConfigError(f"{len(self.attributes)} attribute words but only {len(soft_lengths)} soft blocks")
        self.attribute_soft_lengths = list(soft_lengths)
        self.word_lengths = attribute_slot_lengths(self.attributes, atp.ATTRIBUTE_TOKENIZATION)
        if atp.DEEP_WINDOW not in DEEP_WINDOWS:
            raise ConfigError(f"TRAINER.ATPROMPT.DEEP_WINDOW must be one of {DEEP_WINDOWS}, got {atp.DEEP_WINDOW!r}")
        self.deep_window = atp.DEEP_WINDOW

        param_dtype = learnable_dtype(cfg, clip_model.dtype)
        device = clip_model.token_embedding.weight.device
        ctx = random_context((self.n_ctx, self.width), clip_model.dtype, CLASS_CONTEXT_STD)
        self.ctx = nn.Parameter(ctx.to(device, param_dtype))
        for k, length in enumerate(self.attribute_soft_lengths, start=1):
            block = torch.zeros(length, self.width, dtype=param_dtype, device=device)
            self.register_parameter(f"ctx_att{k}", nn.Parameter(block))
        if draw_attribute_blocks:
            self.draw_attribute_blocks()

        placeholder = self._placeholder_text()
        print(f'ATPrompt attributes: {self.attributes} ({atp.ATTRIBUTE_TOKENIZATION}); template: "{placeholder}"')
        embeddings = self.register_templates(clip_model, [f"{placeholder} {name}." for name in self.classnames])
        self.register_buffer("token_prefix", embeddings[:, :1])
        position = 1
        for k, word_length in enumerate(self.word_lengths, start=1):
            position += self.attribute_soft_lengths[k - 1]
            self.register_buffer(f"token_middle{k}", embeddings[:, position:position + word_length])
            position += word_length
        self.register_buffer("token_suffix", embeddings[:, position + self.n_ctx:])

    def draw_attribute_blocks(self):
        """normal(0, 0.01) values for ctx_att1, ctx_att2, ... in that order, drawn as `ctx` was.

        A separate step because upstream's ATP trainers draw them last in their prompt learner, after
        the baseline's own parts (CoCoOp's meta-net, MaPLe's projections): the *_ATP trainers call it
        then (`draw_attribute_blocks=False` at construction), so a seed gives upstream's initial values.
        """
        with torch.no_grad():
            for k in range(1, len(self.attribute_soft_lengths) + 1):
                block = getattr(self, f"ctx_att{k}")
                block.copy_(random_context(block.shape, self.dtype, ATTRIBUTE_STD))

    def _placeholder_text(self):
        """"X X w_1 X X w_2 ... X X" (A_k X's before w_k, then N X's), the string upstream tokenises."""
        words = []
        for k, attribute in enumerate(self.attributes):
            words += ["X"] * self.attribute_soft_lengths[k] + [attribute]
        return " ".join(words + ["X"] * self.n_ctx)

    @property
    def attribute_block_length(self):
        """Positions between SOT and the class soft tokens: attribute soft tokens plus attribute words."""
        return sum(self.attribute_soft_lengths[:len(self.attributes)]) + sum(self.word_lengths)

    def attribute_soft_tokens(self, k):
        """Soft tokens before attribute `k` (1-based) in the activation dtype, [A_k, D]."""
        return getattr(self, f"ctx_att{k}").to(self.dtype)

    def class_soft_tokens(self):
        return self.ctx.to(self.dtype)

    def deep_text_window(self):
        """MaPLe's deep prompts replace the class soft tokens only (see TRAINER.ATPROMPT.DEEP_WINDOW, W-A4)."""
        if self.deep_window == "upstream_n_ctx":
            return 1 + len(self.attributes) * (self.n_ctx + 1), self.n_ctx
        return 1 + self.attribute_block_length, self.n_ctx

    @property
    def shared_prefix_length(self):
        return 1 + self.attribute_block_length + self.n_ctx + self.shared_suffix_positions

    def assemble(self, class_tokens):
        leading = class_tokens.shape[:-3]
        parts = [expand_to(self.token_prefix, leading)]
        for k in range(1, len(self.attributes) + 1):
            soft = self.attribute_soft_tokens(k)
            parts.append(soft.expand(*leading, self.n_cls, *soft.shape))
            parts.append(expand_to(getattr(self, f"token_middle{k}"), leading))
        parts += [class_tokens, expand_to(self.token_suffix, leading)]
        return torch.cat(parts, dim=-2)
