"""scripts/sweep.py --executor slurm on a real one-node Slurm cluster (.ci/start_slurm.sh): arrays, the
stage-I -> stage-II dependency, logs beside each run, requeue with resume, an sbatch refusal.

Skipped with the reason where the cluster cannot start (not root, no slurm-wlm); under CI=true that is a
failure instead, so CI always runs it. Runs are tiny: 2-layer CLIP, 32 px, 2 shots, 1 epoch.
"""
import json
import os
import re
import subprocess
import sys
import time

import pytest
import torch

from dassl.utils import load_checkpoint
from tests.fixtures.dataset_fixtures import make_synthetic_dataset
from tests.trainers.train_runs import logged_accuracies

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = ("DATASET.NUM_SHOTS 2 INPUT.SIZE '(32, 32)' DATALOADER.NUM_WORKERS 0 DATALOADER.TRAIN_X.BATCH_SIZE 4 "
        "DATALOADER.TEST.BATCH_SIZE 16")
RESOURCES = ["--executor", "slurm", "--cpus-per-task", "1", "--mem", "1G", "--time", "10"]
COOP_VARIANT = "CoOp/vit_b16_2shots/nctx16_cscFalse_ctpend/CTX_16_epo_1"
LONG_RUN = "dtd/CoOp/vit_b16_2shots/nctx16_cscFalse_ctpend/CTX_16_epo_60/seed3"
# Full-batch steps without random augmentation: two processes must reach the one-process prompts.
DDP_OPTS = f"{TINY} OPTIM.MAX_EPOCH 2 INPUT.TRANSFORMS \"['normalize']\""
DDP_RUN = ["--trainers", "CoOp", "--datasets", "caltech101", "--seeds", "1"]
DDP_RUN_DIR = "caltech101/CoOp/vit_b16_2shots/nctx16_cscFalse_ctpend/CTX_16_epo_2/seed1"


@pytest.fixture(scope="module")
def slurm_cluster():
    reason = None
    if os.geteuid() != 0:
        reason = "the local Slurm cluster needs root (.ci/start_slurm.sh)"
    elif not os.path.exists("/usr/sbin/slurmctld") and os.environ.get("CI") != "true":
        reason = "slurm-wlm is not installed (apt-get install slurm-wlm munge, or run .ci/run)"
    else:
        started = subprocess.run(["bash", os.path.join(REPO_ROOT, ".ci", "start_slurm.sh")], capture_output=True,
                                 text=True, timeout=300)
        if started.returncode != 0:
            reason = f"Slurm did not start: {started.stderr.strip()}"
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the Slurm tests: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, tiny_vit_checkpoint):
    root = tmp_path_factory.mktemp("slurm_sweep")
    caltech = make_synthetic_dataset(str(root / "data"), "Caltech101", n_classes=4, train_per_class=2,
                                     val_per_class=1, test_per_class=2)
    make_synthetic_dataset(str(root / "data"), "DescribableTextures", n_classes=4, train_per_class=2,
                           val_per_class=1, test_per_class=2)
    descriptions = root / "descriptions.json"
    descriptions.write_text(json.dumps({name: [f"a photo of a {name}.", f"a {name} up close."]
                                        for name in caltech.classnames}))
    return {"root": root, "data": caltech.root, "backbone": tiny_vit_checkpoint, "descriptions": str(descriptions)}


def start_sweep(workspace, output, extra_opts, *argv):
    env = {key: value for key, value in os.environ.items() if key not in ("DRY_RUN", "SETTINGS_FILE")}
    env.update(DATA=workspace["data"], BACKBONE=workspace["backbone"], OUTPUT_ROOT=str(workspace["root"] / output),
               EXTRA_OPTS=extra_opts, OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, os.path.join(REPO_ROOT, "scripts", "sweep.py"), *argv], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process, check=True):
    stdout, stderr = process.communicate(timeout=300)
    result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    if check:
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result


def sweep(workspace, output, extra_opts, *argv, check=True):
    return finish(start_sweep(workspace, output, extra_opts, *argv), check)


