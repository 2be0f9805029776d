"""Run a sweep (trainers x datasets x seeds of one protocol) here, over the local GPUs, or on Slurm.

    python scripts/sweep.py --trainers CoOp CoOp_ATP --datasets dtd eurosat --seeds 1 2 3
    python scripts/sweep.py --trainers CoOp_Pretrain_Anchor CoOp_AnchorOPT --datasets all --executor slurm \\
        --profile cluster.yaml --partition gpu --time 240
    python scripts/sweep.py --trainers CoOp --datasets all --status

Each job is one trainer x dataset x seed: train, then test (base2new), or train with a final test
(fewshot), or ImageNet training then every target (xd; --datasets names targets, or xd / dg / all).
Finished runs are skipped, so a re-launched sweep only runs what is missing. Jobs share one image-feature
cache unless --no-feature-cache; with it every job also draws per-sample augmentation seeds and caches its
training views' features, so the first method of a (dataset, seed) encodes the training images and the
others with a frozen image tower train from its features. Stage-I jobs
(CoOp_Pretrain_Anchor) run before the stage-II jobs of the same dataset and seed, which get its anchor.
Executors: local (one job at a time), gpus (one job per visible GPU at a time; CPU when none), slurm
(submitit). Settings: configs/runs/<Trainer>.yaml; environment: DATA, OUTPUT_ROOT, PYTHON, BACKBONE,
EXTRA_OPTS, DRY_RUN (see scripts/README.md). Logs: <run>/sweep.log beside each run.
"""
import argparse
import os
import shlex
import sys
import threading

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from scripts.launch.environment import (SettingsResolver, enter_repository, is_dry_run,  # noqa: E402
                                        launch_from_environment)
from scripts.launch.execute import job_state, run_job  # noqa: E402
from scripts.launch.runs import (BASE_TO_NOVEL_DATASETS, PROTOCOLS, XD_GROUPS, feature_cache_options,  # noqa: E402
                                 run_finished, sweep_jobs)
from scripts.launch.settings import (REPO_ROOT, SettingsError, check_choice, known_datasets,  # noqa: E402
                                     known_trainers)

EXECUTORS = ("local", "gpus", "slurm")


def visible_gpus(requested):
    """GPU ids to use: --gpus, else CUDA_VISIBLE_DEVICES, else every device torch sees; [None] = CPU only."""
    if requested:
        return requested
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "")
    if visible.strip():
        return [gpu.strip() for gpu in visible.split(",") if gpu.strip()]
    import torch

    return [str(index) for index in range(torch.cuda.device_count())] or [None]


def job_environment(gpu):
    env = dict(os.environ)
    if gpu is not None:
        env["CUDA_VISIBLE_DEVICES"] = gpu
    return env


def run_here(jobs, slots, echo):
    """Run every job, one per slot (GPU id or None) at a time, a job only after those it waits for succeeded.

    Returns {job name: exit status}; a job whose prerequisite failed is not run (status 'blocked')."""
    statuses, lock, changed = {}, threading.Lock(), threading.Condition()
    waiting = list(jobs)

    def next_job():
        """The first waiting job whose prerequisites are settled (None when all are taken)."""
        with changed:
            while waiting:
                for job in waiting:
                    settled = [statuses.get(name) for name in job.after]
                    if any(status not in (None, 0) for status in settled):
                        waiting.remove(job)
                        statuses[job.name] = "blocked"
                        print(f"{job.name}: not run, a job it needs failed ({', '.join(job.after)})", flush=True)
                        changed.notify_all()
                        break
                    if all(status == 0 for status in settled):
                        waiting.remove(job)
                        return job
                else:
                    changed.wait()
            return None

    def worker(gpu):
        while (job := next_job()) is not None:
            status = run_job(job, job_environment(gpu), echo=echo)
            with changed:
                statuses[job.name] = status
                changed.notify_all()
            with lock:
                where = "cpu" if gpu is None else f"gpu {gpu}"
                outcome = "done" if status == 0 else f"FAILED ({status}), log: {failed_log(job)}"
                print(f"[{where}] {job.name}: {outcome}", flush=True)

    threads = [threading.Thread(target=worker, args=(gpu,)) for gpu in slots]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def announce_feature_cache(run_opts):
    """Say once that the jobs share views and their features (a dry run's commands show it themselves)."""
    if run_opts:
        print(f"Per-sample augmentation seeds and the training-feature cache are on for every job "
              f"({shlex.join(run_opts)}); --no-feature-cache turns them off", flush=True)


