"""One file from its list of locations: resumable transfer (gdown), then the published checksum.

gdown handles plain HTTP(S) and Google Drive alike, keeps an interrupted transfer as
``<file>XXXXXXXX.part`` beside the target and resumes it with a Range request on the next run.
"""
import hashlib
import os
from typing import Callable, Optional

import gdown
import requests
from gdown.exceptions import DownloadError, FileURLRetrievalError

from .table import FetchError, FileSpec, resolve

TRANSFER_ERRORS = (requests.RequestException, DownloadError, FileURLRetrievalError, OSError)


def file_digest(path, algorithm, chunk_bytes=1 << 20):
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_bytes), b""):
            digest.update(chunk)
    return digest.hexdigest()


def checksum_problem(path, spec: FileSpec, url, validate: Optional[Callable[[str], Optional[str]]] = None):
    """Why the file at ``path`` is not the published one (None when it is)."""
    if spec.checksum is not None:
        algorithm, expected = spec.checksum
        found = file_digest(path, algorithm)
        if found != expected:
            return f"{algorithm} mismatch for {url}: expected {expected}, found {found}"
    elif validate is not None:
        return validate(path)
    return None


def _one_line(error):
    return " ".join(str(error).split()) or type(error).__name__


def fetch_file(spec: FileSpec, folder, mirror=None, validate=None) -> str:
    """Path of ``folder/<spec.file>``, verified; tries each location in order.

    A file that fails its checksum is deleted before the next location is tried; when every
    location fails, one FetchError lists each with its failure.
    """
    os.makedirs(folder, exist_ok=True)
    target = os.path.join(folder, spec.file)
    if os.path.isfile(target) and checksum_problem(target, spec, target, validate) is None:
        return target
    failures = []
    for url in spec.urls:
        location = resolve(url, mirror)
        if os.path.isfile(target):
            os.remove(target)
        try:
            gdown.download(location, target, quiet=False, resume=True)
        except TRANSFER_ERRORS as error:
            failures.append(f"{location}: {_one_line(error)}")
            continue
        problem = checksum_problem(target, spec, location, validate)
        if problem is None:
            return target
        os.remove(target)
        print(f"{problem}; deleted {target}, trying the next location")
        failures.append(f"{location}: {problem}")
    raise FetchError(f"{spec.file}: every location failed:\n      " + "\n      ".join(failures))
