"""One real `train.py` run (tiny CLIP, synthetic DTD): its few-shot draw and its log.txt layout.

The draw must be the original's for a seed (train.py seeds Python's `random` right before the
dataset is built, and nothing draws from it in between). The log must keep the structure of the
original logs (spec 10.1), because result parsers and people read them.
"""
import json
import os
import random
import re

import pytest

import train
from dassl.config import get_cfg_default
from tests.fixtures.dataset_fixtures import make_synthetic_dataset

SEED, SHOTS, CLASSES = 5, 3, 4
BATCH_LINE = re.compile(
    r"^epoch \[1/1\] batch \[(\d+)/(\d+)\] time \d+\.\d{3} \(\d+\.\d{3}\) data \d+\.\d{3} \(\d+\.\d{3}\) "
    r"loss \d+\.\d{4} \(\d+\.\d{4}\) acc \d+\.\d{4} \(\d+\.\d{4}\) lr \d\.\d{4}e-\d\d eta \d+:\d\d:\d\d$"
)
UPSTREAM_ARGUMENTS = [
    "backbone", "config_file", "dataset_config_file", "eval_only", "head", "load_epoch", "model_dir", "no_train",
    "opts", "output_dir", "resume", "root", "seed", "source_domains", "target_domains", "trainer", "transforms",
]
CLIP_NORMALIZATION = (
    "+ normalization (mean=[0.48145466, 0.4578275, 0.40821073], std=[0.26862954, 0.26130258, 0.27577711])"
)


@pytest.fixture(scope="module")
def coop_run(tmp_path_factory, tiny_vit_checkpoint):
    """A fresh dataset (no few-shot cache yet), one CoOp epoch on the base classes."""
    root = tmp_path_factory.mktemp("log_run")
    data = make_synthetic_dataset(str(root / "data"), "DescribableTextures", n_classes=CLASSES, train_per_class=5)
    output_dir = root / "out"
    argv = [
        "--root", data.root, "--seed", str(SEED), "--trainer", "CoOp",
        "--dataset-config-file", data.config_file, "--config-file", "configs/trainers/CoOp/vit_b16.yaml",
        "--output-dir", str(output_dir),
        "DATASET.NUM_SHOTS", str(SHOTS), "DATASET.SUBSAMPLE_CLASSES", "base", "INPUT.SIZE", "(32, 32)",
        "DATALOADER.NUM_WORKERS", "0", "DATALOADER.TRAIN_X.BATCH_SIZE", "2", "DATALOADER.TEST.BATCH_SIZE", "4",
        "OPTIM.MAX_EPOCH", "1", "MODEL.BACKBONE.NAME", tiny_vit_checkpoint, "TRAINER.COOP.N_CTX", "4",
    ]
    trainer = train.main(train.build_parser().parse_args(argv))
    with open(output_dir / "log.txt") as f:
        log_lines = f.read().splitlines()
    return data, trainer, log_lines