def failed_log(job):
    return job_state(job).log or job.steps[0].log_path


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--trainers", nargs="+", required=True, help="configs/runs/<Trainer>.yaml names")
    parser.add_argument("--datasets", nargs="+", required=True,
                        help="dataset config stems, or all (xd: targets, or xd / dg / all)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--protocol", default="base2new", help=f"one of {', '.join(PROTOCOLS)}")
    parser.add_argument("--executor", default="gpus", help=f"one of {', '.join(EXECUTORS)}")
    parser.add_argument("--data", default=None, help="dataset root (default: $DATA)")
    parser.add_argument("--gpus", nargs="+", default=None, help="GPU ids for --executor gpus (default: all visible)")
    parser.add_argument("--feature-cache", default=None,
                        help="shared image-feature cache folder (default: <OUTPUT_ROOT>/feature_cache)")
    parser.add_argument("--no-feature-cache", action="store_true",
                        help="encode test and training images in every run, with the original augmentation stream")
    parser.add_argument("--dry-run", action="store_true", help="print what would run or be submitted (also DRY_RUN=1)")
    parser.add_argument("--status", action="store_true", help="show done / running / failed / pending per job")
    parser.add_argument("--no-table", action="store_true", help="do not print the table at the end")
    slurm = parser.add_argument_group("slurm (command line wins over --profile)")
    slurm.add_argument("--profile", help="YAML file of the resource keys below (e.g. partition: gpu)")
    slurm.add_argument("--partition")
    slurm.add_argument("--account")
    slurm.add_argument("--time", type=int, help="minutes per job (default 60)")
    slurm.add_argument("--nodes", type=int, help="nodes per job: one data-parallel run over all their GPUs")
    slurm.add_argument("--gpus-per-node", type=int, help="GPUs per node (one process each)")
    slurm.add_argument("--tasks-per-node", type=int, help="processes per node (default: one per GPU, or 1)")
    slurm.add_argument("--cpus-per-task", type=int)
    slurm.add_argument("--mem", help="memory per node, e.g. 32G")
    slurm.add_argument("--qos")
    slurm.add_argument("--constraint")
    slurm.add_argument("--array-parallelism", type=int, help="most array tasks running at once")
    slurm.add_argument("--sbatch", nargs="+", default=[], metavar="KEY=VALUE", help="other sbatch options")
    slurm.add_argument("--wait", action="store_true", help="wait for the Slurm jobs, then print the table")
    return parser


def expand_datasets(names, protocol):
    if protocol == "xd":
        valid = known_datasets() + list(XD_GROUPS)
        targets = []
        for name in names:
            targets += XD_GROUPS.get(check_choice("dataset", name, valid), (name,))
        return list(dict.fromkeys(targets))
    if names == ["all"]:
        return list(BASE_TO_NOVEL_DATASETS)
    return [check_choice("dataset", name, known_datasets() + ["all"]) for name in names]


def anchor_sources(resolver, trainers, protocol):
    """{stage-II trainer: stage-I trainer} for the pairs both in this base2new sweep."""
    if protocol != "base2new":
        return {}
    sources = {}
    for trainer in trainers:
        source = resolver.trainer(trainer).anchor_from
        if source in trainers:
            sources[trainer] = source
    return sources


def slurm_resources(args):
    from scripts.launch.slurm import RESOURCE_KEYS, read_profile

    resources = read_profile(args.profile) if args.profile else {}
    for key in RESOURCE_KEYS:
        value = getattr(args, key, None)
        if key == "sbatch":
            extra = dict(resources.get("sbatch") or {})
            for option in value:
                name, sep, text = option.partition("=")
                if not sep or not name:
                    raise SettingsError(f"--sbatch takes KEY=VALUE (e.g. --sbatch exclusive=true), got '{option}'")
                extra[name] = text
            resources["sbatch"] = extra
        elif value is not None:
            resources[key] = value
    return resources


