"""Atomic file writes and folder creation: torch-free, so command-line tools that only write tables start fast."""
import errno
import os
import tempfile


def mkdir_if_missing(dirname):
    """Create ``dirname`` (and parents); a concurrent creator is not an error."""
    if not dirname or os.path.exists(dirname):
        return
    try:
        os.makedirs(dirname)
    except OSError as error:
        if error.errno != errno.EEXIST:
            raise


def _current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(fpath, write_fn, mode="w", **open_options):
    """Write through a temp file in the same folder and rename it, so readers never see a partial file.

    ``open_options`` (``encoding``, ``newline``) go to ``open``; the file gets the permissions a plain
    ``open(fpath, mode)`` would (mkstemp's are owner-only).
    """
    dirname = os.path.dirname(os.path.abspath(fpath))
    mkdir_if_missing(dirname)
    fd, tmp_path = tempfile.mkstemp(prefix="." + os.path.basename(fpath) + ".", suffix=".tmp", dir=dirname)
    try:
        os.chmod(tmp_path, 0o666 & ~_current_umask())
        with os.fdopen(fd, mode, **open_options) as f:
            write_fn(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, fpath)
    except BaseException:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
        raise
