"""Spread base-to-novel runs (method x dataset x seed) over the visible GPUs, one job per GPU at a time.

    python scripts/sweep.py --trainers CoOp CoOp_ATP --datasets caltech101 dtd --seeds 1 2 3

Each job is `bash scripts/base2new.sh TRAINER DATASET SEED` (train on base, test on new) with
CUDA_VISIBLE_DEVICES set to its GPU; that script skips finished runs, so a re-launched sweep only
runs what is missing. Jobs share one image-feature cache (CLIP_FEATURE_CACHE) unless --no-feature-cache;
with it, every job also draws per-sample augmentation seeds and caches its training views' features, so
the first method of a (dataset, seed) encodes the training images and the others train from its features.
Without a GPU the jobs run one after another on the CPU. Each job's output goes to --log-dir.
"""
import argparse
import itertools
import os
import queue
import subprocess
import sys
import threading
from dataclasses import dataclass

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASE_TO_NOVEL = os.path.join(REPO_ROOT, "scripts", "base2new.sh")


@dataclass(frozen=True)
class Job:
    trainer: str
    dataset: str
    seed: int

    @property
    def name(self):
        return f"{self.trainer}_{self.dataset}_seed{self.seed}"

    def command(self):
        return ["bash", BASE_TO_NOVEL, self.trainer, self.dataset, str(self.seed)]


def visible_gpus(requested):
    """GPU ids to use: --gpus, else CUDA_VISIBLE_DEVICES, else every device torch sees; [None] = CPU only."""
    if requested:
        return requested
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "")
    if visible.strip():
        return [gpu.strip() for gpu in visible.split(",") if gpu.strip()]
    import torch

    return [str(index) for index in range(torch.cuda.device_count())] or [None]


def shared_view_options(feature_cache):
    """train.py KEY VALUE options that let the jobs of a sweep share training-view features (none without a cache).

    The views then depend on (seed, epoch, item) only, which changes the augmentation stream from the
    original one; trainers whose image tower is prompted (MaPLe) keep encoding their images.
    """
    if not feature_cache:
        return []
    return ["DATALOADER.PER_SAMPLE_SEEDS", "True", "TRAINER.FEATURE_CACHE.TRAIN", "True"]


def job_environment(gpu, feature_cache):
    env = dict(os.environ)
    if gpu is not None:
        env["CUDA_VISIBLE_DEVICES"] = gpu
    if feature_cache:
        env["CLIP_FEATURE_CACHE"] = feature_cache
        env["EXTRA_OPTS"] = " ".join([*shared_view_options(feature_cache), env.get("EXTRA_OPTS", "")]).strip()
    return env


def run_jobs(jobs, gpus, log_dir, feature_cache):
    """Run every job, at most one per GPU at a time; returns {job name: exit status}."""
    os.makedirs(log_dir, exist_ok=True)
    pending = queue.Queue()
    for job in jobs:
        pending.put(job)
    statuses = {}
    lock = threading.Lock()

    def worker(gpu):
        while True:
            try:
                job = pending.get_nowait()
            except queue.Empty:
                return
            with open(os.path.join(log_dir, f"{job.name}.log"), "w") as log:
                status = subprocess.call(job.command(), cwd=REPO_ROOT, env=job_environment(gpu, feature_cache),
                                         stdout=log, stderr=subprocess.STDOUT)
            with lock:
                statuses[job.name] = status
                print(f"[{'cpu' if gpu is None else 'gpu ' + gpu}] {job.name}: {'done' if status == 0 else f'FAILED ({status})'}",
                      flush=True)

    threads = [threading.Thread(target=worker, args=(gpu,)) for gpu in gpus]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainers", nargs="+", required=True)
    parser.add_argument("--datasets", nargs="+", required=True, help="dataset config stems, e.g. caltech101")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--gpus", nargs="+", default=None, help="GPU ids (default: all visible)")
    parser.add_argument("--log-dir", default=os.path.join("output", "sweep_logs"))
    parser.add_argument("--feature-cache", default=os.path.join("output", "feature_cache"),
                        help="shared image-feature cache folder")
    parser.add_argument("--no-feature-cache", action="store_true",
                        help="encode test and training images in every run, with the original augmentation stream")
    return parser


def main(args):
    jobs = [Job(*combination) for combination in itertools.product(args.trainers, args.datasets, args.seeds)]
    feature_cache = "" if args.no_feature_cache else os.path.abspath(args.feature_cache)
    if feature_cache:
        print(f"Per-sample augmentation seeds and the training-feature cache are on for every job "
              f"({' '.join(shared_view_options(feature_cache))}; cache {feature_cache}); --no-feature-cache turns them off")
    statuses = run_jobs(jobs, visible_gpus(args.gpus), args.log_dir, feature_cache)
    failed = sorted(name for name, status in statuses.items() if status != 0)
    if failed:
        print(f"{len(failed)} of {len(jobs)} jobs failed; see {args.log_dir}/<job>.log: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(build_parser().parse_args()))
