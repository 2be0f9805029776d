"""Turn the runs found under a results folder into (method, dataset, split, seed) measurements.

Who ran what is read from each log's argument banner and config dump, so the original layout
(`<train dir>/evaluation`, `output/evaluation/...`) and ours are read alike; the output-directory
name only supplies the variant label (`--by-variant`) and fills gaps in a log without a banner.
"""
import os
import re
from dataclasses import dataclass

from results.datasets import CONFIG_STEM_TO_NAME
from results.logs import find_run_dirs, read_run_dir

SPLITS = ("base", "new", "all")
_SEED_DIR = re.compile(r"^seed-?\d+$")


@dataclass(frozen=True)
class Measurement:
    """One run's test accuracy (None while unfinished) under the label of its method."""

    method: str
    dataset: str
    split: str
    seed: int
    accuracy: float | None
    path: str


def _variant_label(run):
    """The train folder's name without root, dataset and seed: `CoOp/vit_b16_16shots/.../CTX_16_epo_200`."""
    if run.eval_only and not run.model_dir:
        config_stem = os.path.splitext(os.path.basename(run.arguments.get("config_file", "")))[0]
        return f"{run.trainer}/{config_stem}" if config_stem else run.trainer
    train_dir = run.model_dir if run.eval_only else run.output_dir
    parts = [part for part in os.path.normpath(train_dir).split(os.sep) if part not in ("", ".")]
    dataset_positions = [index for index, part in enumerate(parts) if part in CONFIG_STEM_TO_NAME]
    if dataset_positions:
        parts = parts[dataset_positions[0] + 1:]
    parts = [part for part in parts if not _SEED_DIR.match(part)]
    return "/".join(parts) or run.trainer


def measurement_of(run, by_variant=False):
    if run.subsample not in SPLITS:
        raise ValueError(f"{run.path}: unknown DATASET.SUBSAMPLE_CLASSES {run.subsample!r} (expected one of {SPLITS})")
    method = _variant_label(run) if by_variant else run.trainer
    return Measurement(method, run.dataset, run.subsample, run.seed, run.test_accuracy, run.path)


def collect_measurements(root, by_variant=False, trainers=None):
    """All measurements under `root`; two runs claiming the same key is an error, never a silent pick."""
    by_key = {}
    for run_dir in find_run_dirs(root):
        run = read_run_dir(run_dir)
        if trainers and run.trainer not in trainers:
            continue
        measurement = measurement_of(run, by_variant)
        key = (measurement.method, measurement.dataset, measurement.split, measurement.seed)
        if key in by_key:
            raise ValueError(
                f"Two runs give {' / '.join(map(str, key))}: {by_key[key].path} and {measurement.path}. "
                "Move one out of the results folder, or pass --by-variant to show each variant as its own method."
            )
        by_key[key] = measurement
    return list(by_key.values())
