"""Fetches a checkpoint into the cache and verifies its SHA-256; never leaves a partial file behind."""
import hashlib
import os
import urllib.error
import urllib.request
import warnings
from typing import Optional

from tqdm import tqdm

from .atomic import atomic_target

CACHE_ENV_VAR = "CLIP_CACHE_DIR"
_CHUNK_BYTES = 1 << 20


def default_cache_dir() -> str:
    """`$CLIP_CACHE_DIR` if set, else `~/.cache/clip` (OpenAI's location)."""
    return os.environ.get(CACHE_ENV_VAR) or os.path.expanduser("~/.cache/clip")


def sha256_of_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download(url: str, root: Optional[str], sha256: str) -> str:
    """Path of the verified file `root/<last URL component>`, downloading it if absent or corrupt."""
    root = os.path.expanduser(root or default_cache_dir())
    target = os.path.join(root, url.rsplit("/", 1)[-1])
    if os.path.exists(target) and not os.path.isfile(target):
        raise RuntimeError(f"{target} exists and is not a regular file; remove it so the checkpoint can be saved")
    if os.path.isfile(target):
        if sha256_of_file(target) == sha256:
            return target
        warnings.warn(f"{target} does not match its SHA-256 {sha256}; downloading it again")
    os.makedirs(root, exist_ok=True)
    _fetch_atomically(url, target, sha256)
    return target


def _fetch_atomically(url: str, target: str, sha256: str) -> None:
    """Streams into a temp file beside `target`, checks the digest, then renames over `target`."""
    with atomic_target(target) as partial, open(partial, "wb") as out:
        digest = hashlib.sha256()
        try:
            with urllib.request.urlopen(url) as source:
                total = int(source.headers.get("Content-Length") or 0) or None
                with tqdm(total=total, unit="iB", unit_scale=True, unit_divisor=1024,
                          desc=os.path.basename(target)) as progress:
                    for chunk in iter(lambda: source.read(_CHUNK_BYTES), b""):
                        out.write(chunk)
                        digest.update(chunk)
                        progress.update(len(chunk))
        except (urllib.error.URLError, OSError) as error:
            raise RuntimeError(
                f"Cannot download {url} ({error}); put the file at {target} (SHA-256 {sha256}) "
                "or pass a local checkpoint path instead of the model name") from None
        if digest.hexdigest() != sha256:
            raise RuntimeError(f"Downloaded {target} has SHA-256 {digest.hexdigest()}, expected {sha256}; "
                               f"delete it and retry, or put a verified copy at {target}")


def _download(url: str, root: Optional[str] = None) -> str:
    """OpenAI's signature: the expected SHA-256 is the URL's second-to-last path component."""
    return download(url, root, url.split("/")[-2])
