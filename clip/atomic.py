"""Atomic file creation: readers never see a half-written checkpoint."""
import contextlib
import os
import tempfile
from typing import Iterator


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_target(target: str) -> Iterator[str]:
    """Yields a temp path beside `target`; renames it over `target` only if the block succeeds.

    The file gets the permissions a plain ``open(target, "w")`` would (mkstemp's are owner-only).
    """
    directory = os.path.dirname(os.path.abspath(target))
    os.makedirs(directory, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=os.path.basename(target) + ".", suffix=".part", dir=directory)
    os.close(handle)
    os.chmod(partial, 0o666 & ~_current_umask())
    try:
        yield partial
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
