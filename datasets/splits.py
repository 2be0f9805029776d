"""Train/val/test splits shared by every reader: the ``split_zhou_*.json`` format, the random
fallbacks that create a split when that file is missing, and base/new class subsampling.

The calls into Python's global ``random`` (which function, in which order, over which item order)
are those of the original readers, so a seeded run builds the same split and picks the same
base/new classes.
"""
import math
import os
import random
from collections import defaultdict

from dassl.data.datasets import Datum
from dassl.utils import listdir_nohidden, read_json, write_json

SUBSAMPLE_CHOICES = ("all", "base", "new")
LISTING_ORDERS = ("filesystem", "sorted")


def list_images(folder, listing_order="filesystem"):
    """Non-hidden names in ``folder``: upstream's file-system order, or sorted (machine-independent)."""
    if listing_order not in LISTING_ORDERS:
        raise ValueError(f"DATASET.LISTING_ORDER must be one of {LISTING_ORDERS}, got {listing_order!r}")
    return listdir_nohidden(folder, sort=listing_order == "sorted")


def checked_datum(impath, label, classname, listed_in):
    """A Datum whose missing image fails with one line naming the image and the list it came from."""
    if not os.path.isfile(impath):
        raise FileNotFoundError(
            f"Image not found: {impath} (listed in {listed_in}) — check DATASET.ROOT and that the "
            "images were extracted as DATASETS.md describes"
        )
    return Datum(impath=impath, label=label, classname=classname)


def read_split(filepath, path_prefix):
    """Read a split JSON: ``{"train"|"val"|"test": [[relative impath, label, classname], ...]}``."""
    print(f"Reading split from {filepath}")
    split = read_json(filepath)
    missing = [key for key in ("train", "val", "test") if key not in split]
    if missing:
        raise ValueError(f"Split file {filepath} lacks the key(s) {missing}; expected train, val and test")

    def to_datums(entries):
        return [
            checked_datum(os.path.join(path_prefix, impath), int(label), classname, filepath)
            for impath, label, classname in entries
        ]

    return to_datums(split["train"]), to_datums(split["val"]), to_datums(split["test"])


def save_split(train, val, test, filepath, path_prefix):
    """Write the split JSON with paths relative to ``path_prefix`` (forward slashes, as published)."""

    def to_entries(items):
        entries = []
        for item in items:
            impath = item.impath.replace(path_prefix, "").replace(os.sep, "/")
            entries.append((impath.lstrip("/"), item.label, item.classname))
        return entries

    write_json({"train": to_entries(train), "val": to_entries(val), "test": to_entries(test)}, filepath)
    print(f"Saved split to {filepath}")


def split_trainval(trainval, p_val=0.2):
    """Per class (first-appearance order): shuffle, the first ``round(n * p_val)`` go to val."""
    p_trn = 1 - p_val
    print(f"Splitting trainval into {p_trn:.0%} train and {p_val:.0%} val")
    indices_by_label = defaultdict(list)
    for index, item in enumerate(trainval):
        indices_by_label[item.label].append(index)

    train, val = [], []
    for label, indices in indices_by_label.items():
        n_val = round(len(indices) * p_val)
        if n_val <= 0:
            raise ValueError(f"Class {label} has {len(indices)} train+val images, too few to hold out {p_val:.0%}")
        random.shuffle(indices)
        for position, index in enumerate(indices):
            (val if position < n_val else train).append(trainval[index])
    return train, val


def split_shuffled_class(impaths, label, classname, p_trn, p_val, train, val, test, listed_in):
    """Shuffle one class's images and append them to train/val/test by proportion (in place)."""
    random.shuffle(impaths)
    n_total = len(impaths)
    n_train = round(n_total * p_trn)
    n_val = round(n_total * p_val)
    if min(n_train, n_val, n_total - n_train - n_val) <= 0:
        raise ValueError(f"Class {classname!r} has {n_total} images, too few for a train/val/test split")
    for position, impath in enumerate(impaths):
        target = train if position < n_train else val if position < n_train + n_val else test
        target.append(checked_datum(impath, label, classname, listed_in))


def read_and_split_data(image_dir, p_trn=0.5, p_val=0.2, ignored=(), new_cnames=None, listing_order="filesystem"):
    """Split a folder-per-class tree: classes sorted by folder name, images shuffled per class.

    The shuffle starts from the images in ``listing_order`` (see ``list_images``): the default is
    upstream's file-system order, so a seed splits as the original does on the same machine.
    """
    categories = sorted(c for c in listdir_nohidden(image_dir) if c not in ignored)
    p_tst = 1 - p_trn - p_val
    print(f"Splitting into {p_trn:.0%} train, {p_val:.0%} val, and {p_tst:.0%} test")

    train, val, test = [], [], []
    for label, category in enumerate(categories):
        category_dir = os.path.join(image_dir, category)
        impaths = [os.path.join(category_dir, name) for name in list_images(category_dir, listing_order)]
        classname = (new_cnames or {}).get(category, category)
        split_shuffled_class(impaths, label, classname, p_trn, p_val, train, val, test, category_dir)
    return train, val, test


def subsample_classes(*datasets, subsample="all"):
    """Keep the base (first ceil(n/2) sorted labels of ``datasets[0]``) or new half, relabelled from 0.

    ``all`` returns the inputs unchanged (as the tuple); otherwise a list of new lists.
    """
    if subsample not in SUBSAMPLE_CHOICES:
        raise ValueError(f"DATASET.SUBSAMPLE_CLASSES must be one of {SUBSAMPLE_CHOICES}, got {subsample!r}")
    if subsample == "all":
        return datasets

    labels = sorted({item.label for item in datasets[0]})
    half = math.ceil(len(labels) / 2)
    print(f"SUBSAMPLE {subsample.upper()} CLASSES!")
    selected = labels[:half] if subsample == "base" else labels[half:]
    relabel = {old: new for new, old in enumerate(selected)}

    return [
        [
            Datum(impath=item.impath, label=relabel[item.label], classname=item.classname)
            for item in dataset
            if item.label in relabel
        ]
        for dataset in datasets
    ]
