"""Where stage II finds its stage-I anchor, for scripts that run the two stages one after the other.

    python -m scripts.launch.anchor CoOp_AnchorOPT dtd 1     # prints <repository>/output/dtd/CoOp_Pretrain_Anchor/...

The file is the one scripts/sweep.py passes as TRAINER.ANCHOROPT.ANCHOR_PATH when both stages are in one
sweep: the run of the trainer's `anchor_from` trainer on the same dataset and seed, under this environment
(DATA, OUTPUT_ROOT, EXTRA_OPTS, SETTINGS_FILE). Printed absolute; errors are one line on stderr, exit status 1.
"""
import os
import sys

from scripts.launch.environment import SettingsResolver, launch_from_environment
from scripts.launch.runs import require_trainable
from scripts.launch.settings import REPO_ROOT, SettingsError
from scripts.launch.shell import parse_seeds, require_dataset

USAGE = "usage: python -m scripts.launch.anchor STAGE_II_TRAINER DATASET SEED"


def stage_one_anchor(trainer, dataset, seed, env):
    launch = launch_from_environment(env)
    resolve = SettingsResolver(env, launch.extra_opts)
    source = resolve.trainer(trainer).anchor_from
    if not source:
        raise SettingsError(f"{trainer} reads no stage-I anchor (its settings name no anchor_from)")
    dataset = require_dataset(dataset)
    (seed,) = parse_seeds([seed])
    anchor = launch.anchor_file(require_trainable(resolve(source, dataset)), dataset, seed)
    return os.path.join(REPO_ROOT, anchor)


def main(argv=None, env=None):
    argv = sys.argv[1:] if argv is None else argv
    try:
        if len(argv) != 3:
            raise SettingsError(USAGE)
        print(stage_one_anchor(*argv, os.environ if env is None else env))
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
