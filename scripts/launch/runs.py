"""The train.py calls of each protocol, their output folders (the original scripts' names) and finished runs.

A `Step` is one train.py call; a `Job` is the steps of one trainer x dataset x seed run in order (train,
then test), the unit the executors schedule, skip and report on.
"""
import glob
import os
import shlex
from dataclasses import dataclass, field

from scripts.launch.settings import XD_SCOPE, SettingsError

PROTOCOLS = ("base2new", "xd", "fewshot")
BASE_TO_NOVEL_DATASETS = ("imagenet", "caltech101", "oxford_pets", "stanford_cars", "oxford_flowers", "food101",
                          "fgvc_aircraft", "sun397", "dtd", "eurosat", "ucf101")
XD_SOURCE = "imagenet"
XD_TARGETS = BASE_TO_NOVEL_DATASETS[1:]
DG_TARGETS = ("imagenetv2", "imagenet_sketch", "imagenet_a", "imagenet_r")
XD_GROUPS = {"xd": XD_TARGETS, "dg": DG_TARGETS, "all": XD_TARGETS + DG_TARGETS}
ZERO_SHOT_SPLITS = ("base", "new", "all")
# Where a stage-I run (anchor pre-training) leaves the anchor that stage II reads.
ANCHOR_FILE = "anchor_prompt_learner/model.pth.tar-{epochs}"
ANCHOR_OPTION = "TRAINER.ANCHOROPT.ANCHOR_PATH"
FEATURE_CACHE_OPTION = "TRAINER.FEATURE_CACHE.DIR"
# With a shared cache, a sweep's jobs also share their training views: each view then depends on (seed,
# epoch, item) only, not on the original augmentation stream; trainers whose image tower is prompted (MaPLe,
# PromptSRC) keep encoding their images.
SHARED_VIEW_OPTIONS = ("DATALOADER.PER_SAMPLE_SEEDS", "True", "TRAINER.FEATURE_CACHE.TRAIN", "True")
JOB_LOG = "sweep.log"


def feature_cache_options(cache):
    """train.py KEY VALUE options of a sweep's jobs sharing the image-feature cache folder `cache`."""
    return (FEATURE_CACHE_OPTION, cache, *SHARED_VIEW_OPTIONS)


def run_finished(directory):
    """Some log of the run holds an accuracy after "Evaluate on the *test* set" (not after a val one)."""
    for path in [os.path.join(directory, "log.txt"), *sorted(glob.glob(os.path.join(directory, "log.txt-*")))]:
        if not os.path.isfile(path):
            continue
        on_test = False
        with open(path, encoding="utf-8", errors="replace") as log:
            for line in log:
                line = line.rstrip("\n")
                if line == "Evaluate on the *test* set":
                    on_test = True
                elif line == "Evaluate on the *val* set":
                    on_test = False
                elif on_test and line.startswith("* accuracy: "):
                    return True
    return False


@dataclass(frozen=True)
class Step:
    """One train.py call, run from the repository root."""
    argv: tuple
    output_dir: str
    evaluates: str = ""  # the training run this step loads (must be finished first)

    @property
    def text(self):
        return shlex.join(self.argv)

    @property
    def log_path(self):
        return os.path.join(self.output_dir, JOB_LOG)


@dataclass
class Job:
    """The steps of one trainer x dataset (x seed) run, in order; `after` names jobs that must succeed first."""
    name: str
    trainer: str
    steps: list
    after: tuple = ()
    dataset: str = ""
    seed: object = None

    @property
    def output_dir(self):
        return self.steps[0].output_dir


