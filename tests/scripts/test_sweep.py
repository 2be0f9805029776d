"""scripts/sweep.py: jobs one per GPU at a time, stage I before stage II, skipping, status, bad input."""
import os
import sys

import pytest

from scripts import sweep
from scripts.launch import shell
from scripts.launch.execute import job_state, run_job
from scripts.launch.runs import ANCHOR_OPTION, FEATURE_CACHE_OPTION, Job, Step, feature_cache_options
from scripts.launch.settings import REPO_ROOT

# Stands in for train.py: records its GPU and running time, then finishes the run (a test accuracy in
# log.txt) or fails with the given status.
STUB = """
import os, sys, time
record, name, status, output_dir = sys.argv[1:5]
start = time.monotonic()
time.sleep(0.3)
with open(record, "a") as f:
    f.write(f"{name} {os.environ.get('CUDA_VISIBLE_DEVICES')} {start} {time.monotonic()}\\n")
if status == "0":
    with open(os.path.join(output_dir, "log.txt"), "w") as log:
        log.write("Evaluate on the *test* set\\n* accuracy: 50.0%\\n")
print("stub ran", name)
sys.exit(int(status))
"""


def stub_job(tmp_path, name, status=0, after=()):
    output_dir = str(tmp_path / "runs" / name)
    step = Step((sys.executable, "-c", STUB, str(tmp_path / "record.txt"), name, str(status), output_dir), output_dir)
    return Job(name, name.split("-")[0], [step], tuple(after))


def read_record(tmp_path):
    rows = [line.split() for line in (tmp_path / "record.txt").read_text().splitlines()]
    return {name: (gpu, float(start), float(end)) for name, gpu, start, end in rows}


def test_jobs_spread_over_gpus_one_at_a_time(tmp_path, capsys):
    jobs = [stub_job(tmp_path, f"CoOp-{index}", status=3 if index == 2 else 0) for index in range(6)]
    statuses = sweep.run_here(jobs, ["0", "1"], echo=False)
    assert statuses == {job.name: 3 if job.name == "CoOp-2" else 0 for job in jobs}
    rows = read_record(tmp_path)
    assert sorted(rows) == sorted(job.name for job in jobs)
    assert {gpu for gpu, _, _ in rows.values()} == {"0", "1"}
    for gpu in ("0", "1"):
        spans = sorted((start, end) for used, start, end in rows.values() if used == gpu)
        assert all(previous_end <= start for (_, previous_end), (start, _) in zip(spans, spans[1:]))
    failed_log = os.path.join(str(tmp_path / "runs" / "CoOp-2"), "sweep.log")
    assert f"CoOp-2: FAILED (3), log: {failed_log}" in capsys.readouterr().out
    assert "stub ran CoOp-2" in open(failed_log).read()


def test_a_job_waits_for_its_prerequisite_and_is_not_run_when_it_failed(tmp_path, capsys):
    jobs = [stub_job(tmp_path, "Stage1-ok"), stub_job(tmp_path, "Stage1-bad", status=1),
            stub_job(tmp_path, "Stage2-ok", after=["Stage1-ok"]),
            stub_job(tmp_path, "Stage2-bad", after=["Stage1-bad"])]
    statuses = sweep.run_here(list(reversed(jobs)), ["0", "1"], echo=False)
    assert statuses["Stage2-ok"] == 0 and statuses["Stage2-bad"] == "blocked"
    rows = read_record(tmp_path)
    assert "Stage2-bad" not in rows
    assert rows["Stage2-ok"][1] >= rows["Stage1-ok"][2]
    assert "Stage2-bad: not run, a job it needs failed (Stage1-bad)" in capsys.readouterr().out


def test_finished_steps_are_skipped_on_a_rerun(tmp_path):
    job = stub_job(tmp_path, "CoOp-1")
    assert run_job(job) == 0
    assert run_job(job, echo=True) == 0
    assert list(read_record(tmp_path)) == ["CoOp-1"]


def test_status_reads_done_failed_and_pending_from_the_logs(tmp_path):
    done, failed, pending = (stub_job(tmp_path, "CoOp-done"), stub_job(tmp_path, "CoOp-failed", status=2),
                             stub_job(tmp_path, "CoOp-pending"))
    run_job(done), run_job(failed)
    assert job_state(done).state == "done"
    assert (job_state(failed).state, job_state(failed).log) == ("failed", failed.steps[0].log_path)
    assert job_state(pending).state == "pending"
    os.makedirs(pending.output_dir)
    with open(pending.steps[0].log_path, "w") as log:
        log.write("== start CoOp-pending host=elsewhere pid=1 slurm_job=77_1 SLURM_JOB_ID=78\n")
    assert job_state(pending, {"77_1": "RUNNING"}, {}).state == "running"
    assert job_state(pending, {}, {}).state == "failed"


