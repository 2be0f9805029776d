"""AnchorOPT anchors: the "X of {class}." prompt, the stage-I objective and anchor files.

Shared by stage I (which learns the anchor) and stage II (which freezes it as a second branch),
so the anchor prompt is built in exactly one place.
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

import clip
from dassl.utils import load_checkpoint

from ..parts.logits import l2_normalize
from ..parts.prompt_layout import embed_token_ids, identical_leading_positions

ANCHOR_PARAM_NAME = "anchor_ctx_1"
ANCHOR_BUFFER_NAMES = ("token_prefix", "token_of", "token_suffix")
ANCHOR_INIT_STD = 0.02
PLACEHOLDER = "X"


def initial_anchor(anchor_len, width, dtype):
    """Stage I's random anchor ``[L_a, D]``: normal(0, 0.02) drawn on the CPU in `dtype`, as upstream."""
    anchor = torch.empty(anchor_len, width, dtype=dtype)
    nn.init.normal_(anchor, std=ANCHOR_INIT_STD)
    return anchor


class AnchorPrompt(nn.Module):
    """``[SOS][anchor_1..L_a][of][class tokens][.][EOS][pad]`` for every class.

    Its state dict keys are those of the released stage-I checkpoints (``anchor_ctx_1`` plus the
    three frozen token buffers), so ours and the original files are interchangeable. `anchor`
    ``[L_a, D]`` is kept in its own dtype (an fp32 master copy, or the CLIP dtype as upstream) and
    cast at use.
    """

    def __init__(self, classnames, clip_model, anchor):
        super().__init__()
        device = clip_model.token_embedding.weight.device
        anchor_len = anchor.shape[0]
        self.anchor_ctx_1 = nn.Parameter(anchor.detach().clone().to(device))

        placeholders = " ".join([PLACEHOLDER] * anchor_len)
        token_ids = clip.tokenize([f"{placeholders} of {name}." for name in classnames])
        embedding = embed_token_ids(clip_model, token_ids)
        self.register_buffer("token_prefix", embedding[:, :1])
        self.register_buffer("token_of", embedding[:, 1 + anchor_len : 2 + anchor_len])
        self.register_buffer("token_suffix", embedding[:, 2 + anchor_len :])
        self.register_buffer("eot_index", token_ids.argmax(dim=-1).to(device), persistent=False)
        self.shared_name_positions = identical_leading_positions(self.token_suffix)
        self.classnames = list(classnames)
        self.anchor_len = anchor_len

    def forward(self):
        """Token embeddings ``[C, 77, D]`` of the anchor prompts (positional embedding not added)."""
        num_classes = self.token_prefix.shape[0]
        anchor = self.anchor_ctx_1.to(self.token_prefix.dtype).unsqueeze(0).expand(num_classes, -1, -1)
        return torch.cat([self.token_prefix, anchor, self.token_of, self.token_suffix], dim=1)

    def text_features(self, text_encoder):
        """Raw anchor text features ``[C, E]`` (``text_encoder(embeddings, pool_index)``, frozen CLIP)."""
        return text_encoder(self(), self.eot_index, shared_prefix=self.shared_prefix_length)

    @property
    def shared_prefix_length(self):
        """``[SOS][anchor][of]`` plus any leading class-name tokens that every class has in common."""
        return 2 + self.anchor_len + self.shared_name_positions

    def load_anchor(self, anchor):
        """Copy a stage-I anchor ``[L_a, D]`` in (any dtype/device)."""
        expected = tuple(self.anchor_ctx_1.shape)
        if tuple(anchor.shape) != expected:
            raise ValueError(f"Anchor has shape {tuple(anchor.shape)}, expected {expected} (TRAINER.ANCHOROPT.ANCHOR_LEN)")
        with torch.no_grad():
            self.anchor_ctx_1.copy_(anchor)


def read_anchor_file(path):
    """The ``anchor_ctx_1`` tensor of a stage-I checkpoint (ours or a released original one).

    Only that tensor is read: the token buffers belong to the stage-I class list and are discarded.
    """
    state_dict = load_checkpoint(path)["state_dict"]
    if ANCHOR_PARAM_NAME not in state_dict:
        raise KeyError(f"{path} holds no '{ANCHOR_PARAM_NAME}' (keys: {sorted(state_dict)}); not a stage-I anchor checkpoint")
    return state_dict[ANCHOR_PARAM_NAME].float().cpu()


def load_descriptions(path, classnames, per_class):
    """The first ``per_class`` sentences of every class from a CuPL-style ``{classname: [sentence, ...]}`` JSON."""
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"Descriptions file not found: {path} (TRAINER.ANCHOROPT.DESCRIPTIONS_FILE) — "
            "generate one with python -m scripts.llm.generate_descriptions"
        )
    with open(path, encoding="utf-8") as f:
        descriptions = json.load(f)
    selected = []
    for name in classnames:
        if name not in descriptions:
            raise KeyError(f"Class '{name}' is missing from descriptions file {path}; add it or regenerate the file")
        sentences = descriptions[name]
        if isinstance(sentences, str) or len(sentences) < per_class:
            raise ValueError(
                f"Class '{name}' in {path} has fewer than {per_class} descriptions "
                "(TRAINER.ANCHOROPT.MAX_TEMPLATE_LENGTH)"
            )
        selected.append(list(sentences[:per_class]))
    return selected


@torch.no_grad()
def encode_descriptions(clip_model, descriptions, chunk_size=1000):
    """L2-normalised frozen text features ``[C, M, D]`` of ``descriptions`` (C lists of M sentences)."""
    sentences = [sentence for per_class in descriptions for sentence in per_class]
    device = clip_model.token_embedding.weight.device
    features = []
    for start in range(0, len(sentences), chunk_size):
        token_ids = clip.tokenize(sentences[start : start + chunk_size]).to(device)
        features.append(l2_normalize(clip_model.encode_text(token_ids)))
    return torch.cat(features).view(len(descriptions), len(descriptions[0]), -1)


def stage_one_loss(anchor_features, description_features, mse_weight):
    """``w · mean_{c,m,d} (a_c[d] − T[c,m,d])²``: the anchor feature repeated over the M descriptions."""
    repeated = anchor_features.unsqueeze(1).expand_as(description_features)
    return mse_weight * F.mse_loss(repeated, description_features)
