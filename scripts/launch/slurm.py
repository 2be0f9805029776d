"""Slurm through submitit: job arrays, stage-II jobs after their stage-I job, requeue with resume.

Independent jobs go in one array; jobs that wait for others (AnchorOPT stage II after the stage-I run of
the same dataset and seed) go in one array per set of prerequisites, with `--dependency=afterok:<ids>`.
A job that Slurm preempts or times out is requeued by submitit (its checkpoint() hands back the same
job); the re-run skips finished steps and train.py resumes from its last checkpoint. With several nodes
(or tasks) per job, every task joins one torch.distributed group (submitit's distributed environment).
"""
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import OrderedDict

import yaml

from dassl.utils.files import atomic_write
from scripts.launch.execute import run_job
from scripts.launch.settings import REPO_ROOT, SettingsError

# Resource keys of a profile YAML file and of the command line (--partition, --gpus-per-node, ...).
RESOURCE_KEYS = ("partition", "account", "time", "nodes", "gpus_per_node", "tasks_per_node", "cpus_per_task", "mem",
                 "qos", "constraint", "array_parallelism", "sbatch")
SUBMITTED = "slurm_jobs.json"
MAX_REQUEUES = 10  # requeues after a time-out before submitit gives up on a job
LOG_FOLDER = "slurm_logs"


def read_profile(path):
    """Resources from a YAML profile; an unknown key is an error naming the valid ones."""
    try:
        with open(path, encoding="utf-8") as f:
            profile = yaml.safe_load(f) or {}
    except OSError as error:
        raise SettingsError(f"Slurm profile not readable: {path} ({error.strerror})") from None
    if not isinstance(profile, dict):
        raise SettingsError(f"{path}: expected a mapping of resource keys (valid: {', '.join(RESOURCE_KEYS)})")
    for key in profile:
        if key not in RESOURCE_KEYS:
            raise SettingsError(f"{path}: unknown profile key '{key}' (valid: {', '.join(RESOURCE_KEYS)})")
    return profile


def executor_parameters(resources):
    """submitit SlurmExecutor parameters for the merged profile + command-line resources."""
    nodes = int(resources.get("nodes") or 1)
    gpus = int(resources.get("gpus_per_node") or 0)
    tasks = int(resources.get("tasks_per_node") or max(gpus, 1))  # one process per GPU
    parameters = {"time": int(resources.get("time") or 60), "nodes": nodes, "ntasks_per_node": tasks,
                  "signal_delay_s": 60,
                  "stderr_to_stdout": True, "additional_parameters": {"requeue": True}}
    if gpus:
        parameters["gpus_per_node"] = gpus
    for key in ("partition", "account", "cpus_per_task", "mem", "qos", "constraint", "array_parallelism"):
        if resources.get(key) not in (None, ""):
            parameters[key] = resources[key]
    parameters["additional_parameters"].update(resources.get("sbatch") or {})
    return parameters


def sbatch_flags(parameters, dependency=""):
    """The sbatch options a group is submitted with, for --dry-run."""
    flags = [f"--{key.replace('_', '-')}={value}" for key, value in parameters.items()
             if key not in ("additional_parameters", "signal_delay_s", "stderr_to_stdout")]
    flags += [f"--{key}" if value is True else f"--{key}={value}"
              for key, value in parameters["additional_parameters"].items()]
    return flags + ([f"--dependency={dependency}"] if dependency else [])


class SlurmJob:
    """The callable a Slurm task runs: the job's steps; requeued as is when preempted or out of time."""

    def __init__(self, job):
        self.job = job

    def __call__(self):
        import submitit

        environment = submitit.JobEnvironment()
        rank = 0
        if environment.num_tasks > 1:
            submitit.helpers.TorchDistributedEnvironment().export(set_cuda_visible_devices=False)
            rank = environment.global_rank
        status = run_job(self.job, rank=rank)
        if status != 0:
            raise RuntimeError(f"{self.job.name} failed (exit {status}); see the sweep.log beside its run")
        return status

    def checkpoint(self):
        import submitit

        return submitit.helpers.DelayedSubmission(SlurmJob(self.job))


