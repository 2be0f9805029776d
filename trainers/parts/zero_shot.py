"""Frozen class text features from hand-written templates (zero-shot weights), computed once per run."""
import copy

import torch

import clip

from .logits import l2_normalize


@torch.no_grad()
def template_text_features(clip_model, classnames, templates):
    """Unit-norm class features [C, E]; several templates are averaged per class and re-normalised.

    The average is a running sum in the activation dtype divided by the count, CoOp's order of
    operations (under fp16 a fused mean would round differently).
    """
    device = clip_model.token_embedding.weight.device
    names = [name.replace("_", " ") for name in classnames]
    total = 0
    for template in templates:
        token_ids = clip.tokenize([template.format(name) for name in names]).to(device)
        total = total + l2_normalize(clip_model.encode_text(token_ids))
    if len(templates) == 1:
        return total
    return l2_normalize(total / len(templates))


@torch.no_grad()
def mean_template_features(clip_model, classnames, templates):
    """Class features [C, E] averaged over templates *before* normalising (PromptSRC's frozen text
    target), on the frozen text tower in fp32 as upstream computes it."""
    model = clip_model if clip_model.dtype == torch.float32 else copy.deepcopy(clip_model).float()
    device = model.token_embedding.weight.device
    names = [name.replace("_", " ") for name in classnames]
    features = [model.encode_text(clip.tokenize([template.format(name) for name in names]).to(device),
                                  own_prompts=False) for template in templates]
    return torch.stack(features, dim=1).mean(dim=1)
