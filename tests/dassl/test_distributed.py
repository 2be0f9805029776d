"""`torchrun --nproc_per_node=2` (gloo, CPU) trains the toy trainer to the one-process weights, logging once."""
import os
import subprocess
import sys

import pytest
import torch

from tests.dassl.toy_engine import final_weights, run_toy_training, write_toy_images

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOY_SCRIPT = os.path.join(REPO_ROOT, "tests", "dassl", "toy_train_script.py")
MAX_EPOCH = 2


@pytest.fixture(scope="module")
def toy_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("toy_data")
    write_toy_images(str(root))
    return str(root)


@pytest.fixture(scope="module")
def two_process_run(toy_root, tmp_path_factory):
    output_dir = str(tmp_path_factory.mktemp("ddp_run"))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": REPO_ROOT}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", TOY_SCRIPT,
               "--root", toy_root, "--output-dir", output_dir, "--max-epoch", str(MAX_EPOCH)]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return output_dir


def test_two_processes_reach_the_one_process_weights(toy_root, two_process_run, tmp_path):
    run_toy_training(toy_root, str(tmp_path), MAX_EPOCH)
    expected = final_weights(str(tmp_path), MAX_EPOCH)
    got = final_weights(two_process_run, MAX_EPOCH)
    assert expected.keys() == got.keys()
    for key in expected:
        torch.testing.assert_close(got[key], expected[key], rtol=1e-5, atol=1e-6)


def test_only_rank_zero_writes_the_log(two_process_run):
    with open(os.path.join(two_process_run, "log.txt")) as f:
        log = f.read()
    assert log.count("Finish training") == 1
    assert [name for name in os.listdir(two_process_run) if name.startswith("log.txt")] == ["log.txt"]

