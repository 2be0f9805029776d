"""python -m datasets.check --root DATA [NAME ...]: is each dataset there, complete, and readable?

Complete means: the layout of ``datasets/sources.yaml`` is there, every image the split lists (the
split JSON, FGVC-Aircraft's list files, or the class folders of the ImageNets) exists and decodes,
and the readable images per split number what the split file (or the published count) says.
Exit status 0 only when every dataset asked for is complete.
"""
import argparse
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor

from PIL import Image
from tqdm import tqdm

from dassl.data.datasets import DATASET_REGISTRY

from .fetch.table import FetchError, load_table
from .fetch.unpack import missing_paths

SHOWN_PROBLEMS = 5
SPLITS = ("train", "val", "test")


def image_problem(path):
    """None for an image that decodes fully, else why not ("missing", "unreadable: ...")."""
    if not os.path.isfile(path):
        return "missing"
    try:
        with Image.open(path) as image:
            image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
    except (OSError, SyntaxError, ValueError) as error:
        return f"unreadable: {error}"
    return None


def _folder_images(folder):
    return sorted(
        os.path.join(directory, name)
        for directory, _, names in os.walk(folder)
        for name in names
        if os.path.splitext(name)[1].lower() in (".jpg", ".jpeg", ".png")
    )


def listed_images(spec, folder):
    """``({split: [image path]}, {split: expected count})`` as the dataset's reader would list them."""
    reader = DATASET_REGISTRY.get(spec.reader)
    if getattr(reader, "split_name", None):
        with open(os.path.join(folder, f"split_zhou_{reader.split_name}.json"), encoding="utf-8") as handle:
            split = json.load(handle)
        prefix = os.path.join(folder, reader.image_subdir)
        listed = {name: [os.path.join(prefix, entry[0]) for entry in split[name]] for name in SPLITS}
        return listed, {name: len(paths) for name, paths in listed.items()}
    if spec.reader == "FGVCAircraft":
        listed = {}
        for name in SPLITS:
            with open(os.path.join(folder, f"images_variant_{name}.txt"), encoding="utf-8") as handle:
                ids = [line.split(" ", 1)[0] for line in handle if line.strip()]
            listed[name] = [os.path.join(folder, reader.image_subdir, f"{image_id}.jpg") for image_id in ids]
        return listed, {name: len(paths) for name, paths in listed.items()}
    if spec.reader == "ImageNet":
        listed = {"train": _folder_images(os.path.join(folder, "images", "train")),
                  "test": _folder_images(os.path.join(folder, "images", "val"))}
        return listed, dict(spec.counts)
    subdirs = [os.path.join(folder, sub) for sub in reader.image_subdirs]
    image_dir = next((path for path in subdirs if os.path.isdir(path)), subdirs[0])
    return {"test": _folder_images(image_dir)}, dict(spec.counts)


def check_dataset(spec, root, workers=8):
    """``(status, lines)``: status is "complete", "incomplete" or "missing"."""
    folder = os.path.join(root, spec.folder)
    fix = f"python -m datasets.fetch {spec.key} --root {root}"
    if not os.path.isdir(folder):
        return "missing", [f"{folder} does not exist — fix: {fix}"]
    absent = missing_paths(folder, spec.expect)
    if absent:
        return "incomplete", [f"{folder} lacks {', '.join(absent)} — fix: {fix} (adds split and class-name files)"]
    try:
        listed, expected = listed_images(spec, folder)
    except (OSError, ValueError, KeyError, IndexError) as error:
        return "incomplete", [f"cannot read the image list of {folder}: {error!r} — fix: move it away, then {fix}"]
    lines, bad = [], []
    with ThreadPoolExecutor(workers) as pool:
        for split, paths in listed.items():
            problems = list(tqdm(pool.map(image_problem, paths), total=len(paths), desc=f"{spec.key} {split}",
                                 unit="img", leave=False))
            split_bad = [(path, problem) for path, problem in zip(paths, problems) if problem]
            bad += split_bad
            readable = len(paths) - len(split_bad)
            if split in expected and readable != expected[split]:
                lines.append(f"{split}: {readable} readable images, expected {expected[split]}")
    if bad:
        lines.insert(0, f"{len(bad)} listed image(s) missing or unreadable, e.g.:")
        lines[1:1] = [f"  {os.path.relpath(path, root)} ({problem})" for path, problem in bad[:SHOWN_PROBLEMS]]
    if lines:
        lines.append(f"fix: move {folder} away, then {fix}")
        return "incomplete", lines
    return "complete", [", ".join(f"{split} {len(paths)}" for split, paths in listed.items())]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m datasets.check", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="NAME", help="datasets to check (default: all 15)")
    parser.add_argument("--root", default=os.environ.get("DATA"), help="dataset root (default: $DATA)")
    args = parser.parse_args(argv)
    if not args.root:
        parser.error("no dataset root: pass --root DATA or set $DATA")
    root = os.path.abspath(args.root)
    try:
        table = load_table()
        specs = [table.dataset(name) for name in args.names] or list(table.datasets.values())
    except FetchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    all_complete = True
    for spec in specs:
        status, lines = check_dataset(spec, root)
        all_complete &= status == "complete"
        print(f"{spec.key}: {status} — {lines[0]}" if len(lines) == 1 else f"{spec.key}: {status}")
        if len(lines) > 1:
            print("\n".join(f"    {line}" for line in lines))
    return 0 if all_complete else 1


if __name__ == "__main__":
    sys.exit(main())
