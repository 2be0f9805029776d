"""What the per-method bash scripts run: one protocol step for one trainer, in the foreground.

    python -m scripts.launch.shell base2new_train CoOp dtd 1 2      # scripts/coop/base2new_train.sh dtd 1 2
    python -m scripts.launch.shell xd_test MaPLe dg 1               # scripts/maple/xd_test.sh dg 1

Steps: base2new_train / base2new_test TRAINER DATASET [SEED ...], xd_train TRAINER [SEED ...],
xd_test TRAINER TARGET|xd|dg|all [SEED ...], zero_shot TRAINER DATASET [base|new|all ...],
search TRAINER DATASET [SEED] (the ATPrompt attribute search). DRY_RUN=1 prints the train.py commands;
finished runs are skipped; the output goes to the terminal and <run>/sweep.log. Errors are one line on
stderr, exit status 1.

`anchor STAGE_II_TRAINER DATASET SEED` runs nothing: it prints the stage-I anchor file that stage II reads,
the one scripts/sweep.py passes as TRAINER.ANCHOROPT.ANCHOR_PATH when both stages are in one sweep (for
scripts that run the two stages one after the other, as scripts/quickstart.sh does).
"""
import os
import sys

from scripts.launch.environment import (SettingsResolver, enter_repository, is_dry_run,
                                        launch_from_environment)
from scripts.launch.execute import run_job
from scripts.launch.runs import (XD_GROUPS, XD_SCOPE, ZERO_SHOT_SPLITS, Job, expand_xd_targets,
                                 require_trainable, run_finished)
from scripts.launch.settings import REPO_ROOT, SettingsError, check_choice, known_datasets

DEFAULT_SEEDS = ("1", "2", "3")


def parse_seeds(words):
    for seed in words:
        if not seed.isdigit():
            raise SettingsError(f"seed must be a non-negative integer, got '{seed}'")
    return [int(seed) for seed in words] or [int(seed) for seed in DEFAULT_SEEDS]


def require_dataset(name, groups=()):
    if not name:
        raise SettingsError("missing dataset argument (a config stem such as dtd; see configs/datasets/)")
    return check_choice("dataset", name, known_datasets() + list(groups))


def run_step(step, trainer, dry_run):
    """Run one train.py call in the foreground, logged beside the run (or print it); False when it failed."""
    if step.evaluates and not dry_run and not run_finished(step.evaluates):
        raise SettingsError(f"no finished training run in {step.evaluates}: run the matching train script first")
    if run_finished(step.output_dir):
        print(f"skip (finished): {step.output_dir}", flush=True)
        return True
    if dry_run:
        print(step.text, flush=True)
        return True
    for flag in ("--config-file", "--dataset-config-file"):
        path = step.argv[step.argv.index(flag) + 1]
        if not os.path.isfile(os.path.join(REPO_ROOT, path)):
            raise SettingsError(f"config file not found: {os.path.join(REPO_ROOT, path)}")
    return run_job(Job(step.output_dir, trainer, [step]), echo=True) == 0


def stage_one_anchor(trainer, args, launch, resolve):
    """Absolute path of the anchor that the `anchor_from` run of the same dataset and seed leaves."""
    if len(args) != 2:
        raise SettingsError("usage: python -m scripts.launch.shell anchor STAGE_II_TRAINER DATASET SEED")
    source = resolve.trainer(trainer).anchor_from
    if not source:
        raise SettingsError(f"{trainer} reads no stage-I anchor (its settings name no anchor_from)")
    dataset = require_dataset(args[0])
    (seed,) = parse_seeds(args[1:])
    return os.path.join(REPO_ROOT, launch.anchor_file(require_trainable(resolve(source, dataset)), dataset, seed))


def steps_of(command, trainer, args, launch, resolve):
    """The train.py steps of one script call."""
    if command in ("base2new_train", "base2new_test", "search"):
        dataset = require_dataset(args[0] if args else "")
        seeds = parse_seeds(args[1:]) if command != "search" else parse_seeds(args[1:2] or ["1"])
        if command == "search" and len(args) > 2:
            raise SettingsError("usage: bash scripts/atprompt/search_attributes.sh DATASET [SEED]")
        settings = require_trainable(resolve(trainer, dataset))
        make = launch.base_to_novel_test if command == "base2new_test" else launch.base_to_novel_train
        return [make(settings, dataset, seed) for seed in seeds]
    if command == "xd_train":
        settings = require_trainable(resolve(trainer, XD_SCOPE))
        return [launch.xd_train(settings, seed) for seed in parse_seeds(args)]
    if command == "xd_test":
        settings = require_trainable(resolve(trainer, XD_SCOPE))
        targets = expand_xd_targets(require_dataset(args[0] if args else "", XD_GROUPS))
        seeds = parse_seeds(args[1:])
        return [launch.xd_test(settings, target, seed) for target in targets for seed in seeds]
    if command == "zero_shot":
        dataset = require_dataset(args[0] if args else "")
        splits = args[1:] or ["base", "new"]
        for split in splits:
            if split not in ZERO_SHOT_SPLITS:
                raise SettingsError(f"split must be base, new or all, got '{split}'")
        settings = resolve(trainer, dataset)
        return [launch.zero_shot(settings, dataset, split) for split in splits]
    raise SettingsError(f"unknown step '{command}' (valid: base2new_train, base2new_test, xd_train, xd_test, "
                        "zero_shot, search, anchor)")


def main(argv=None, env=None):
    argv = sys.argv[1:] if argv is None else argv
    env = os.environ if env is None else env
    try:
        if len(argv) < 2:
            raise SettingsError(__doc__.strip().splitlines()[0])
        command, trainer, args = argv[0], argv[1], argv[2:]
        launch = launch_from_environment(env)
        enter_repository()
        resolve = SettingsResolver(env, launch.extra_opts)
        if command == "anchor":
            print(stage_one_anchor(trainer, args, launch, resolve))
            return 0
        steps = steps_of(command, trainer, args, launch, resolve)
        dry_run = is_dry_run(env)
        for step in steps:
            if not run_step(step, trainer, dry_run):
                return 1
        if command == "search":
            print(f"Search result: {steps[0].output_dir}/attribute_search.json")
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