def submitted(result):
    return re.search(r"submitted \d+ jobs: ([\d_ ]+);", result.stdout).group(1).split()


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def queue():
    return subprocess.run(["squeue", "--noheader", "--format=%i %T"], capture_output=True, text=True).stdout


def slurm_job_ids(log_path):
    return re.findall(r"SLURM_JOB_ID=(\d+)", open(log_path).read())


@pytest.fixture(scope="module")
def finished_sweeps(slurm_cluster, workspace):
    """The long run (requeued while it trains), the 2-task run, the CoOp sweep and the stage I -> II sweep,
    submitted together; the one-process references run here meanwhile."""
    long_opts = f"{TINY} OPTIM.MAX_EPOCH 60 TRAIN.CHECKPOINT_FREQ 1 INPUT.TRANSFORMS \"['normalize']\""
    long_run = ["--trainers", "CoOp", "--datasets", "dtd", "--seeds", "3", *RESOURCES]
    requeued = sweep(workspace, "requeue", long_opts, *long_run)
    anchor_opts = (f"{TINY} OPTIM.MAX_EPOCH 1 TRAINER.ANCHOROPT.DESCRIPTIONS_FILE {workspace['descriptions']} "
                   "TRAINER.ANCHOROPT.MAX_TEMPLATE_LENGTH 2 TRAINER.ANCHOROPT.N_CTX 2")
    submissions = [
        start_sweep(workspace, "ddp", DDP_OPTS, *DDP_RUN, *RESOURCES, "--tasks-per-node", "2"),
        start_sweep(workspace, "out", f"{TINY} OPTIM.MAX_EPOCH 1", "--trainers", "CoOp", "--datasets", "caltech101",
                    "dtd", "--seeds", "1", "2", *RESOURCES),
        start_sweep(workspace, "anchor", anchor_opts, "--trainers", "CoOp_AnchorOPT", "CoOp_Pretrain_Anchor",
                    "--datasets", "caltech101", "--seeds", "1", *RESOURCES)]
    references = [start_sweep(workspace, "reference", long_opts, *long_run[:6], "--executor", "local", "--no-table"),
                  start_sweep(workspace, "ddp_reference", DDP_OPTS, *DDP_RUN, "--executor", "local", "--no-table")]

    checkpoints = workspace["root"] / "requeue" / LONG_RUN / "prompt_learner"
    wait_for(lambda: (checkpoints / "model.pth.tar-2").exists(), 180, "the second checkpoint of the long run")
    (job_id,) = submitted(requeued)
    subprocess.run(["scontrol", "requeue", job_id], check=True)
    # Slurm holds a requeued job back for two minutes; let it start again now.
    wait_for(lambda: f"{job_id} PENDING" in queue(), 60, "the requeued job to be pending")
    subprocess.run(["scontrol", "update", f"JobId={job_id}", "StartTime=now"], check=True)

    ids = [job_id] + [one for process in submissions for one in submitted(finish(process))]
    wait_for(lambda: not any(line.split()[0] in ids for line in queue().splitlines()), 400, "the Slurm jobs")
    for reference in references:
        finish(reference)
    return {"job": job_id}


def test_every_job_ran_under_slurm_and_the_table_has_numbers(workspace, finished_sweeps):
    root = workspace["root"]
    for dataset in ("caltech101", "dtd"):
        for seed in (1, 2):
            train_dir = root / "out" / dataset / COOP_VARIANT / f"seed{seed}"
            for run in (train_dir, train_dir / "evaluation"):
                assert slurm_job_ids(run / "sweep.log"), f"{run} did not run under Slurm"
                assert logged_accuracies(run)
    table = subprocess.run([sys.executable, "parse_test_res.py", str(root / "out"), "--table", "--no-published"],
                           cwd=REPO_ROOT, capture_output=True, text=True).stdout
    for name in ("Caltech101", "DTD"):
        (row,) = [line for line in table.splitlines() if line.startswith(f"| {name} |")]
        assert re.search(r"\| \d+\.\d\d ± \d+\.\d\d \| \d+\.\d\d ± \d+\.\d\d \| \d+\.\d\d", row), row


