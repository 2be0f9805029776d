"""Running a job's steps and reading back their state from the logs beside each run.

Every attempt appends to <output dir>/sweep.log: a `== start` line (job, host, pid, Slurm job id), the
train.py output, and `== exit <status>`. The state of a job (done / running / failed / pending) is read
from these lines and the runs' own log.txt, so `sweep.py --status` needs no database.
"""
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

from scripts.launch.runs import run_finished
from scripts.launch.settings import REPO_ROOT

START = re.compile(r"^== start (?P<job>\S+) host=(?P<host>\S+) pid=(?P<pid>\d+) slurm_job=(?P<slurm>\S+)")


def slurm_job_name(env):
    """This task's Slurm job as squeue names it (<array>_<task> inside an array), or '-' outside Slurm."""
    if env.get("SLURM_ARRAY_JOB_ID"):
        return f"{env['SLURM_ARRAY_JOB_ID']}_{env.get('SLURM_ARRAY_TASK_ID', '0')}"
    return env.get("SLURM_JOB_ID", "-")
EXIT = re.compile(r"^== exit (?P<status>-?\d+)")
# Variables of a process group that an evaluation step (one process) must not see.
DISTRIBUTED_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


def _stream(argv, log, echo, env):
    """Run argv from the repository root, its output appended to `log` (and our stdout when `echo`)."""
    env = {**env, "PYTHONUNBUFFERED": "1"}  # lines reach the log and the terminal as they are printed
    process = subprocess.Popen(list(argv), cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, errors="replace", bufsize=1)
    for line in process.stdout:
        log.write(line)
        if echo:
            sys.stdout.write(line)
    log.flush()
    return process.wait()


def set_aside_unfinished_log(output_dir):
    """Rename an interrupted attempt's log.txt (Dassl's time-stamped name), so the re-run, which resumes
    from the checkpoint, writes log.txt: the file parse_test_res.py reads."""
    log = os.path.join(output_dir, "log.txt")
    if os.path.isfile(log):
        os.replace(log, log + time.strftime("-%Y-%m-%d-%H-%M-%S", time.localtime(os.path.getmtime(log))))


def run_job(job, env=None, echo=False, rank=0):
    """Run the job's unfinished steps in order; returns the exit status of the first failure, else 0.

    Under a process group (rank given by the launcher) every rank trains; evaluation steps, which are
    one-process runs, happen on rank 0 only, without the group's variables.
    """
    env = dict(os.environ if env is None else env)
    for step in job.steps:
        if run_finished(os.path.join(REPO_ROOT, step.output_dir)):
            if echo:
                print(f"skip (finished): {step.output_dir}", flush=True)
            continue
        if step.evaluates and not run_finished(os.path.join(REPO_ROOT, step.evaluates)):
            print(f"{job.name}: no finished training run in {step.evaluates}", flush=True)
            return 1
        step_env = env
        if step.evaluates or "--eval-only" in step.argv:
            if rank != 0:
                continue
            step_env = {key: value for key, value in env.items() if key not in DISTRIBUTED_VARIABLES}
        os.makedirs(os.path.join(REPO_ROOT, step.output_dir), exist_ok=True)
        if rank == 0:
            set_aside_unfinished_log(os.path.join(REPO_ROOT, step.output_dir))
        log_name = step.log_path if rank == 0 else f"{step.log_path}.rank{rank}"
        with open(os.path.join(REPO_ROOT, log_name), "a", encoding="utf-8") as log:
            log.write(f"== start {job.name} host={socket.gethostname()} pid={os.getpid()} "
                      f"slurm_job={slurm_job_name(env)} SLURM_JOB_ID={env.get('SLURM_JOB_ID', '-')}\n"
                      f"== {step.text}\n")
            log.flush()
            status = _stream(step.argv, log, echo, step_env)
            log.write(f"== exit {status}\n")
        if status != 0:
            return status
    return 0


@dataclass(frozen=True)
class JobState:
    state: str           # done, running, queued, failed, pending
    log: str = ""        # the log of the step it stopped at
    detail: str = ""


def _last_attempt(path):
    """(start match, exit status or None) of the last attempt logged in `path`."""
    start, status = None, None
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            if line.startswith("== start"):
                start, status = START.match(line), None
            elif line.startswith("== exit"):
                status = int(EXIT.match(line).group("status"))
    return start, status


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def job_state(job, slurm_states=None, slurm_ids=None):
    """The state of `job` from its runs' logs; `slurm_states` maps live Slurm job ids to squeue states."""
    slurm_states = slurm_states or {}
    submitted = (slurm_ids or {}).get(job.name)
    for step in job.steps:
        if run_finished(os.path.join(REPO_ROOT, step.output_dir)):
            continue
        log = os.path.join(REPO_ROOT, step.log_path)
        if not os.path.isfile(log):
            break
        start, status = _last_attempt(log)
        if start is None:
            break
        if status is not None and status != 0:
            return JobState("failed", step.log_path, f"exit {status}")
        if status is None:
            slurm = start.group("slurm")
            live = slurm_states.get(slurm) or slurm_states.get(submitted or "")
            if slurm != "-" and live:
                return JobState("running", step.log_path, f"slurm {slurm}")
            if slurm == "-" and start.group("host") == socket.gethostname() and _process_alive(int(start.group("pid"))):
                return JobState("running", step.log_path, f"pid {start.group('pid')}")
            return JobState("failed", step.log_path, "stopped without an exit status (killed?)")
        return JobState("failed", step.log_path, "exit 0 without a test result")
    else:
        return JobState("done")
    if submitted and submitted in slurm_states:
        return JobState("queued" if slurm_states[submitted] == "PENDING" else "running", "", f"slurm {submitted}")
    return JobState("pending")
