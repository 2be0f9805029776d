"""Synthetic on-disk datasets laid out exactly like the 15 real ones: smoke tests without downloads.

A run of any trainer on fake data (the test suite and ``scripts/benchmark.py`` use this too)::

    from datasets.synthetic import make_synthetic_dataset
    data = make_synthetic_dataset("/tmp/fake-data", name="Caltech101", n_classes=6)
    # data.root         -> pass as --root / DATASET.ROOT
    # data.name         -> DATASET.NAME ("Caltech101")
    # data.config_file  -> configs/datasets/caltech101.yaml (sets NUM_SHOTS 16: override it,
    #                      e.g. DATASET.NUM_SHOTS 2, since each class has only a few images)
    # data.classnames   -> class names by label, as the reader reports them with SUBSAMPLE all
    # data.sizes        -> {"train": n, "val": n, "test": n} before any few-shot draw

Every name in ``LAYOUTS`` works (the 15 readers). Images are ``image_size`` (default 32) pixel
JPEGs whose colour depends on the class (plus per-image noise), so a tiny model can learn them
and 32 px transforms apply without upscaling; pass ``image_size=224`` for real-size images.
``train_per_class`` / ``val_per_class`` / ``test_per_class`` set the split (defaults 6 / 3 / 3).
``with_split_file=False`` writes the raw annotations instead of ``split_zhou_*.json`` (the readers
then create the split with Python's ``random``); the ``.mat`` files of Stanford Cars and Flowers
are then written with scipy (ModuleNotFoundError naming scipy when it is missing).
"""
import json
import os
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from .caltech101 import Caltech101
from .dtd import DescribableTextures
from .eurosat import EuroSAT
from .food101 import Food101

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPLITS = ("train", "val", "test")

CALTECH_FOLDERS = ["Faces", "Leopards", "Motorbikes", "accordion", "airplanes", "anchor"]
AIRCRAFT_NAMES = ["F-16A/B", "Boeing 737-200", "A300B4", "DC-10", "Cessna 172", "Tu-154"]
SUN_KEYS = ["a/abbey", "b/bow_window/indoor", "c/campsite", "d/dam", "f/field/wild", "h/hotel_room"]
UCF_ACTIONS = ["ApplyEyeMakeup", "BabyCrawling", "Basketball", "CuttingInKitchen", "Diving", "YoYo"]


@dataclass
class SyntheticDataset:
    """What a test or a ``train.py --root`` run needs to use the generated data."""

    root: str
    name: str
    dataset_dir: str
    config_file: str
    classnames: list
    sizes: dict = field(default_factory=dict)


@dataclass
class _Counts:
    train: int
    val: int
    test: int

    def of(self, split):
        return getattr(self, split)


