"""train.py: config assembly and the full train -> evaluate -> eval-only cycle of every trainer."""
import os
import subprocess
import sys

import pytest

import train
from tests.trainers.train_runs import logged_accuracies, run_train, small_dataset  # noqa: F401

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAINED = ["CoOp", "CoCoOp", "MaPLe", "DePT"]


def parse(argv):
    return train.build_parser().parse_args(argv)


@pytest.mark.parametrize("trainer", TRAINED)
def test_eval_only_from_checkpoint_reproduces_final_accuracy(trainer, small_dataset, tiny_vit_checkpoint, tmp_path):
    opts = ["DATASET.SUBSAMPLE_CLASSES", "base"]
    run_train(small_dataset, tiny_vit_checkpoint, trainer, tmp_path / "train", opts=opts)
    [trained] = logged_accuracies(tmp_path / "train")
    run_train(small_dataset, tiny_vit_checkpoint, trainer, tmp_path / "eval", opts=opts,
              flags=["--eval-only", "--model-dir", str(tmp_path / "train"), "--load-epoch", "1"])
    assert logged_accuracies(tmp_path / "eval") == [trained]


@pytest.mark.parametrize("trainer", TRAINED)
def test_checkpoint_of_base_classes_evaluates_on_new_classes(trainer, small_dataset, tiny_vit_checkpoint, tmp_path):
    run_train(small_dataset, tiny_vit_checkpoint, trainer, tmp_path / "train", opts=["DATASET.SUBSAMPLE_CLASSES", "base"])
    run_train(small_dataset, tiny_vit_checkpoint, trainer, tmp_path / "new", opts=["DATASET.SUBSAMPLE_CLASSES", "new"],
              flags=["--eval-only", "--model-dir", str(tmp_path / "train")])
    [accuracy] = logged_accuracies(tmp_path / "new")
    assert 0.0 <= accuracy <= 100.0


@pytest.mark.parametrize("trainer", ["ZeroshotCLIP", "ZeroshotCLIP2"])
def test_zero_shot_trainers_evaluate_without_model_dir(trainer, small_dataset, tiny_vit_checkpoint, tmp_path):
    run_train(small_dataset, tiny_vit_checkpoint, trainer, tmp_path, flags=["--eval-only"])
    assert len(logged_accuracies(tmp_path)) == 1


def test_seed_zero_is_applied():
    assert train.setup_cfg(parse(["--seed", "0"])).SEED == 0


def test_no_seed_keeps_default():
    assert train.setup_cfg(parse([])).SEED == -1


def test_assembly_order_dataset_file_then_method_file_then_flags_then_opts(small_dataset):
    cfg = train.setup_cfg(parse([
        "--dataset-config-file", small_dataset.config_file,
        "--config-file", "configs/trainers/CoOp/vit_b16.yaml",
        "--backbone", "RN50", "--trainer", "CoOp",
        "DATASET.NUM_SHOTS", "4", "MODEL.BACKBONE.NAME", "ViT-B/32",
    ]))
    assert cfg.DATASET.NAME == "Caltech101"
    assert cfg.OPTIM.MAX_EPOCH == 200 and cfg.TRAIN.PRINT_FREQ == 20
    assert cfg.DATASET.NUM_SHOTS == 4
    assert cfg.MODEL.BACKBONE.NAME == "ViT-B/32"
    assert cfg.TRAINER.NAME == "CoOp"


def test_string_context_init_merges_into_coop():
    cfg = train.setup_cfg(parse(["--config-file", "configs/trainers/CoOp/rn50_ctxv1.yaml"]))
    assert cfg.TRAINER.COOP.CTX_INIT == "a photo of a"


def test_method_keys_have_spec_defaults():
    cfg = train.setup_cfg(parse([]))
    assert (cfg.TRAINER.COOP.N_CTX, cfg.TRAINER.COOP.CSC, cfg.TRAINER.COOP.CTX_INIT) == (16, False, "")
    assert (cfg.TRAINER.COCOOP.N_CTX, cfg.TRAINER.COCOOP.CTX_INIT, cfg.TRAINER.COCOOP.PREC) == (16, "", "fp16")
    assert (cfg.TRAINER.MAPLE.N_CTX, cfg.TRAINER.MAPLE.CTX_INIT, cfg.TRAINER.MAPLE.PROMPT_DEPTH) == (2, "a photo of a", 9)
    assert (cfg.TRAINER.LINEAR_PROBE.TYPE, cfg.TRAINER.LINEAR_PROBE.WEIGHT) == ("linear", 0.7)
    assert cfg.TRAINER.NAMES_TO_UPDATE == ["prompt_learner", "linear_probe", "film"]
    assert cfg.TRAINER.TEXT_ENCODER.TRUNCATE_AT_EOT is True


def test_command_line_turns_a_missing_dataset_folder_into_one_error_line(tmp_path, capsys):
    status = train.cli(["--root", str(tmp_path), "--trainer", "CoOp", "--output-dir", str(tmp_path / "run"),
                        "--dataset-config-file", "configs/datasets/dtd.yaml"])
    assert status == 1
    assert capsys.readouterr().err == f"error: Dataset folder not found: {tmp_path}/dtd — see DATASETS.md#describabletextures\n"


@pytest.mark.parametrize("opts, key", [
    (["TRAINER.COOP.PREC", "fp8"], "TRAINER.COOP.PREC"),
    (["TRAINER.COOP.PRECC", "fp16"], "TRAINER.COOP.PRECC (closest valid key: TRAINER.COOP.PREC)"),
])
def test_bad_configuration_value_is_one_error_line_from_the_shell(opts, key, tmp_path):
    completed = subprocess.run(
        [sys.executable, "train.py", "--root", str(tmp_path), "--trainer", "CoOp",
         "--output-dir", str(tmp_path / "run"), "--dataset-config-file", "configs/datasets/dtd.yaml", *opts],
        cwd=REPO_ROOT, capture_output=True, text=True,
    )
    assert completed.returncode == 1
    assert completed.stderr.startswith("error: ") and completed.stderr.count("\n") == 1
    assert key in completed.stderr

