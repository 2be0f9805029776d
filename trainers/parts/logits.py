"""Cosine-similarity logits in the original evaluation order (spec 1.8)."""


def l2_normalize(features):
    return features / features.norm(dim=-1, keepdim=True)


def scaled_similarity(image_units, text_units, logit_scale):
    """exp(logit_scale) * img @ txt.T on unit vectors, the scale applied to the image side first as upstream does."""
    return (logit_scale.exp() * image_units) @ text_units.t()


def cosine_logits(image_features, text_features, logit_scale):
    """Scaled cosine similarity of raw features [B, E] and [C, E]; both are normalised in their own dtype."""
    return scaled_similarity(l2_normalize(image_features), l2_normalize(text_features), logit_scale)
