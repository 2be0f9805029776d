"""Small file-system, JSON, seeding and name-matching helpers used across the engine and readers."""
import difflib
import json
import os
import random
import warnings

import numpy as np
import PIL
import torch
from PIL import Image

from .files import atomic_write, mkdir_if_missing  # noqa: F401  (Dassl's names in dassl.utils.tools)


def check_isfile(fpath):
    """Return whether ``fpath`` is a file; warn when it is not, like Dassl does."""
    isfile = os.path.isfile(fpath)
    if not isfile:
        warnings.warn(f'No file found at "{fpath}"')
    return isfile


def read_json(fpath):
    with open(fpath, "r") as f:
        return json.load(f)


def write_json(obj, fpath):
    """Dassl's JSON layout (indent 4), written atomically."""
    atomic_write(fpath, lambda f: json.dump(obj, f, indent=4, separators=(",", ": ")))


def set_random_seed(seed):
    """Seed every RNG the engine draws from; any int >= 0 (including 0) is a valid seed."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


class ImageReadError(OSError):
    """An unreadable image file.

    A DataLoader worker re-raises errors as ``type(error)("Caught ... Original Traceback ...")``;
    this class keeps only the original one-line message, so the user sees the file, not a worker dump.
    """

    def __init__(self, message):
        if message.startswith("Caught ") and "Traceback" in message:
            last_line = message.rstrip().splitlines()[-1]
            message = last_line.split(": ", 1)[1] if ": " in last_line else last_line
        super().__init__(message)


def read_image(path):
    """Open an image as RGB; a missing or corrupt file fails with an error naming it."""
    try:
        with Image.open(path) as img:
            return img.convert("RGB")
    except (OSError, ValueError) as error:
        raise ImageReadError(f'Cannot read image "{path}" ({error}); replace or remove this file') from None


def collect_env_info():
    from torch.utils.collect_env import get_pretty_env_info

    return get_pretty_env_info() + f"\n        Pillow ({PIL.__version__})"


def listdir_nohidden(path, sort=False):
    """Entries of ``path`` not starting with '.'; ``sort=True`` gives a filesystem-independent order."""
    items = [name for name in os.listdir(path) if not name.startswith(".")]
    if sort:
        items.sort()
    return items


def get_most_similar_str_to_a_from_b(a, b):
    """The entry of ``b`` most similar to ``a``; ties go to the later candidate (Dassl's rule)."""
    highest_sim = 0
    chosen = None
    for candidate in b:
        sim = difflib.SequenceMatcher(None, a, candidate).ratio()
        if sim >= highest_sim:
            highest_sim = sim
            chosen = candidate
    return chosen


def check_availability(requested, available):
    if requested not in available:
        closest = get_most_similar_str_to_a_from_b(requested, available)
        raise ValueError(
            f"The requested one is expected to belong to {available}, "
            f"but got [{requested}] (do you mean [{closest}]?)"
        )


def tolist_if_not(x):
    if not isinstance(x, list):
        x = [x]
    return x
