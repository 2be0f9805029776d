"""One dataset from its sources into ``<root>/<folder>``, never leaving a folder that looks complete.

Files download into ``<root>/.downloads/<key>/`` (kept there while unfinished, so a re-run resumes),
unpack into ``<root>/.<folder>.partial/`` and only a tree that passes the layout check is renamed
into place. A dataset folder that already passes the check is skipped.
"""
import os
import shutil

from .table import DatasetSpec, FetchError
from .transfer import fetch_file
from .unpack import dataset_root, missing_paths, place

# An archive and its unpacked copy sit side by side until the rename.
SPACE_FACTOR = 2


def check_space(root, spec: DatasetSpec):
    needed_mb = SPACE_FACTOR * max((source.size_mb for source in spec.sources), default=0)
    free_mb = shutil.disk_usage(root).free / 2**20
    if free_mb < needed_mb:
        raise FetchError(
            f"{spec.key}: needs about {needed_mb / 1024:.1f} GB free under {root} (download and unpacked copy), "
            f"only {free_mb / 1024:.1f} GB free; free some space or choose another --root"
        )


def fetch_extras(spec: DatasetSpec, folder, mirror):
    """The single files (split, class names) ``folder`` lacks; gdown renames each into place when whole."""
    for extra in spec.extras:
        if not os.path.exists(os.path.join(folder, extra.file)):
            fetch_file(extra, folder, mirror)


def _install_from(source, spec, staging, downloads, mirror):
    """Download, unpack and check one source; returns the finished tree inside ``staging``."""
    paths = [fetch_file(file_spec, downloads, mirror) for file_spec in source.files]
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    for file_spec, path in zip(source.files, paths):
        place(file_spec, path, staging)
    tree = dataset_root(staging, source.root)
    if not os.path.isdir(tree):
        raise FetchError(f"the archive has no folder {os.path.relpath(tree, staging)}")
    fetch_extras(spec, tree, mirror)
    missing = missing_paths(tree, spec.expect)
    if missing:
        raise FetchError(f"unpacked tree lacks {', '.join(missing)} (layout check)")
    return tree


def _complete_existing(spec, target, mirror):
    fetch_extras(spec, target, mirror)
    missing = missing_paths(target, spec.expect)
    if missing:
        raise FetchError(
            f"{target} exists but lacks {', '.join(missing)}; move it away and re-run to fetch it afresh"
        )


def install_dataset(spec: DatasetSpec, root, mirror=None, keep_archives=False):
    """Fetch ``spec`` into ``root``; returns "present" or "fetched", raises FetchError otherwise."""
    os.makedirs(root, exist_ok=True)
    target = os.path.join(root, spec.folder)
    downloads = os.path.join(root, ".downloads", spec.key)
    if not missing_paths(target, spec.expect):
        return "present"
    if os.path.isdir(target):
        _complete_existing(spec, target, mirror)
        return "fetched"
    check_space(root, spec)
    staging = os.path.join(root, f".{spec.folder}.partial")
    failures = []
    try:
        for source in spec.sources:
            try:
                tree = _install_from(source, spec, staging, downloads, mirror)
            except FetchError as error:
                failures.append(f"  {source.label}: {error}")
                continue
            os.replace(tree, target)
            if not keep_archives:
                shutil.rmtree(downloads)
            return "fetched"
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_if_empty(downloads)
    raise FetchError(f"{spec.key}: no source worked:\n" + "\n".join(failures))


def _remove_if_empty(folder):
    for path in (folder, os.path.dirname(folder)):
        if os.path.isdir(path) and not os.listdir(path):
            os.rmdir(path)
