"""Atomic file creation: readers never see a half-written checkpoint."""
import contextlib
import os
import tempfile
from typing import Iterator


@contextlib.contextmanager
def atomic_target(target: str) -> Iterator[str]:
    """Yields a temp path beside `target`; renames it over `target` only if the block succeeds."""
    directory = os.path.dirname(os.path.abspath(target))
    os.makedirs(directory, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=os.path.basename(target) + ".", suffix=".part", dir=directory)
    os.close(handle)
    try:
        yield partial
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
