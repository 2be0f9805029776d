"""Train the toy trainer; with ``--kill-after-epoch K`` the process SIGKILLs itself right after epoch K."""
import argparse
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from dassl.engine import build_trainer  # noqa: E402
from dassl.utils import set_random_seed, setup_logger  # noqa: E402
from tests.dassl.toy_engine import ToyTrainer, toy_cfg  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--max-epoch", type=int, default=4)
    parser.add_argument("--kill-after-epoch", type=int, default=0)
    args = parser.parse_args()

    cfg = toy_cfg(args.root, args.output_dir, max_epoch=args.max_epoch)
    cfg.TRAIN.CHECKPOINT_FREQ = 1
    cfg.freeze()
    set_random_seed(cfg.SEED)
    setup_logger(cfg.OUTPUT_DIR)
    trainer = build_trainer(cfg)
    if args.kill_after_epoch:
        original_after_epoch = ToyTrainer.after_epoch

        def after_epoch_then_die(self):
            original_after_epoch(self)
            if self.epoch + 1 == args.kill_after_epoch:
                sys.stdout.flush()
                os.kill(os.getpid(), signal.SIGKILL)

        trainer.after_epoch = after_epoch_then_die.__get__(trainer)
    trainer.train()


if __name__ == "__main__":
    main()
