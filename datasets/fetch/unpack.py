"""Archives into a staging folder, with progress bars, and the layout check of the result."""
import os
import shutil
import tarfile
import zipfile

from tqdm import tqdm

from .table import FetchError, FileSpec


def extract(archive, into):
    """Unpack a zip or (compressed) tar archive into ``into`` (paths outside it are refused)."""
    name = os.path.basename(archive)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as bundle:
            for member in tqdm(bundle.infolist(), desc=f"extract {name}", unit="file"):
                bundle.extract(member, into)
    elif tarfile.is_tarfile(archive):
        with open(archive, "rb") as raw, tqdm.wrapattr(
            raw, "read", total=os.path.getsize(archive), desc=f"extract {name}"
        ) as stream, tarfile.open(fileobj=stream, mode="r|*") as bundle:
            bundle.extractall(into, filter="data")
    else:
        raise FetchError(f"{archive} is neither a zip nor a tar archive; delete it and re-run")


def place(spec: FileSpec, path, staging):
    """Put one downloaded file into the staging tree as its ``unpack`` recipe says."""
    into = os.path.join(staging, spec.into)
    os.makedirs(into, exist_ok=True)
    if spec.unpack == "copy":
        shutil.copyfile(path, os.path.join(into, spec.file))
        return
    extract(path, into)
    for inner in spec.nested:
        inner_path = os.path.join(into, inner)
        if not os.path.isfile(inner_path):
            raise FetchError(f"{spec.file} does not contain {inner}")
        extract(inner_path, os.path.dirname(inner_path))
        os.remove(inner_path)


def dataset_root(staging, root):
    """The folder of the staging tree that becomes the dataset folder."""
    if root != "single":
        return os.path.normpath(os.path.join(staging, root))
    entries = [entry for entry in os.listdir(staging) if not entry.startswith((".", "__MACOSX"))]
    if len(entries) == 1 and os.path.isdir(os.path.join(staging, entries[0])):
        return os.path.join(staging, entries[0])
    return staging


def missing_paths(folder, expect):
    """Entries of ``expect`` (``a|b`` = either) absent from ``folder``."""
    return [
        wanted for wanted in expect
        if not any(os.path.exists(os.path.join(folder, option)) for option in wanted.split("|"))
    ]
