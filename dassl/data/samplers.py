"""Samplers by name. The CoOp family uses only RandomSampler (train) and SequentialSampler (test)."""
from torch.utils.data.sampler import RandomSampler, SequentialSampler

SAMPLER_TYPES = ["RandomSampler", "SequentialSampler"]


def build_sampler(sampler_type, cfg=None, data_source=None, batch_size=32, n_domain=0, n_ins=16):
    """Dassl's signature; the domain/class-balanced samplers of stock Dassl are not provided."""
    if sampler_type == "RandomSampler":
        return RandomSampler(data_source)
    if sampler_type == "SequentialSampler":
        return SequentialSampler(data_source)
    raise ValueError(f"Unknown sampler type: {sampler_type} (supported: {SAMPLER_TYPES})")