def test_stage_two_waits_for_stage_one_and_loads_its_anchor(workspace, finished_sweeps):
    root = workspace["root"] / "anchor" / "caltech101"
    (stage_one,) = (root / "CoOp_Pretrain_Anchor").glob("*/*/seed1")
    (stage_two,) = (root / "CoOp_AnchorOPT").glob("*/*/seed1")
    anchor = stage_one / "anchor_prompt_learner" / "model.pth.tar-1"
    assert anchor.is_file() and logged_accuracies(stage_two / "evaluation")
    assert f"TRAINER.ANCHOROPT.ANCHOR_PATH {anchor}" in (stage_two / "sweep.log").read_text()
    first_line = (stage_two / "sweep.log").read_text().splitlines()[0]
    assert slurm_job_ids(stage_one / "sweep.log") and slurm_job_ids(stage_two / "sweep.log")
    assert os.path.getmtime(stage_one / "log.txt") <= os.path.getmtime(stage_two / "sweep.log"), first_line


def learned_context(run, epoch):
    return load_checkpoint(str(run / "prompt_learner" / f"model.pth.tar-{epoch}"))["state_dict"]["ctx"]


def test_requeued_job_resumes_from_its_checkpoint_with_the_same_result(workspace, finished_sweeps):
    run, reference = workspace["root"] / "requeue" / LONG_RUN, workspace["root"] / "reference" / LONG_RUN
    assert slurm_job_ids(run / "sweep.log") == [finished_sweeps["job"]] * 2
    logs = "".join(path.read_text() for path in sorted(run.glob("log.txt*")))
    assert "Found checkpoint at" in logs and re.search(r"Previous epoch: ([2-9]|[1-5]\d)\n", logs)
    # Full-batch steps without random augmentation: the resumed run's batch order only changes rounding.
    torch.testing.assert_close(learned_context(run, 60), learned_context(reference, 60), rtol=1e-5, atol=1e-6)
    assert logged_accuracies(run)[-1] == logged_accuracies(reference)[-1]
    assert logged_accuracies(run / "evaluation") == logged_accuracies(reference / "evaluation")


def test_two_tasks_form_one_process_group_and_reach_the_one_process_prompts(workspace, finished_sweeps):
    run, reference = workspace["root"] / "ddp" / DDP_RUN_DIR, workspace["root"] / "ddp_reference" / DDP_RUN_DIR
    (job_id,) = set(slurm_job_ids(run / "sweep.log"))
    assert slurm_job_ids(run / "sweep.log.rank1") == [job_id]
    torch.testing.assert_close(learned_context(run, 2), learned_context(reference, 2), rtol=1e-5, atol=1e-6)
    assert (run / "log.txt").read_text().count("* accuracy:") == 1
    assert logged_accuracies(run / "evaluation") == logged_accuracies(reference / "evaluation")


def test_status_shows_every_job_done(workspace, finished_sweeps):
    status = sweep(workspace, "out", f"{TINY} OPTIM.MAX_EPOCH 1", "--trainers", "CoOp", "--datasets", "caltech101",
                   "dtd", "--seeds", "1", "2", "--status", *RESOURCES)
    assert status.stdout.splitlines()[-1] == "4 done"


def test_sbatch_refusal_prints_its_message_and_submits_nothing(workspace, finished_sweeps):
    before = queue()
    result = sweep(workspace, "refused", f"{TINY} OPTIM.MAX_EPOCH 1", "--trainers", "CoOp", "--datasets", "dtd",
                   "--seeds", "1", *RESOURCES, "--partition", "nosuchpartition", check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("error: sbatch refused the sweep, nothing submitted: ")
    assert "invalid partition" in result.stderr.lower() and result.stderr.count("\n") == 1
    assert queue() == before
