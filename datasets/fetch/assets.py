"""AnchorOPT's inputs from the upstream release, and ImageNet's manual steps.

Files without a known SHA-256 are checked by their format: a description file must be a JSON
object of sentence lists, an anchor a torch zip archive (torch.save's format).
"""
import json
import os
import zipfile

from .table import FileSpec, SourceTable
from .transfer import fetch_file
from .install import fetch_extras

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_DESCRIPTIONS_DIR = os.path.join(REPO_ROOT, "templates")  # TRAINER.ANCHOROPT.DESCRIPTIONS_ROOT
DEFAULT_ANCHOR_DIR = os.path.join(REPO_ROOT, "anchor_weights")  # TRAINER.ANCHOROPT.ANCHOR_ROOT
ANCHOR_FILE = "anchor_prompt_learner/model.pth.tar"


def description_problem(path):
    try:
        with open(path, encoding="utf-8") as handle:
            content = json.load(handle)
    except (OSError, ValueError) as error:
        return f"{path} is not JSON ({error})"
    if not isinstance(content, dict) or not all(isinstance(v, list) for v in content.values()):
        return f"{path} is not a {{class name: [sentence, ...]}} object"
    return None


def anchor_problem(path):
    return None if zipfile.is_zipfile(path) else f"{path} is not a torch checkpoint (zip archive)"


def fetch_descriptions(table: SourceTable, destination=DEFAULT_DESCRIPTIONS_DIR, mirror=None, names=None):
    """The CuPL description files stage I reads, into ``destination``."""
    paths = []
    for name, sha256 in table.descriptions.items():
        if names is None or name in names:
            spec = FileSpec(file=name, urls=(f"{table.upstream}/templates/{name}",), sha256=sha256)
            paths.append(fetch_file(spec, destination, mirror, validate=description_problem))
    return paths


def fetch_anchors(table: SourceTable, destination=DEFAULT_ANCHOR_DIR, mirror=None, names=None):
    """The released stage-I anchors, as ``destination/<Name>/anchor_prompt_learner/model.pth.tar``."""
    paths = []
    for name, row in table.anchors.items():
        if names is None or name in names:
            released = f"{table.upstream}/anchor_weights/{name}/{ANCHOR_FILE}"
            spec = FileSpec(file=os.path.basename(ANCHOR_FILE), urls=(released, f"{released}-{row['epochs']}"),
                            sha256=row.get("sha256"))
            folder = os.path.join(destination, name, os.path.dirname(ANCHOR_FILE))
            paths.append(fetch_file(spec, folder, mirror, validate=anchor_problem))
    return paths


def imagenet_steps(table: SourceTable, root):
    """ImageNet needs an account: the steps that get it, in the layout the reader expects."""
    spec = table.dataset("imagenet")
    folder = os.path.join(root, spec.folder)
    lines = ["ImageNet (ILSVRC-2012) cannot be fetched: image-net.org needs an account. Steps:"]
    lines += [f"  {number}. {step.format(folder=folder, root=root)}" for number, step in enumerate(spec.steps, 1)]
    return "\n".join(lines)


def fetch_imagenet_classnames(table: SourceTable, root, mirror=None):
    """The public part of ImageNet's folder: CLIP's class names (CoOp's classnames.txt)."""
    spec = table.dataset("imagenet")
    folder = os.path.join(root, spec.folder)
    fetch_extras(spec, folder, mirror)
    return os.path.join(folder, "classnames.txt")