def dry_run(tmp_path, capsys, *argv, **env):
    environment = {key: value for key, value in os.environ.items() if key not in ("SETTINGS_FILE", "EXTRA_OPTS")}
    environment.update(DATA="/datasets", OUTPUT_ROOT=str(tmp_path / "out"), **env)
    status = sweep.main(sweep.build_parser().parse_args([*argv, "--dry-run"]), environment)
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err


def test_stage_one_runs_first_and_hands_its_anchor_to_stage_two(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, lines, _ = dry_run(tmp_path, capsys, "--trainers", "CoOp_AnchorOPT", "CoOp_Pretrain_Anchor",
                               "--datasets", "dtd", "--seeds", "2", "--executor", "local")
    assert status == 0
    trainers = [line.split("--trainer ")[1].split()[0] for line in lines if "train.py" in line]
    assert trainers == ["CoOp_Pretrain_Anchor"] * 2 + ["CoOp_AnchorOPT"] * 2
    anchor = (f"{tmp_path}/out/dtd/CoOp_Pretrain_Anchor/vit_b16_16shots/ACTX_1_EPO_100_MSE_1000.0/seed2/"
              "anchor_prompt_learner/model.pth.tar-100")
    assert all(f"{ANCHOR_OPTION} {anchor}" in line for line in lines[2:4])
    assert all(f"{FEATURE_CACHE_OPTION} {tmp_path}/out/feature_cache" in line for line in lines[:4])
    assert lines[4] == (f"python parse_test_res.py {tmp_path}/out --table --trainer CoOp_Pretrain_Anchor "
                        "--trainer CoOp_AnchorOPT --seeds 2")

    environment = dict(os.environ, DATA="/datasets", OUTPUT_ROOT=str(tmp_path / "out"))
    assert shell.main(["anchor", "CoOp_AnchorOPT", "dtd", "2"], environment) == 0  # what quickstart.sh passes
    assert capsys.readouterr().out == anchor + "\n"


def test_stage_one_anchor_of_a_trainer_without_one_or_of_an_unknown_dataset_is_an_error(capsys, monkeypatch):
    monkeypatch.chdir(REPO_ROOT)
    environment = dict(os.environ, DATA="/datasets")
    assert shell.main(["anchor", "CoOp", "dtd", "1"], environment) == 1
    assert capsys.readouterr().err == "error: CoOp reads no stage-I anchor (its settings name no anchor_from)\n"
    assert shell.main(["anchor", "KgCoOp_AnchorOPT", "dtdd", "1"], environment) == 1
    assert capsys.readouterr().err.startswith("error: unknown dataset 'dtdd' (valid: caltech101, dtd,")


def test_xd_protocol_trains_on_imagenet_then_tests_every_target(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, lines, _ = dry_run(tmp_path, capsys, "--trainers", "CoCoOp", "--datasets", "dg", "--seeds", "1",
                               "--protocol", "xd", "--no-table")
    assert status == 0 and len(lines) == 5
    assert "configs/datasets/imagenet.yaml" in lines[0] and "--eval-only" not in lines[0]
    assert [line.split("configs/datasets/")[1].split(".")[0] for line in lines[1:]] == [
        "imagenetv2", "imagenet_sketch", "imagenet_a", "imagenet_r"]


def test_fewshot_protocol_trains_on_all_classes_in_its_own_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, lines, _ = dry_run(tmp_path, capsys, "--trainers", "CoOp", "--datasets", "eurosat", "--seeds", "1", "2",
                               "--protocol", "fewshot")
    experiment = f"{tmp_path}/out/fewshot/eurosat/CoOp/vit_b16_16shots/nctx16_cscFalse_ctpend/CTX_16_epo_200"
    assert status == 0 and len(lines) == 3 and "DATASET.SUBSAMPLE_CLASSES all" in lines[0]
    assert f"--output-dir {experiment}/seed1" in lines[0] and f"--output-dir {experiment}/seed2" in lines[1]
    assert lines[2] == f"python parse_test_res.py {experiment}"  # the original report: mean and std over seeds


@pytest.mark.parametrize("argv, message", [
    (["--trainers", "CoOpp", "--datasets", "dtd"], "error: unknown trainer 'CoOpp' (valid: AttributeCompute, "),
    (["--trainers", "CoOp", "--datasets", "dtdd"], "error: unknown dataset 'dtdd' (valid: caltech101, "),
    (["--trainers", "CoOp", "--datasets", "dtd", "--protocol", "b2n"],
     "error: unknown protocol 'b2n' (valid: base2new, xd, fewshot)"),
    (["--trainers", "CoOp", "--datasets", "dtd", "--executor", "pbs"],
     "error: unknown executor 'pbs' (valid: local, gpus, slurm)"),
])
def test_bad_input_is_one_line_with_the_valid_choices(argv, message, tmp_path, capsys):
    status, lines, err = dry_run(tmp_path, capsys, *argv)
    assert status == 1 and lines == []
    assert err.startswith(message) and err.count("\n") == 1


def test_unknown_profile_key_names_the_valid_ones(tmp_path, capsys):
    profile = tmp_path / "cluster.yaml"
    profile.write_text("partition: gpu\ngpus: 4\n")
    status, _, err = dry_run(tmp_path, capsys, "--trainers", "CoOp", "--datasets", "dtd", "--executor", "slurm",
                             "--profile", str(profile))
    assert status == 1
    assert err == (f"error: {profile}: unknown profile key 'gpus' (valid: partition, account, time, nodes, "
                   "gpus_per_node, tasks_per_node, cpus_per_task, mem, qos, constraint, array_parallelism, sbatch)\n")


def test_slurm_dry_run_prints_the_arrays_and_their_dependency(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    profile = tmp_path / "cluster.yaml"
    profile.write_text("partition: gpu\naccount: lab\nsbatch: {exclusive: true}\n")
    status, lines, _ = dry_run(tmp_path, capsys, "--trainers", "CoOp_Pretrain_Anchor", "CoOp_AnchorOPT",
                               "--datasets", "dtd", "eurosat", "--seeds", "1", "--executor", "slurm",
                               "--profile", str(profile), "--time", "30", "--gpus-per-node", "1")
    assert status == 0
    headers = [line for line in lines if line.startswith("sbatch")]
    assert headers[0].startswith("sbatch (array of 2) --time=30 --nodes=1 --ntasks-per-node=1 --gpus-per-node=1 "
                                 "--partition=gpu --account=lab --requeue --exclusive")
    assert [header.split("--dependency=")[1].split()[0] for header in headers[1:]] == [
        "afterok:<CoOp_Pretrain_Anchor/dtd/seed1>", "afterok:<CoOp_Pretrain_Anchor/eurosat/seed1>"]


@pytest.mark.parametrize("executor", ["local", "gpus", "slurm"])
def test_every_job_shares_views_and_the_training_cache_unless_told_not_to(executor, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = ("--trainers", "CoOp", "MaPLe", "--datasets", "dtd", "--seeds", "1", "--executor", executor, "--no-table")
    status, lines, err = dry_run(tmp_path, capsys, *argv, EXTRA_OPTS="TRAINER.FEATURE_CACHE.TRAIN False")
    cache = f"{tmp_path}/out/feature_cache"
    shared = " ".join(feature_cache_options(cache))
    assert shared == (f"TRAINER.FEATURE_CACHE.DIR {cache} DATALOADER.PER_SAMPLE_SEEDS True "
                      "TRAINER.FEATURE_CACHE.TRAIN True")
    steps = [line for line in lines if "train.py" in line]
    assert status == 0 and len(steps) == 4
    assert all(line.endswith(f"{shared} TRAINER.FEATURE_CACHE.TRAIN False") for line in steps)  # EXTRA_OPTS last
    assert err == "" and not any("cache are on" in line for line in lines)  # a dry run prints commands only

    status, lines, err = dry_run(tmp_path, capsys, *argv, "--no-feature-cache")
    steps = [line for line in lines if "train.py" in line]
    assert status == 0 and len(steps) == 4 and err == ""
    assert not any("FEATURE_CACHE" in line or "PER_SAMPLE_SEEDS" in line for line in steps)


@pytest.mark.parametrize("no_cache", [False, True])
def test_a_run_announces_the_shared_views_once_before_its_jobs(no_cache, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ran = []
    monkeypatch.setattr(sweep, "run_here", lambda jobs, slots, echo: ran.extend(jobs) or {job.name: 0 for job in jobs})
    environment = {key: value for key, value in os.environ.items() if key not in ("SETTINGS_FILE", "EXTRA_OPTS")}
    environment.update(DATA="/datasets", OUTPUT_ROOT=str(tmp_path / "out"))
    argv = ["--trainers", "CoOp", "--datasets", "dtd", "--seeds", "1", "2", "--executor", "local", "--no-table"]
    assert sweep.main(sweep.build_parser().parse_args(argv + ["--no-feature-cache"] * no_cache), environment) == 0
    assert len(ran) == 2
    announced = [line for line in capsys.readouterr().out.splitlines() if "training-feature cache are on" in line]
    shared = " ".join(feature_cache_options(f"{tmp_path}/out/feature_cache"))
    assert announced == ([] if no_cache else [f"Per-sample augmentation seeds and the training-feature cache are on "
                                               f"for every job ({shared}); --no-feature-cache turns them off"])


def test_visible_gpus_follow_cuda_visible_devices(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2, 3")
    assert sweep.visible_gpus(None) == ["2", "3"]
    assert sweep.visible_gpus(["5"]) == ["5"]


def test_a_refused_group_cancels_the_groups_already_submitted(monkeypatch, tmp_path):
    import subprocess

    from scripts.launch import slurm

    cancelled = []

    def refuse_second_group(jobs, parameters, output_root, ids):
        ids["Stage1"] = "41_0"
        raise subprocess.CalledProcessError(1, ["sbatch"])

    monkeypatch.setattr(slurm, "_submit_groups", refuse_second_group)
    monkeypatch.setattr(slurm, "cancel", cancelled.extend)
    with pytest.raises(slurm.SettingsError, match="sbatch refused the sweep, nothing submitted"):
        slurm.submit([], {}, str(tmp_path))
    assert cancelled == ["41_0"]
    assert not (tmp_path / slurm.SUBMITTED).exists()


def test_an_interrupted_attempts_log_is_set_aside_so_the_rerun_writes_log_txt(tmp_path):
    job = stub_job(tmp_path, "CoOp-1")
    os.makedirs(job.output_dir)
    with open(os.path.join(job.output_dir, "log.txt"), "w") as log:
        log.write("epoch [1/40] interrupted\n")
    assert run_job(job) == 0
    logs = sorted(name for name in os.listdir(job.output_dir) if name.startswith("log.txt"))
    assert len(logs) == 2 and logs[0] == "log.txt" and logs[1].startswith("log.txt-")
    assert open(os.path.join(job.output_dir, logs[1])).read() == "epoch [1/40] interrupted\n"
    assert "* accuracy: 50.0%" in open(os.path.join(job.output_dir, "log.txt")).read()


def test_default_feature_cache_lies_under_the_output_root_of_the_repository(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    environment = {key: value for key, value in os.environ.items() if key not in ("SETTINGS_FILE", "EXTRA_OPTS",
                                                                                 "OUTPUT_ROOT")}
    environment.update(DATA="/datasets", OUTPUT_ROOT="runs")
    args = sweep.build_parser().parse_args(["--trainers", "CoOp", "--datasets", "dtd", "--seeds", "1", "--dry-run",
                                            "--no-table"])
    assert sweep.main(args, environment) == 0
    repository = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert f"{FEATURE_CACHE_OPTION} {repository}/runs/feature_cache" in capsys.readouterr().out


def test_wait_returns_once_no_submitted_job_is_queued(monkeypatch):
    from scripts.launch import slurm

    snapshots = iter([{"5_0": "RUNNING", "5_1": "PENDING"}, {"5_1": "RUNNING", "9": "RUNNING"}, {"9": "RUNNING"}])
    monkeypatch.setattr(slurm, "queue_states", lambda: next(snapshots))
    slurm.wait({"a": "5_0", "b": "5_1"}, poll_seconds=0)
    assert next(snapshots, None) is None


def test_pending_array_ranges_expand_to_their_tasks():
    from scripts.launch.slurm import array_task_ids

    assert array_task_ids("12_[0-2,5%4]") == ["12_0", "12_1", "12_2", "12_5"]
    assert array_task_ids("12_3") == ["12_3"] and array_task_ids("40") == ["40"]
