"""Per-sample augmentation seeds: the random draws of one item's transform depend only on (seed, epoch, index).

torchvision's random transforms draw from torch's global CPU generator and Dassl's own from `random` and
NumPy, so the item's transform runs with all three seeded for it and restored afterwards: the view is then
the same in any DataLoader worker (or none) and on any rank, and the caller's streams are left untouched.
"""
import hashlib
import random
from contextlib import contextmanager

import numpy as np
import torch


def sample_seed(seed, epoch, index):
    """A 63-bit seed that depends on (seed, epoch, index) only (negative run seeds included)."""
    digest = hashlib.sha256(f"{seed}/{epoch}/{index}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


@contextmanager
def seeded_randomness(seed):
    """Run the block with torch's CPU generator, `random` and NumPy seeded by `seed`; restore them after."""
    python_state, numpy_state = random.getstate(), np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        random.seed(seed)
        np.random.seed(seed % 2**32)
        try:
            yield
        finally:
            random.setstate(python_state)
            np.random.set_state(numpy_state)