def print_status(jobs, output_root):
    from scripts.launch.slurm import queue_states, submitted_ids

    states, ids = queue_states(), submitted_ids(output_root)
    counts = {}
    for job in jobs:
        state = job_state(job, states, ids)
        counts[state.state] = counts.get(state.state, 0) + 1
        where = f"  {state.log}" if state.log else ""
        detail = f" ({state.detail})" if state.detail else ""
        print(f"{state.state:8} {job.name}{detail}{where}")
    print(", ".join(f"{count} {state}" for state, count in sorted(counts.items())))
    return counts


def main(args, env=None):
    env = os.environ if env is None else env
    try:
        check_choice("protocol", args.protocol, PROTOCOLS)
        check_choice("executor", args.executor, EXECUTORS)
        if not env.get("SETTINGS_FILE"):
            for trainer in args.trainers:
                check_choice("trainer", trainer, known_trainers())
        datasets = expand_datasets(args.datasets, args.protocol)
        resources = slurm_resources(args) if args.executor == "slurm" else {}
        output_root = env.get("OUTPUT_ROOT") or "output"
        cache = os.path.abspath(args.feature_cache) if args.feature_cache else os.path.join(
            REPO_ROOT, output_root, "feature_cache")  # OUTPUT_ROOT is relative to the repository
        launch = launch_from_environment(env, args.data, () if args.no_feature_cache else feature_cache_options(cache))
        enter_repository()
        resolver = SettingsResolver(env, launch.extra_opts)
        jobs = sweep_jobs(launch, args.trainers, datasets, args.seeds, args.protocol, resolver,
                          anchor_sources(resolver, args.trainers, args.protocol))
        if args.status:
            print_status(jobs, launch.output_root)
            return 0
        dry_run = args.dry_run or is_dry_run(env)
        if not dry_run:
            announce_feature_cache(launch.run_opts)
        if args.executor == "slurm":
            return submit_to_slurm(args, jobs, resources, launch, dry_run)
        if dry_run:
            for step in (step for job in jobs for step in job.steps):
                print(f"skip (finished): {step.output_dir}" if run_finished(step.output_dir) else step.text)
            return print_table(launch, args, jobs, dry_run)
        slots = [None] if args.executor == "local" else visible_gpus(args.gpus)
        statuses = run_here(jobs, slots, echo=args.executor == "local")
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    failed = sorted(name for name, status in statuses.items() if status != 0)
    print_table(launch, args, jobs, False)
    if failed:
        print(f"{len(failed)} of {len(jobs)} jobs failed: {', '.join(failed)} (python scripts/sweep.py ... --status "
              "shows their logs)")
        return 1
    return 0


def table_commands(launch, args, jobs):
    """parse_test_res.py calls for the sweep: the base-to-novel / transfer tables, or for fewshot the
    original per-experiment report (mean and std over the seed folders) of each trainer x dataset."""
    if args.protocol == "fewshot":
        experiments = dict.fromkeys(os.path.dirname(job.output_dir) for job in jobs if job.seed is not None)
        return [(launch.python, "parse_test_res.py", experiment) for experiment in experiments]
    trainers = list(dict.fromkeys(job.trainer for job in jobs))
    trainable = all(job.seed is not None for job in jobs)
    return [launch.table_command(trainers, args.seeds if trainable else ())]


def print_table(launch, args, jobs, dry_run):
    if args.no_table:
        return 0
    status = 0
    for command in table_commands(launch, args, jobs):
        if dry_run:
            print(shlex.join(command))
            continue
        import subprocess

        sys.stdout.flush()
        status = subprocess.call(list(command)) or status
    return status


def submit_to_slurm(args, jobs, resources, launch, dry_run):
    from scripts.launch import slurm

    parameters = slurm.executor_parameters(resources)
    pending = [job for job in jobs if job_state(job).state != "done"]
    if dry_run:
        print(slurm.describe(pending, parameters, launch.output_root))
        return 0
    if not pending:
        print("every job is done")
        return print_table(launch, args, jobs, False)
    ids = slurm.submit(pending, parameters, launch.output_root)
    print(f"submitted {len(ids)} jobs: {' '.join(sorted(set(ids.values())))}; logs beside each run (sweep.log), "
          f"Slurm's in {launch.output_root}/{slurm.LOG_FOLDER}")
    if not args.wait:
        return 0
    slurm.wait(ids)
    return print_table(launch, args, jobs, False)


if __name__ == "__main__":
    sys.exit(main(build_parser().parse_args()))