def write_image(path, label, index, size=32):
    """A JPEG coloured by class with per-image noise, so images differ but classes are separable."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    rng = np.random.default_rng(label * 1000 + index)
    hue = np.array([(label * 67) % 256, (label * 131 + 80) % 256, (label * 197 + 160) % 256], dtype=np.float64)
    pixels = np.clip(hue + rng.normal(0, 12, size=(size, size, 3)), 0, 255).astype(np.uint8)
    Image.fromarray(pixels).save(path, format="JPEG", quality=90)


def _write_text(path, lines):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def _write_split_json(path, entries):
    with open(path, "w") as f:
        json.dump({split: entries[split] for split in SPLITS}, f, indent=4)


def _pick(names, n_classes, fmt):
    return [names[i] if i < len(names) else fmt.format(i) for i in range(n_classes)]


def _fill_split_dataset(dataset_dir, image_dir, split_name, classes, counts, relpath, image_size, with_split_file):
    """Write images for every (class, split, index) and, optionally, the split JSON.

    ``classes`` is ``[(label, classname, key)]``; ``relpath(key, label, split, index)`` gives the
    image path relative to ``image_dir``. Returns ``{split: [(relpath, label, classname)]}``.
    """
    entries = {split: [] for split in SPLITS}
    for label, classname, key in classes:
        for split in SPLITS:
            for index in range(counts.of(split)):
                rel = relpath(key, label, split, index)
                write_image(os.path.join(image_dir, rel), label, len(entries[split]), image_size)
                entries[split].append([rel, label, classname])
    if with_split_file:
        _write_split_json(os.path.join(dataset_dir, f"split_zhou_{split_name}.json"), entries)
    return entries


def _folder_dataset(reader, folders):
    """Builder for the folder-per-class datasets (Caltech101, Food101, DTD, EuroSAT).

    Folder names, renames and ignored folders come from the ``reader`` class, so the fake data
    follows the reader when it changes.
    """

    def build(root, n_classes, counts, image_size, with_split_file):
        dataset_dir = os.path.join(root, reader.dataset_dir)
        image_dir = os.path.join(dataset_dir, reader.image_subdir)
        keys = sorted(folders(n_classes))
        renames = reader.renamed_classes or {}
        classes = [(label, renames.get(key, key), key) for label, key in enumerate(keys)]
        _fill_split_dataset(
            dataset_dir, image_dir, reader.split_name, classes, counts,
            lambda key, label, split, index: f"{key}/{split}_{index:04d}.jpg", image_size, with_split_file,
        )
        for ignored in reader.ignored_folders:
            for index in range(3):
                write_image(os.path.join(image_dir, ignored, f"image_{index:04d}.jpg"), 99, index, image_size)
        return dataset_dir, [classname for _, classname, _ in classes]

    return build


def _build_oxford_pets(root, n_classes, counts, image_size, with_split_file):
    dataset_dir = os.path.join(root, "oxford_pets")
    classes = [(label, f"pet_breed_{label:02d}", f"Pet_Breed_{label:02d}") for label in range(n_classes)]
    entries = _fill_split_dataset(
        dataset_dir, os.path.join(dataset_dir, "images"), "OxfordPets", classes, counts,
        lambda key, label, split, index: f"{key}_{split}{index}.jpg", image_size, with_split_file,
    )
    if not with_split_file:
        def annotation_lines(splits):
            return [
                f"{rel[:-4]} {label + 1} {1 + label % 2} {index + 1}"
                for split in splits
                for index, (rel, label, _) in enumerate(entries[split])
            ]
        _write_text(os.path.join(dataset_dir, "annotations", "trainval.txt"), annotation_lines(("train", "val")))
        _write_text(os.path.join(dataset_dir, "annotations", "test.txt"), annotation_lines(("test",)))
    return dataset_dir, [name for _, name, _ in classes]


def _scipy_savemat():
    """The ``.mat`` raw annotations (Cars, Flowers) can only be written with scipy."""
    try:
        from scipy.io import savemat
    except ImportError as error:
        raise ModuleNotFoundError(
            "writing the raw .mat annotations (with_split_file=False) needs scipy (pip install scipy)", name="scipy"
        ) from error
    return savemat


def _build_stanford_cars(root, n_classes, counts, image_size, with_split_file):
    dataset_dir = os.path.join(root, "stanford_cars")
    classes = [(label, f"{2000 + label} Make Model{label}", None) for label in range(n_classes)]
    folder = {"train": "cars_train", "val": "cars_train", "test": "cars_test"}
    serial = iter(range(1, 10**6))
    entries = _fill_split_dataset(
        dataset_dir, dataset_dir, "StanfordCars", classes, counts,
        lambda key, label, split, index: f"{folder[split]}/{next(serial):05d}.jpg", image_size, with_split_file,
    )
    if not with_split_file:
        savemat = _scipy_savemat()
        os.makedirs(os.path.join(dataset_dir, "devkit"), exist_ok=True)
        names = np.empty((1, n_classes), dtype=object)
        for label, name, _ in classes:
            year, make_model = name.split(" ", 1)
            names[0, label] = np.array([f"{make_model} {year}"])
        savemat(os.path.join(dataset_dir, "devkit", "cars_meta.mat"), {"class_names": names})
        for mat_file, splits in (("devkit/cars_train_annos.mat", ("train", "val")),
                                 ("cars_test_annos_withlabels.mat", ("test",))):
            rows = [(rel, label) for split in splits for rel, label, _ in entries[split]]
            annotations = np.zeros((1, len(rows)), dtype=[("fname", object), ("class", object)])
            for column, (rel, label) in enumerate(rows):
                annotations[0, column] = (np.array([os.path.basename(rel)]), np.array([[label + 1]], dtype=np.uint8))
            savemat(os.path.join(dataset_dir, mat_file), {"annotations": annotations})
    return dataset_dir, [name for _, name, _ in classes]


def _build_oxford_flowers(root, n_classes, counts, image_size, with_split_file):
    dataset_dir = os.path.join(root, "oxford_flowers")
    classes = [(label, f"flower {label}", None) for label in range(n_classes)]
    serial = iter(range(1, 10**6))
    entries = _fill_split_dataset(
        dataset_dir, os.path.join(dataset_dir, "jpg"), "OxfordFlowers", classes, counts,
        lambda key, label, split, index: f"image_{next(serial):05d}.jpg", image_size, with_split_file,
    )
    if not with_split_file:
        numbered = sorted((rel, label) for split in SPLITS for rel, label, _ in entries[split])
        labels = np.array([[label + 1 for _, label in numbered]], dtype=np.uint8)
        _scipy_savemat()(os.path.join(dataset_dir, "imagelabels.mat"), {"labels": labels})
    with open(os.path.join(dataset_dir, "cat_to_name.json"), "w") as f:
        json.dump({str(label + 1): name for label, name, _ in classes}, f)
    return dataset_dir, [name for _, name, _ in classes]


def _build_fgvc_aircraft(root, n_classes, counts, image_size, with_split_file):
    dataset_dir = os.path.join(root, "fgvc_aircraft")
    names = _pick(AIRCRAFT_NAMES, n_classes, "Variant {}")
    _write_text(os.path.join(dataset_dir, "variants.txt"), names)
    serial = iter(range(1000001, 10**7))
    for split in SPLITS:
        lines = []
        for label, name in enumerate(names):
            for index in range(counts.of(split)):
                image_id = f"{next(serial):07d}"
                write_image(os.path.join(dataset_dir, "images", image_id + ".jpg"), label, len(lines), image_size)
                lines.append(f"{image_id} {name}")
        _write_text(os.path.join(dataset_dir, f"images_variant_{split}.txt"), lines)
    return dataset_dir, names


def _sun_display_name(key):
    return " ".join(key.split("/")[1:][::-1])


def _build_sun397(root, n_classes, counts, image_size, with_split_file):
    dataset_dir = os.path.join(root, "sun397")
    keys = _pick(SUN_KEYS, n_classes, "z/place_{}")
    classes = [(label, _sun_display_name(key), key) for label, key in enumerate(keys)]
    entries = _fill_split_dataset(
        dataset_dir, os.path.join(dataset_dir, "SUN397"), "SUN397", classes, counts,
        lambda key, label, split, index: f"{key}/sun_{split}{index:04d}.jpg", image_size, with_split_file,
    )
    if not with_split_file:
        _write_text(os.path.join(dataset_dir, "ClassName.txt"), ["/" + key for key in keys])
        trainval = ["/" + rel for split in ("train", "val") for rel, _, _ in entries[split]]
        _write_text(os.path.join(dataset_dir, "Training_01.txt"), trainval)
        _write_text(os.path.join(dataset_dir, "Testing_01.txt"), ["/" + rel for rel, _, _ in entries["test"]])
    return dataset_dir, [name for _, name, _ in classes]


def _ucf_renamed(action):
    words, current = [], ""
    for char in action:
        if char.isupper() and current:
            words.append(current)
            current = ""
        current += char
    return "_".join(words + [current])


def _build_ucf101(root, n_classes, counts, image_size, with_split_file):
    dataset_dir = os.path.join(root, "ucf101")
    actions = _pick(UCF_ACTIONS, n_classes, "Action{}Extra")
    classes = [(label, _ucf_renamed(action), action) for label, action in enumerate(actions)]
    entries = _fill_split_dataset(
        dataset_dir, os.path.join(dataset_dir, "UCF-101-midframes"), "UCF101", classes, counts,
        lambda key, label, split, index: f"{_ucf_renamed(key)}/v_{key}_{split}{index:02d}_c01.jpg",
        image_size, with_split_file,
    )
    if not with_split_file:
        list_dir = os.path.join(dataset_dir, "ucfTrainTestlist")
        _write_text(os.path.join(list_dir, "classInd.txt"), [f"{label + 1} {a}" for label, a in enumerate(actions)])

        def video_path(rel, label):
            return f"{actions[label]}/{os.path.basename(rel)[:-4]}.avi"

        trainval = [f"{video_path(rel, label)} {label + 1}" for s in ("train", "val") for rel, label, _ in entries[s]]
        _write_text(os.path.join(list_dir, "trainlist01.txt"), trainval)
        _write_text(os.path.join(list_dir, "testlist01.txt"), [video_path(r, y) for r, y, _ in entries["test"]])
    return dataset_dir, [name for _, name, _ in classes]


def _wnid(index):
    return f"n{index + 1:08d}"


def _write_classnames(path, n_lines):
    _write_text(path, [f"{_wnid(i)} imagenet class {i}" for i in range(n_lines)])


def _write_wnid_folders(image_dir, wnids, per_class, image_size, prefix):
    for label, wnid in enumerate(wnids):
        for index in range(per_class):
            write_image(os.path.join(image_dir, wnid, f"{prefix}_{wnid}_{index}.JPEG"), label, index, image_size)


def _build_imagenet(root, n_classes, counts, image_size, with_split_file):
    dataset_dir = os.path.join(root, "imagenet")
    wnids = [_wnid(i) for i in range(n_classes)]
    _write_classnames(os.path.join(dataset_dir, "classnames.txt"), n_classes)
    _write_wnid_folders(os.path.join(dataset_dir, "images", "train"), wnids, counts.train, image_size, "train")
    _write_wnid_folders(os.path.join(dataset_dir, "images", "val"), wnids, counts.test, image_size, "val")
    return dataset_dir, [f"imagenet class {i}" for i in range(n_classes)]


def _wnid_variant(folder, image_subdir, subset):
    """ImageNet-Sketch (all classes) or ImageNet-A/R (every other class of classnames.txt)."""

    def build(root, n_classes, counts, image_size, with_split_file):
        dataset_dir = os.path.join(root, folder)
        n_lines = 2 * n_classes if subset else n_classes
        _write_classnames(os.path.join(dataset_dir, "classnames.txt"), n_lines)
        kept = list(range(1, n_lines, 2)) if subset else list(range(n_lines))
        image_dir = os.path.join(dataset_dir, image_subdir)
        _write_wnid_folders(image_dir, [_wnid(i) for i in kept], counts.test, image_size, "img")
        if subset:
            _write_text(os.path.join(image_dir, "README.txt"), ["synthetic"])
        return dataset_dir, [f"imagenet class {i}" for i in kept]

    return build


def _build_imagenetv2(root, n_classes, counts, image_size, with_split_file):
    dataset_dir = os.path.join(root, "imagenetv2")
    _write_classnames(os.path.join(dataset_dir, "classnames.txt"), n_classes)
    image_dir = os.path.join(dataset_dir, "imagenetv2-matched-frequency-format-val")
    for label in range(n_classes):
        for index in range(counts.test):
            write_image(os.path.join(image_dir, str(label), f"{index:040x}.jpeg"), label, index, image_size)
    return dataset_dir, [f"imagenet class {i}" for i in range(n_classes)]


LAYOUTS = {
    "OxfordPets": ("oxford_pets", _build_oxford_pets),
    "Caltech101": (
        "caltech101",
        _folder_dataset(Caltech101, lambda n: _pick(CALTECH_FOLDERS, n, "category_{:02d}")),
    ),
    "StanfordCars": ("stanford_cars", _build_stanford_cars),
    "OxfordFlowers": ("oxford_flowers", _build_oxford_flowers),
    "Food101": (
        "food101",
        _folder_dataset(Food101, lambda n: [f"dish_{i:02d}" for i in range(n)]),
    ),
    "FGVCAircraft": ("fgvc_aircraft", _build_fgvc_aircraft),
    "SUN397": ("sun397", _build_sun397),
    "DescribableTextures": (
        "dtd",
        _folder_dataset(DescribableTextures, lambda n: [f"texture{i:02d}" for i in range(n)]),
    ),
    "EuroSAT": (
        "eurosat",
        _folder_dataset(EuroSAT, lambda n: _pick(list(EuroSAT.renamed_classes), n, "Land{:02d}")),
    ),
    "UCF101": ("ucf101", _build_ucf101),
    "ImageNet": ("imagenet", _build_imagenet),
    "ImageNetV2": ("imagenetv2", _build_imagenetv2),
    "ImageNetSketch": ("imagenet_sketch", _wnid_variant("imagenet-sketch", "images", subset=False)),
    "ImageNetA": ("imagenet_a", _wnid_variant("imagenet-adversarial", "imagenet-a", subset=True)),
    "ImageNetR": ("imagenet_r", _wnid_variant("imagenet-rendition", "imagenet-r", subset=True)),
}
TEST_ONLY = ("ImageNetV2", "ImageNetSketch", "ImageNetA", "ImageNetR")


def expected_sizes(name, n_classes, counts):
    """Split sizes the reader reports with NUM_SHOTS -1 and SUBSAMPLE all."""
    if name in TEST_ONLY:
        n_test = n_classes * counts.test
        return {"train": n_test, "val": 0, "test": n_test}
    if name == "ImageNet":
        return {"train": n_classes * counts.train, "val": n_classes * counts.test, "test": n_classes * counts.test}
    return {split: n_classes * counts.of(split) for split in SPLITS}


def make_synthetic_dataset(
    root,
    name="Caltech101",
    n_classes=6,
    train_per_class=6,
    val_per_class=3,
    test_per_class=3,
    with_split_file=True,
    image_size=32,
):
    """Lay out dataset ``name`` under ``root`` as the real one is laid out; see the module docstring."""
    if name not in LAYOUTS:
        raise KeyError(f"No synthetic layout for {name!r}; choose one of {sorted(LAYOUTS)}")
    config_name, build = LAYOUTS[name]
    counts = _Counts(train_per_class, val_per_class, test_per_class)
    root = os.path.abspath(str(root))
    dataset_dir, classnames = build(root, n_classes, counts, image_size, with_split_file)
    return SyntheticDataset(
        root=root,
        name=name,
        dataset_dir=dataset_dir,
        config_file=os.path.join(REPO_ROOT, "configs", "datasets", f"{config_name}.yaml"),
        classnames=classnames,
        sizes=expected_sizes(name, n_classes, counts),
    )