def _expected_base_draw(data):
    """Spec 4.2 by hand: seed, then per label in JSON order random.sample(train, K), then val with min(K, 4)."""
    with open(os.path.join(data.dataset_dir, "split_zhou_DescribableTextures.json")) as f:
        split = json.load(f)
    random.seed(SEED)
    drawn = {}
    for name, shots in (("train", SHOTS), ("val", min(SHOTS, 4))):
        by_label = {}
        for impath, label, _ in split[name]:
            by_label.setdefault(label, []).append(impath)
        drawn[name] = [(path, label) for label, paths in by_label.items() for path in random.sample(paths, shots)]
    base = range((CLASSES + 1) // 2)
    return {name: [(path, label) for path, label in items if label in base] for name, items in drawn.items()}


def _relative(items, data):
    image_dir = os.path.join(data.dataset_dir, "images")
    return [(os.path.relpath(item.impath, image_dir), item.label) for item in items]


def test_seeded_run_draws_the_original_few_shot_subset_and_base_classes(coop_run):
    data, trainer, _ = coop_run
    expected = _expected_base_draw(data)
    assert _relative(trainer.dm.dataset.train_x, data) == expected["train"]
    assert _relative(trainer.dm.dataset.val, data) == expected["val"]
    assert trainer.dm.dataset.classnames == data.classnames[: (CLASSES + 1) // 2]


def test_log_opens_with_upstream_argument_banner_and_sorted_config_dump(coop_run):
    _, _, lines = coop_run
    assert lines[:3] == ["***************", "** Arguments **", "***************"]
    arguments = lines[3: 3 + len(UPSTREAM_ARGUMENTS)]
    assert [line.split(":", 1)[0] for line in arguments] == UPSTREAM_ARGUMENTS
    assert f"seed: {SEED}" in arguments and "load_epoch: None" in arguments and "backbone: " in arguments
    config_start = 3 + len(UPSTREAM_ARGUMENTS)
    assert lines[config_start: config_start + 3] == ["************", "** Config **", "************"]
    dump_end = lines.index("Loading trainer: CoOp")
    dump = lines[config_start + 3: dump_end]
    top_level = [line.split(":")[0] for line in dump if not line.startswith(" ")]
    assert top_level == sorted(top_level) and top_level[-1] == "VERSION"
    for expected in ("  SIZE: (32, 32)", "  TRANSFORMS: ('random_resized_crop', 'random_flip', 'normalize')",
                     "  WARMUP_CONS_LR: 1e-05", "  CIFAR_C_TYPE: ", "  STEPSIZE: (-1,)", f"SEED: {SEED}"):
        assert expected in dump


def test_config_dump_holds_every_engine_key(coop_run):
    _, _, lines = coop_run
    dump = lines[lines.index("** Config **") + 2: lines.index("Loading trainer: CoOp")]
    dumped, stack = set(), []
    for line in dump:
        depth = (len(line) - len(line.lstrip(" "))) // 2
        stack = stack[:depth] + [line.strip().split(":")[0]]
        dumped.add(".".join(stack))

    def keys(node, prefix=""):
        for key, value in node.items():
            yield from keys(value, f"{prefix}{key}.") if hasattr(value, "items") else [prefix + key]

    assert set(keys(get_cfg_default())) <= dumped


def test_reader_transform_and_summary_lines_follow_the_dump_in_upstream_order(coop_run):
    data, _, lines = coop_run
    start = lines.index("Loading trainer: CoOp")
    fewshot_file = os.path.join(data.dataset_dir, "split_fewshot", f"shot_{SHOTS}-seed_{SEED}.pkl")
    assert lines[start: start + 24] == [
        "Loading trainer: CoOp",
        "Loading dataset: DescribableTextures",
        f"Reading split from {os.path.join(data.dataset_dir, 'split_zhou_DescribableTextures.json')}",
        f"Creating a {SHOTS}-shot dataset",
        f"Creating a {SHOTS}-shot dataset",
        f"Saving preprocessed few-shot data to {fewshot_file}",
        "SUBSAMPLE BASE CLASSES!",
        "Building transform_train",
        "+ random resized crop (size=(32, 32), scale=(0.08, 1.0))",
        "+ random flip",
        "+ to torch tensor of range [0, 1]",
        CLIP_NORMALIZATION,
        "Building transform_test",
        "+ resize the smaller edge to 32",
        "+ 32x32 center crop",
        "+ to torch tensor of range [0, 1]",
        CLIP_NORMALIZATION,
        "---------  -------------------",
        "Dataset    DescribableTextures",
        "# classes  2",
        "# train_x  6",
        "# val      6",
        "# test     6",
        "---------  -------------------",
    ]


def test_training_and_result_lines_end_the_log_in_upstream_order(coop_run):
    _, trainer, lines = coop_run
    start = lines.index("Loading evaluator: Classification")
    assert lines[start + 1] == "No checkpoint found, train from scratch"
    batch_lines = lines[start + 2: start + 5]
    assert [BATCH_LINE.match(line).groups() for line in batch_lines] == [("1", "3"), ("2", "3"), ("3", "3")]
    checkpoint = os.path.join(trainer.output_dir, "prompt_learner", "model.pth.tar-1")
    assert lines[start + 5: start + 9] == [
        f"Checkpoint saved to {checkpoint}", "Finish training", "Deploy the last-epoch model", "Evaluate on the *test* set",
    ]
    result = lines[start + 9: start + 15]
    assert result[:2] == ["=> result", "* total: 6"] and re.fullmatch(r"\* correct: \d", result[2])
    assert re.fullmatch(r"\* accuracy: \d+\.\d{3}%", result[3])
    assert re.fullmatch(r"\* error: \d+\.\d{2}%", result[4]) and re.fullmatch(r"\* macro_f1: \d+\.\d{2}%", result[5])
    assert re.fullmatch(r"Elapsed: \d+:\d\d:\d\d", lines[start + 15]) and len(lines) == start + 16
