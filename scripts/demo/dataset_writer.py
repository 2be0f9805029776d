"""Writes the world as a CoOp-format dataset that ``datasets/procedural_world.py`` reads.

Layout under ``<root>/procedural_world/``: ``images/<class_folder>/<split>_<index>.png``,
``split_zhou_ProceduralWorld.json`` (paths relative to ``images/``), ``descriptions.json``
(AnchorOPT stage I) and ``world.json`` (what was generated, for checks). The folder is built under
a temporary name and renamed at the end, so a crash never leaves a half-written dataset.
"""
import os
import shutil
import tempfile
from dataclasses import dataclass

from PIL import Image

from dassl.utils import read_json, write_json

from .captions import class_descriptions
from .world import base_and_novel, image_rng, render, world_classes

DATASET_FOLDER = "procedural_world"
IMAGE_FOLDER = "images"
SPLIT_FILE = "split_zhou_ProceduralWorld.json"
DESCRIPTIONS_FILE = "descriptions.json"
WORLD_FILE = "world.json"


@dataclass(frozen=True)
class DatasetSize:
    """Images per class and split; train must hold the 16 shots, val the 4 val shots."""

    train: int = 20
    val: int = 5
    test: int = 25
    image_size: int = 32

    def per_split(self):
        return {"train": self.train, "val": self.val, "test": self.test}


def dataset_dir(root):
    return os.path.join(root, DATASET_FOLDER)


def write_split_images(folder, classes, split, count, seed, image_size):
    """Render ``count`` images per class; returns the split JSON entries."""
    entries = []
    for spec in classes:
        os.makedirs(os.path.join(folder, IMAGE_FOLDER, spec.folder), exist_ok=True)
        for index in range(count):
            relpath = f"{spec.folder}/{split}_{index:04d}.png"
            pixels = render(spec, image_rng(seed, split, spec.label, index), size=image_size)
            Image.fromarray(pixels).save(os.path.join(folder, IMAGE_FOLDER, relpath))
            entries.append([relpath, spec.label, spec.name])
    return entries


def world_record(classes, seed, size):
    base, novel = base_and_novel(classes)
    return {
        "seed": seed,
        "size": size.per_split(),
        "image_size": size.image_size,
        "classes": [dict(label=spec.label, name=spec.name, **spec.attributes()) for spec in classes],
        "base": [spec.name for spec in base],
        "novel": [spec.name for spec in novel],
    }


def write_dataset(root, seed, size=DatasetSize()):
    """Generate the dataset under ``root`` unless an identical one is already there; returns its folder."""
    target = dataset_dir(root)
    classes = world_classes()
    record = world_record(classes, seed, size)
    world_path = os.path.join(target, WORLD_FILE)
    if os.path.exists(world_path):
        if read_json(world_path) != record:
            raise FileExistsError(
                f"{target} holds a different procedural world (seed or sizes differ); delete it or pick "
                "another output directory"
            )
        return target
    if os.path.exists(target):
        raise FileExistsError(f"{target} exists but has no {WORLD_FILE}, so the demo did not write it; move it away")

    os.makedirs(root, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{DATASET_FOLDER}.", dir=root)
    try:
        split = {
            name: write_split_images(staging, classes, name, count, seed, size.image_size)
            for name, count in size.per_split().items()
        }
        write_json(split, os.path.join(staging, SPLIT_FILE))
        write_json(class_descriptions(classes), os.path.join(staging, DESCRIPTIONS_FILE))
        write_json(record, os.path.join(staging, WORLD_FILE))
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
