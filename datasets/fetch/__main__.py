"""python -m datasets.fetch NAME [NAME ...] | all --root DATA [--from URL_PREFIX]

NAME: a dataset config stem (dtd, eurosat, ...) or reader name, ``all`` (the 14 datasets that need no
account), ``imagenet`` (prints the manual steps), ``descriptions`` / ``anchors`` (AnchorOPT inputs:
for the named datasets only when datasets are named too, else all of them).
"""
import argparse
import os
import sys

import yaml

from .assets import (DEFAULT_ANCHOR_DIR, DEFAULT_DESCRIPTIONS_DIR, fetch_anchors, fetch_descriptions,
                     fetch_imagenet_classnames, imagenet_steps)
from .install import install_dataset
from .table import MIRROR_ENV_VAR, FetchError, load_table, mirror_prefix

ANCHOROPT_TABLE = os.path.join(os.path.dirname(DEFAULT_DESCRIPTIONS_DIR), "configs", "anchoropt", "datasets.yaml")
ASSETS = ("descriptions", "anchors")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m datasets.fetch", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="+", metavar="NAME")
    parser.add_argument("--root", default=os.environ.get("DATA"), help="dataset root (default: $DATA)")
    parser.add_argument("--from", dest="mirror", default=None, metavar="URL_PREFIX",
                        help=f"replace the scheme and host of every location (default: ${MIRROR_ENV_VAR})")
    parser.add_argument("--keep-archives", action="store_true", help="keep the downloads after unpacking")
    parser.add_argument("--descriptions-dir", default=DEFAULT_DESCRIPTIONS_DIR)
    parser.add_argument("--anchor-dir", default=DEFAULT_ANCHOR_DIR)
    return parser.parse_args(argv)


def anchoropt_rows(specs):
    """configs/anchoropt/datasets.yaml rows of the named datasets (None: every file)."""
    if not specs:
        return None
    with open(ANCHOROPT_TABLE, encoding="utf-8") as handle:
        rows = yaml.safe_load(handle)
    return [rows[spec.reader] for spec in specs if spec.reader in rows]


def fetch_dataset(table, spec, args, mirror):
    """Fetch one dataset and print the outcome; True when it is complete."""
    root = os.path.abspath(args.root)
    try:
        if not spec.sources:
            print(imagenet_steps(table, root))
            print(f"{spec.key}: {fetch_imagenet_classnames(table, root, mirror)} in place")
            return False
        print(f"{spec.key}: {install_dataset(spec, root, mirror, args.keep_archives)}")
        return True
    except FetchError as error:
        print(f"error: {error}", file=sys.stderr)
        return False


def main(argv=None):
    args = parse_args(argv)
    mirror = mirror_prefix(args.mirror)
    try:
        table = load_table()
        names = [name for name in args.names if name not in ASSETS]
        if "all" in names:
            names = [key for key, spec in table.datasets.items() if spec.sources] + [n for n in names if n != "all"]
        specs = list({spec.key: spec for spec in map(table.dataset, names)}.values())
        if specs and not args.root:
            raise FetchError("no dataset root: pass --root DATA or set $DATA")
        failed = [spec.key for spec in specs if not fetch_dataset(table, spec, args, mirror)]
        if "all" in args.names:
            print("imagenet: not fetched (an account is needed): python -m datasets.fetch imagenet prints the steps")
        rows = anchoropt_rows(specs)
        if "descriptions" in args.names:
            wanted = None if rows is None else {row["descriptions"] for row in rows}
            for path in fetch_descriptions(table, args.descriptions_dir, mirror, wanted):
                print(f"descriptions: {path}")
        if "anchors" in args.names:
            wanted = None if rows is None else {row["anchor"] for row in rows}
            for path in fetch_anchors(table, args.anchor_dir, mirror, wanted):
                print(f"anchor: {path}")
    except FetchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if failed:
        print(f"error: not complete: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
