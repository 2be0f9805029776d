"""Where a reader's files live and the one-line errors when they are not there.

Every error names the missing path and the DATASETS.md section that says how to get it, so a
wrong ``--root`` is fixed from the message alone.
"""
import os

DOC_FILE = "DATASETS.md"


def doc_ref(anchor):
    return f"see {DOC_FILE}#{anchor}"


def dataset_root(cfg, anchor):
    """``cfg.DATASET.ROOT`` made absolute; it must exist."""
    root = os.path.abspath(os.path.expanduser(cfg.DATASET.ROOT))
    if not cfg.DATASET.ROOT or not os.path.isdir(root):
        raise FileNotFoundError(
            f"Dataset root not found: {root} (DATASET.ROOT / --root) — {doc_ref(anchor)}"
        )
    return root


def require_dir(path, what, anchor):
    if not os.path.isdir(path):
        raise FileNotFoundError(f"{what} not found: {path} — {doc_ref(anchor)}")
    return path


def require_file(path, what, anchor):
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{what} not found: {path} — {doc_ref(anchor)}")
    return path
