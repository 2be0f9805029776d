"""Frozen class text features from hand-written templates (zero-shot weights), computed once per run."""
import torch

import clip

from .logits import l2_normalize


@torch.no_grad()
def template_text_features(clip_model, classnames, templates):
    """Unit-norm class features [C, E]; several templates are averaged per class and re-normalised."""
    device = clip_model.token_embedding.weight.device
    names = [name.replace("_", " ") for name in classnames]
    per_template = []
    for template in templates:
        token_ids = clip.tokenize([template.format(name) for name in names]).to(device)
        per_template.append(l2_normalize(clip_model.encode_text(token_ids)))
    if len(per_template) == 1:
        return per_template[0]
    return l2_normalize(torch.stack(per_template).mean(dim=0))
