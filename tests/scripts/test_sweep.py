"""scripts/sweep.py: every (trainer, dataset, seed) job runs once, one at a time per GPU, with the shared cache."""
import os
import sys

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO_ROOT, "scripts"))
import sweep  # noqa: E402

# Stands in for `bash scripts/base2new.sh ...`: records its GPU, cache and running time, exits with argv[3].
STUB = """
import os, sys, time
start = time.monotonic()
time.sleep(0.3)
with open(sys.argv[1], "a") as f:
    f.write(f"{sys.argv[2]} {os.environ.get('CUDA_VISIBLE_DEVICES')} {os.environ.get('CLIP_FEATURE_CACHE')} "
            f"{start} {time.monotonic()}\\n")
sys.exit(int(sys.argv[3]))
"""


@pytest.fixture
def record(tmp_path, monkeypatch):
    path = tmp_path / "record.txt"
    failing = {"CoOp_dtd_seed2"}

    def command(job):
        return [sys.executable, "-c", STUB, str(path), job.name, "3" if job.name in failing else "0"]

    monkeypatch.setattr(sweep.Job, "command", command)
    return path


def read_record(path):
    rows = [line.split() for line in path.read_text().splitlines()]
    return [(name, gpu, cache, float(start), float(end)) for name, gpu, cache, start, end in rows]


def test_jobs_spread_over_gpus_one_at_a_time_with_one_cache(record, tmp_path, capsys):
    args = sweep.build_parser().parse_args([
        "--trainers", "CoOp", "CoOp_ATP", "--datasets", "dtd", "--seeds", "1", "2", "3", "--gpus", "0", "1",
        "--log-dir", str(tmp_path / "logs"), "--feature-cache", str(tmp_path / "cache")])
    assert sweep.main(args) == 1  # CoOp_dtd_seed2 failed
    rows = read_record(record)
    expected = {f"{trainer}_dtd_seed{seed}" for trainer in ("CoOp", "CoOp_ATP") for seed in (1, 2, 3)}
    assert sorted(name for name, *_ in rows) == sorted(expected)
    assert {gpu for _, gpu, *_ in rows} == {"0", "1"}
    assert {cache for _, _, cache, *_ in rows} == {str(tmp_path / "cache")}
    for gpu in ("0", "1"):
        spans = sorted((start, end) for _, used, _, start, end in rows if used == gpu)
        assert all(previous_end <= start for (_, previous_end), (start, _) in zip(spans, spans[1:]))
    assert sorted(os.listdir(tmp_path / "logs")) == sorted(f"{name}.log" for name in expected)
    assert "1 of 6 jobs failed" in capsys.readouterr().out


def test_no_feature_cache_leaves_the_jobs_without_one(record, tmp_path, monkeypatch):
    monkeypatch.delenv("CLIP_FEATURE_CACHE", raising=False)
    args = sweep.build_parser().parse_args([
        "--trainers", "CoOp", "--datasets", "caltech101", "--seeds", "1", "--gpus", "0",
        "--log-dir", str(tmp_path / "logs"), "--no-feature-cache"])
    assert sweep.main(args) == 0
    (row,) = read_record(record)
    assert row[1:3] == ("0", "None")


def test_visible_gpus_follow_cuda_visible_devices(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2, 3")
    assert sweep.visible_gpus(None) == ["2", "3"]
    assert sweep.visible_gpus(["5"]) == ["5"]


def test_jobs_share_per_sample_views_and_the_training_cache(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("EXTRA_OPTS", "OPTIM.MAX_EPOCH 2")
    args = sweep.build_parser().parse_args(["--trainers", "CoOp", "--datasets", "dtd", "--feature-cache", str(tmp_path)])
    seen = []
    monkeypatch.setattr(sweep, "run_jobs", lambda jobs, gpus, log_dir, cache: seen.append(cache) or {})
    assert sweep.main(args) == 0
    assert "training-feature cache are on" in capsys.readouterr().out
    env = sweep.job_environment("0", seen[0])
    assert env["EXTRA_OPTS"] == ("DATALOADER.PER_SAMPLE_SEEDS True TRAINER.FEATURE_CACHE.TRAIN True "
                                 "OPTIM.MAX_EPOCH 2")  # the user's options last, so they win
    assert env["CLIP_FEATURE_CACHE"] == str(tmp_path)
    assert sweep.job_environment("0", "")["EXTRA_OPTS"] == "OPTIM.MAX_EPOCH 2"
