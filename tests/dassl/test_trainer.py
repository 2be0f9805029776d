import os
import re
import subprocess
import sys

import pytest
import torch

from dassl.engine import build_trainer
from tests.dassl.toy_engine import final_weights, run_toy_training, toy_cfg, write_toy_images

BATCH_LINE = re.compile(
    r"^epoch \[(\d+)/(\d+)\] batch \[(\d+)/(\d+)\] time (\S+) \((\S+)\) data (\S+) \((\S+)\) (.*) lr (\S+) eta (.+)$"
)
SCRIPT = os.path.join(os.path.dirname(__file__), "toy_train_script.py")


@pytest.fixture
def toy_root(tmp_path):
    write_toy_images(str(tmp_path / "data"))
    return tmp_path / "data"


def _train(cfg):
    trainer = build_trainer(cfg)
    trainer.train()
    return trainer


def test_every_batch_is_logged_and_last_batch_shows_next_lr(toy_root, tmp_path, capsys):
    _train(toy_cfg(toy_root, tmp_path / "out", max_epoch=2))
    lines = capsys.readouterr().out.splitlines()
    matches = [BATCH_LINE.match(line) for line in lines if line.startswith("epoch [")]
    assert all(matches) and len(matches) == 12
    assert [(m.group(1), m.group(3), m.group(4)) for m in matches[:6]] == [("1", str(i), "6") for i in range(1, 7)]
    assert re.fullmatch(r"loss \S+ \(\S+\) acc \S+ \(\S+\)", matches[0].group(9))
    assert [m.group(10) for m in matches[:6]] == ["1.0000e-05"] * 5 + ["2.0000e-03"]


def test_print_freq_prints_only_multiples(toy_root, tmp_path, capsys):
    _train(toy_cfg(toy_root, tmp_path / "out", max_epoch=1, batch_size=1, print_freq=5))
    batches = [BATCH_LINE.match(line).group(3) for line in capsys.readouterr().out.splitlines() if line.startswith("epoch [")]
    assert batches == ["5", "10"]


def test_end_of_training_lines_in_order(toy_root, tmp_path, capsys):
    _train(toy_cfg(toy_root, tmp_path / "out", max_epoch=1))
    out = capsys.readouterr().out
    expected = [
        f"Checkpoint saved to {tmp_path / 'out' / 'toy_model' / 'model.pth.tar-1'}",
        "Finish training",
        "Deploy the last-epoch model",
        "Evaluate on the *test* set",
        "=> result",
        "* total: 12",
    ]
    positions = [out.index(line) for line in expected]
    assert positions == sorted(positions)
    assert re.search(r"^Elapsed: \d+:\d\d:\d\d$", out, re.M)


def test_best_val_falls_back_to_test_and_loads_best(toy_root, tmp_path, capsys):
    cfg = toy_cfg(toy_root, tmp_path / "out", max_epoch=1)
    cfg.TEST.FINAL_MODEL = "best_val"
    trainer = _train(cfg)
    out = capsys.readouterr().out
    assert "Deploy the model with the best val performance" in out
    assert re.search(r"Load .*model-best.pth.tar to toy_model \(epoch=1, val_result=\d+\.\d\d\)", out)
    trainer.load_model(str(tmp_path / "out"), epoch=1)
    assert "(epoch=1, val_result=None)" in capsys.readouterr().out


def test_no_test_skips_evaluation_and_checkpoint_freq_saves_each_epoch(toy_root, tmp_path, capsys):
    cfg = toy_cfg(toy_root, tmp_path / "out", max_epoch=2)
    cfg.TEST.NO_TEST = True
    cfg.TRAIN.CHECKPOINT_FREQ = 1
    _train(cfg)
    assert "Evaluate on" not in capsys.readouterr().out
    assert sorted(os.listdir(tmp_path / "out" / "toy_model")) == ["checkpoint", "model.pth.tar-1", "model.pth.tar-2"]


def test_set_model_mode_touches_registered_modules_only(toy_root, tmp_path):
    trainer = build_trainer(toy_cfg(toy_root, tmp_path / "out"))
    trainer.frozen.eval()
    trainer.set_model_mode("train")
    assert trainer.model.training and not trainer.frozen.training
    assert trainer.train_loader is trainer.train_loader_x
    assert trainer.device == torch.device("cpu")
    with pytest.raises(KeyError):
        trainer.set_model_mode("bogus")


def test_write_scalar_is_noop_without_writer_and_writes_events_with_one(toy_root, tmp_path):
    trainer = build_trainer(toy_cfg(toy_root, tmp_path / "out"))
    trainer.write_scalar("train/loss", 1.0, 0)
    trainer.init_writer(str(tmp_path / "tb"))
    trainer.write_scalar("train/loss", 1.0, 0)
    trainer.close_writer()
    assert any(name.startswith("events.out.tfevents") for name in os.listdir(tmp_path / "tb"))


def test_unreadable_image_fails_naming_the_file_from_a_worker(toy_root, tmp_path):
    cfg = toy_cfg(toy_root, tmp_path / "out")
    cfg.DATALOADER.NUM_WORKERS = 1
    trainer = build_trainer(cfg)
    broken = toy_root / "toy" / "0_0.png"
    broken.write_bytes(b"garbage")
    with pytest.raises(OSError) as info:
        trainer.test()
    assert str(info.value).startswith(f'Cannot read image "{broken}"')
    assert "Traceback" not in str(info.value)


def _run_script(root, output_dir, *extra):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, SCRIPT, "--root", str(root), "--output-dir", str(output_dir), "--max-epoch", "3", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)


def _epoch_lrs(output_dir):
    """The lr printed on the first batch of each epoch, across all log files of the run."""
    lrs = {}
    for name in sorted(os.listdir(output_dir)):
        if name.startswith("log.txt"):
            for line in open(os.path.join(output_dir, name)):
                match = BATCH_LINE.match(line.strip())
                if match and match.group(3) == "1":
                    lrs[int(match.group(1))] = match.group(10)
    return lrs


def test_killed_run_resumes_to_same_weights_and_lrs_as_uninterrupted(toy_root, tmp_path):
    """The uninterrupted reference runs in-process (same code as the script) to save a torch import."""
    straight, interrupted = tmp_path / "straight", tmp_path / "interrupted"
    run_toy_training(str(toy_root), str(straight), max_epoch=3)
    killed = _run_script(toy_root, interrupted, "--kill-after-epoch", "1")
    assert killed.returncode == -9
    assert sorted(os.listdir(interrupted / "toy_model")) == ["checkpoint", "model.pth.tar-1"]
    resumed = _run_script(toy_root, interrupted)
    assert resumed.returncode == 0
    assert "Found checkpoint at" in resumed.stdout and "Previous epoch: 1" in resumed.stdout
    assert _epoch_lrs(interrupted) == _epoch_lrs(straight) == {1: "1.0000e-05", 2: "2.0000e-03", 3: "1.5000e-03"}
    for key, value in final_weights(straight, 3).items():
        assert torch.equal(value, final_weights(interrupted, 3)[key])
