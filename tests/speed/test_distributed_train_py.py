"""`torchrun --nproc_per_node=2 train.py` (gloo, CPU) trains CoOp on a synthetic dataset to the one-process prompts.

Full-batch steps without random augmentation make the gradient independent of which rank sees which
image, so two processes must reach the one-process weights up to float rounding.
"""
import os
import subprocess
import sys

import torch

import train
from dassl.utils import load_checkpoint
from tests.trainers.train_runs import RECIPES, small_dataset  # noqa: F401  (fixture)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EPOCHS = 2


def train_command(data, checkpoint, output_dir):
    config_file, recipe_opts = RECIPES["CoOp"]
    return [
        os.path.join(REPO_ROOT, "train.py"), "--root", data.root, "--seed", "1", "--trainer", "CoOp",
        "--dataset-config-file", data.config_file, "--config-file", os.path.join(REPO_ROOT, config_file),
        "--output-dir", str(output_dir), "MODEL.BACKBONE.NAME", checkpoint, *recipe_opts,
        "INPUT.SIZE", "(32, 32)", "INPUT.TRANSFORMS", "['normalize']", "DATASET.NUM_SHOTS", "2",
        "DATASET.SUBSAMPLE_CLASSES", "base", "DATALOADER.NUM_WORKERS", "0",
        "DATALOADER.TRAIN_X.BATCH_SIZE", "4", "DATALOADER.TEST.BATCH_SIZE", "4", "OPTIM.MAX_EPOCH", str(EPOCHS),
    ]


def run(launcher, command):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": REPO_ROOT}
    completed = subprocess.run([*launcher, *command], env=env, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed


def learned_context(output_dir):
    path = os.path.join(output_dir, "prompt_learner", f"model.pth.tar-{EPOCHS}")
    return load_checkpoint(path)["state_dict"]["ctx"]


def test_two_gloo_processes_train_coop_to_the_one_process_prompts(small_dataset, tiny_vit_checkpoint,  # noqa: F811
                                                                  tmp_path):
    single, double = tmp_path / "one", tmp_path / "two"
    run([sys.executable], train_command(small_dataset, tiny_vit_checkpoint, single))
    run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"],
        train_command(small_dataset, tiny_vit_checkpoint, double))
    expected, got = learned_context(single), learned_context(double)
    initial = train.main(train.build_parser().parse_args(
        ["--no-train", *train_command(small_dataset, tiny_vit_checkpoint, tmp_path / "initial")[1:]]))
    assert not torch.allclose(expected, initial.prompt_learner.ctx.detach(), atol=1e-4)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
    with open(double / "log.txt") as f:
        log = f.read()
    assert log.count("* accuracy:") == 1  # rank 0 alone logs the final test
