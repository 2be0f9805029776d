"""Train the toy trainer; with ``--kill-after-epoch K`` the process SIGKILLs itself right after epoch K."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests.dassl.toy_engine import run_toy_training  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--max-epoch", type=int, default=3)
    parser.add_argument("--kill-after-epoch", type=int, default=0)
    args = parser.parse_args()
    run_toy_training(args.root, args.output_dir, args.max_epoch, args.kill_after_epoch)


if __name__ == "__main__":
    main()