@dataclass
class Launch:
    """What every train.py call shares: the environment of the scripts (DATA, OUTPUT_ROOT, PYTHON, ...)."""
    data: str
    output_root: str = "output"
    python: str = "python"
    backbone: str = ""
    extra_opts: tuple = ()
    run_opts: tuple = field(default=())  # launcher options (feature cache), before EXTRA_OPTS

    def train_py(self, settings, output_dir, dataset, subsample, seed, head=(), job_opts=()):
        seed_args = ("--seed", str(seed)) if seed is not None else ()
        backbone = ("--backbone", self.backbone) if self.backbone else ()
        argv = (self.python, "train.py", "--root", self.data, *seed_args, "--trainer", settings.trainer,
                "--dataset-config-file", f"configs/datasets/{dataset}.yaml", "--config-file", settings.config_path,
                "--output-dir", output_dir, *backbone, *head, *settings.opts,
                "DATASET.NUM_SHOTS", settings.shots, "DATASET.SUBSAMPLE_CLASSES", subsample,
                *self.run_opts, *job_opts, *self.extra_opts)
        return tuple(argv)

    # Output folders: the original scripts' names, with every varied setting defined.
    @staticmethod
    def run_folder(settings):
        return f"{settings.config_name}_{settings.shots}shots/{settings.variant}"

    def base_to_novel_dir(self, settings, dataset, seed):
        return f"{self.output_root}/{dataset}/{settings.trainer}/{self.run_folder(settings)}/seed{seed}"

    def fewshot_dir(self, settings, dataset, seed):
        return f"{self.output_root}/fewshot/{dataset}/{settings.trainer}/{self.run_folder(settings)}/seed{seed}"

    def xd_train_dir(self, settings, seed):
        return (f"{self.output_root}/{XD_SOURCE}/{settings.trainer}/{settings.config_name}_{settings.shots}"
                f"shots_few_shots/{settings.variant}/seed{seed}")

    def xd_eval_dir(self, settings, target, seed):
        return f"{self.output_root}/evaluation/{settings.trainer}/{self.run_folder(settings)}/{target}/seed{seed}"

    def anchor_file(self, settings, dataset, seed):
        """The anchor a stage-I run (anchor pre-training) of `dataset` and `seed` leaves for stage II."""
        return os.path.join(self.base_to_novel_dir(settings, dataset, seed),
                            ANCHOR_FILE.format(epochs=settings.epochs))

    def zero_shot_dir(self, settings, dataset, split):
        suffix = "" if split == "all" else f"_{split}"
        return f"{self.output_root}/{settings.trainer}/{settings.config_name}/{dataset}/test{suffix}"

    # Steps of the protocols.
    def base_to_novel_train(self, settings, dataset, seed, job_opts=()):
        return Step(self.train_py(settings, self.base_to_novel_dir(settings, dataset, seed), dataset, "base", seed,
                                  ("OPTIM.MAX_EPOCH", settings.epochs), job_opts),
                    self.base_to_novel_dir(settings, dataset, seed))

    def base_to_novel_test(self, settings, dataset, seed, job_opts=()):
        train_dir = self.base_to_novel_dir(settings, dataset, seed)
        return Step(self.train_py(settings, f"{train_dir}/evaluation", dataset, "new", seed,
                                  ("--eval-only", "--model-dir", train_dir, "--load-epoch", settings.epochs), job_opts),
                    f"{train_dir}/evaluation", evaluates=train_dir)

    def xd_train(self, settings, seed):
        train_dir = self.xd_train_dir(settings, seed)
        return Step(self.train_py(settings, train_dir, XD_SOURCE, "all", seed, ("OPTIM.MAX_EPOCH", settings.epochs)),
                    train_dir)

    def xd_test(self, settings, target, seed):
        train_dir = self.xd_train_dir(settings, seed)
        output_dir = self.xd_eval_dir(settings, target, seed)
        return Step(self.train_py(settings, output_dir, target, "all", seed,
                                  ("--eval-only", "--model-dir", train_dir, "--load-epoch", settings.epochs)),
                    output_dir, evaluates=train_dir)

    def zero_shot(self, settings, dataset, split):
        output_dir = self.zero_shot_dir(settings, dataset, split)
        return Step(self.train_py(settings, output_dir, dataset, split, None, ("--eval-only",)), output_dir)

    def fewshot_train(self, settings, dataset, seed):
        output_dir = self.fewshot_dir(settings, dataset, seed)
        return Step(self.train_py(settings, output_dir, dataset, "all", seed, ("OPTIM.MAX_EPOCH", settings.epochs)),
                    output_dir)

    def table_command(self, trainers, seeds):
        seed_args = ("--seeds", *map(str, seeds)) if seeds else ()
        trainer_args = tuple(word for trainer in trainers for word in ("--trainer", trainer))
        return (self.python, "parse_test_res.py", self.output_root, "--table", *trainer_args, *seed_args)


def expand_xd_targets(name):
    return XD_GROUPS.get(name, (name,))


def require_trainable(settings):
    if settings.training_free:
        raise SettingsError(f"{settings.trainer} only evaluates: use scripts/zsclip/zeroshot.sh "
                            f"(or the base2new protocol, which runs its zero-shot base and new splits)")
    return settings


def sweep_jobs(launch, trainers, datasets, seeds, protocol, resolve, anchor_sources):
    """The jobs of a sweep, stage-I jobs first; `resolve(trainer, scope)` gives RunSettings.

    `anchor_sources` maps a stage-II trainer to the stage-I trainer of the sweep whose run of the same
    dataset and seed provides its anchor (base2new only): that job runs first, its anchor file is passed.
    """
    stage_one = set(anchor_sources.values())
    ordered = sorted(trainers, key=lambda trainer: trainer not in stage_one)
    jobs = []
    for trainer in ordered:
        if protocol == "xd":
            settings = require_trainable(resolve(trainer, XD_SCOPE))
            for seed in seeds:
                steps = [launch.xd_train(settings, seed)] + [launch.xd_test(settings, target, seed)
                                                            for target in datasets]
                jobs.append(Job(f"{trainer}/xd/seed{seed}", trainer, steps, seed=seed))
            continue
        for dataset in datasets:
            settings = resolve(trainer, dataset)
            if settings.training_free:
                if protocol == "base2new":
                    jobs.append(Job(f"{trainer}/{dataset}", trainer,
                                    [launch.zero_shot(settings, dataset, split) for split in ("base", "new")],
                                    dataset=dataset))
                else:
                    jobs.append(Job(f"{trainer}/fewshot/{dataset}", trainer,
                                    [launch.zero_shot(settings, dataset, "all")], dataset=dataset))
                continue
            for seed in seeds:
                if protocol == "fewshot":
                    jobs.append(Job(f"{trainer}/fewshot/{dataset}/seed{seed}", trainer,
                                    [launch.fewshot_train(settings, dataset, seed)], dataset=dataset, seed=seed))
                    continue
                after, job_opts = (), ()
                source = anchor_sources.get(trainer)
                if source:
                    anchor = launch.anchor_file(resolve(source, dataset), dataset, seed)
                    after, job_opts = (f"{source}/{dataset}/seed{seed}",), (ANCHOR_OPTION, anchor)
                steps = [launch.base_to_novel_train(settings, dataset, seed, job_opts),
                         launch.base_to_novel_test(settings, dataset, seed, job_opts)]
                jobs.append(Job(f"{trainer}/{dataset}/seed{seed}", trainer, steps, after, dataset, seed))
    return jobs
