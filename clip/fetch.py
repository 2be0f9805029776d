"""python -m clip.fetch MODEL [MODEL ...] [--root DIR] [--from URL_PREFIX]: CLIP weights into the cache.

For clusters whose compute nodes are offline: run this on a login node, then `clip.load(MODEL)`
finds the verified file in the same cache (`$CLIP_CACHE_DIR`, else ~/.cache/clip).
"""
import argparse
import os
import sys
from urllib.parse import urlsplit

from .download import default_cache_dir, download
from .pretrained import PRETRAINED, available_models

MIRROR_ENV_VAR = "FETCH_FROM"


def on_mirror(url, mirror):
    """``url`` with its scheme and host replaced by ``mirror`` (a lab mirror or an offline copy)."""
    return mirror.rstrip("/") + urlsplit(url).path if mirror else url


def fetch(name, root=None, mirror=None):
    """Path of the verified checkpoint of ``name`` (downloaded unless already cached)."""
    weights = PRETRAINED[name]
    return download(on_mirror(weights.url, mirror), root, weights.sha256)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m clip.fetch", description=__doc__)
    parser.add_argument("models", nargs="+", metavar="MODEL", help=f"one of {', '.join(available_models())}")
    parser.add_argument("--root", default=None, help=f"cache folder (default: {default_cache_dir()})")
    parser.add_argument("--from", dest="mirror", default=os.environ.get(MIRROR_ENV_VAR), metavar="URL_PREFIX",
                        help=f"replace the scheme and host of the URLs (default: ${MIRROR_ENV_VAR})")
    args = parser.parse_args(argv)
    unknown = [name for name in args.models if name not in PRETRAINED]
    if unknown:
        parser.error(f"unknown model(s) {unknown}; choose from {available_models()}")
    try:
        for name in args.models:
            print(f"{name}: {fetch(name, args.root, args.mirror)}")
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