def groups(jobs):
    """Jobs grouped by their prerequisites, prerequisites first: [(after names, [jobs])]."""
    grouped = OrderedDict()
    for job in jobs:
        grouped.setdefault(tuple(job.after), []).append(job)
    return sorted(grouped.items(), key=lambda item: bool(item[0]))


def describe(jobs, parameters, output_root):
    """What `submit` would do, as text."""
    lines = []
    for index, (after, members) in enumerate(groups(jobs)):
        dependency = f"afterok:<{' '.join(after)}>" if after else ""
        kind = f"array of {len(members)}" if len(members) > 1 else "1 job"
        lines.append(f"sbatch ({kind}) {' '.join(sbatch_flags(parameters, dependency))} "
                     f"(Slurm logs: {output_root}/{LOG_FOLDER}/<job id>/)")
        for job in members:
            lines.append(f"  {job.name}")
            lines += [f"    {step.text}" for step in job.steps]
    return "\n".join(lines)


def submitted_ids(output_root):
    path = os.path.join(REPO_ROOT, output_root, SUBMITTED)
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _record(output_root, ids):
    recorded = submitted_ids(output_root)
    recorded.update(ids)
    path = os.path.join(REPO_ROOT, output_root, SUBMITTED)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    atomic_write(path, lambda f: json.dump(recorded, f, indent=1, sort_keys=True))


def cancel(ids):
    if ids:
        subprocess.run(["scancel", *ids], capture_output=True, text=True)


@contextlib.contextmanager
def captured_stderr():
    """sbatch's own stderr (submitit lets it through) into a file, so a refusal is reported once, by us."""
    with tempfile.TemporaryFile(mode="w+") as capture:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(capture.fileno(), 2)
        try:
            yield capture
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def submit(jobs, parameters, output_root):
    """Submit every job (arrays per group); on any sbatch refusal cancel what was submitted and raise."""
    import submitit

    ids = {}
    with captured_stderr() as sbatch_stderr:
        try:
            _submit_groups(jobs, parameters, output_root, ids)
        except (subprocess.CalledProcessError, submitit.core.utils.FailedJobError, OSError) as error:
            cancel(sorted(set(ids.values())))
            sbatch_stderr.seek(0)
            message = sbatch_stderr.read().strip() or str(error)
            raise SettingsError(f"sbatch refused the sweep, nothing submitted: {' '.join(message.split())}") from None
    _record(output_root, ids)
    return ids


def _submit_groups(jobs, parameters, output_root, ids):
    import submitit

    for after, members in groups(jobs):
        executor = submitit.SlurmExecutor(folder=os.path.join(REPO_ROOT, output_root, LOG_FOLDER, "%j"),
                                          max_num_timeout=MAX_REQUEUES)
        dependency = {"dependency": "afterok:" + ":".join(ids[name] for name in after)} if after else {}
        executor.update_parameters(**parameters, **dependency, job_name="sweep")
        with executor.batch():
            submitted = [executor.submit(SlurmJob(job)) for job in members]
        ids.update({job.name: handle.job_id for job, handle in zip(members, submitted)})


def queue_states():
    """{job id: state} of this user's queued and running Slurm jobs (array tasks as <array>_<task>)."""
    try:
        result = subprocess.run(["squeue", "--me", "--noheader", "--format=%i %T"], capture_output=True, text=True)
    except OSError:
        return {}
    states = {}
    for line in result.stdout.splitlines():
        job_id, _, state = line.strip().partition(" ")
        for one in array_task_ids(job_id):
            states[one] = state
    return states


def array_task_ids(job_id):
    """squeue's '12_[0-2,5%4]' (a pending array) as 12_0 12_1 12_2 12_5; other ids unchanged."""
    match = re.match(r"^(\d+)_\[([^\]]+)\]$", job_id)
    if not match:
        return [job_id]
    ids = []
    for part in match.group(2).split("%")[0].split(","):
        first, _, last = part.partition("-")
        ids += [f"{match.group(1)}_{task}" for task in range(int(first), int(last or first) + 1)]
    return ids


def wait(ids, poll_seconds=5):
    """Return once none of the Slurm jobs `ids` is queued or running."""
    import time

    waiting = set(ids.values())
    while waiting & set(queue_states()):
        time.sleep(poll_seconds)
