"""Original behaviour against ours, per trainer, on random weights of the real ViT-B/16 shape.

`python scripts/benchmark.py [--device cpu|cuda] [--json PATH]` measures, in one run:
  * the text encoder alone over typical prompts, full 77 tokens against EOT truncation;
  * for each trainer: one training step, one evaluation over a synthetic test set of real-size images,
    and peak GPU memory, with every shortcut off (and the method's configured precision) against ours.
Evaluation of base + new for 3 seeds is 6 evaluations: the original encodes images 6 times, ours
fills the feature cache twice (base, new) and reads it 4 times, so its estimate is 2 cold + 4 warm.
"""
import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time

import torch

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

import clip  # noqa: E402
import train  # noqa: E402
import trainers.parts.cached_test_features  # noqa: E402,F401  (registers TRAINER.FEATURE_CACHE)
from clip import tiny  # noqa: E402
from clip.model import CLIP  # noqa: E402
from datasets.synthetic import make_synthetic_dataset  # noqa: E402

VIT_B16 = dict(embed_dim=512, vision_width=768, vision_layers=12, patch_size=16, image_resolution=224,
               text_width=512, text_layers=12)
# Class names of typical length (1-4 BPE tokens), cycled to the requested class count.
CLASS_NAMES = ["dog", "golden retriever", "airliner", "sunflower", "mountain bike", "espresso", "red fox",
               "basketball court", "tabby cat", "school bus", "volcano", "stop sign"]
# method config, extra options; every trainer trains on base classes (DePT's head exists only there).
TRAINERS = {
    "ZeroshotCLIP": ("CoOp/vit_b16", []),
    "CoOp": ("CoOp/vit_b16", []),
    "CoCoOp": ("CoCoOp/vit_b16_c4_ep10_batch1_ctxv1", []),
    "MaPLe": ("MaPLe/vit_b16_c2_ep5_batch4_2ctx", []),
    "DePT": ("DePT/vit_b16_ep10_bs4_lr35", []),
    "CoOp_ATP": ("CoOp/vit_b16", ["TRAINER.ATPROMPT.USE_ATPROMPT", "True"]),
    "DePT_ATP": ("DePT/vit_b16_ep10_bs4_lr35", ["TRAINER.ATPROMPT.USE_ATPROMPT", "True"]),
}
ORIGINAL_OPTS = ["TRAINER.TEXT_ENCODER.TRUNCATE_AT_EOT", "False", "TRAINER.FEATURE_CACHE.DIR", ""]


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(function, device, repeats):
    """Fastest of `repeats` calls after one warm-up call: the least disturbed by other load on the machine."""
    function()
    times = []
    for _ in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        function()
        synchronize(device)
        times.append(time.perf_counter() - start)
    return min(times)


def typical_prompts(n_classes, n_ctx=16):
    """CoOp-style token ids `X`*n_ctx + class name: the sequences every prompt trainer encodes."""
    names = [CLASS_NAMES[i % len(CLASS_NAMES)] for i in range(n_classes)]
    return clip.tokenize([" ".join(["X"] * n_ctx) + f" {name}." for name in names])


def bench_text_encoder(device, n_classes, repeats):
    """Forward (no grad) and forward+backward time of the ViT-B/16-shaped text tower, full against truncated."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = CLIP(embed_dim=512, image_resolution=224, vision_layers=1, vision_width=64, vision_patch_size=16,
                     context_length=77, vocab_size=tiny.OPENAI_VOCAB_SIZE, transformer_width=512,
                     transformer_heads=8, transformer_layers=12).to(device)
    model.requires_grad_(False)
    token_ids = typical_prompts(n_classes).to(device)
    embeddings = model.token_embedding(token_ids).detach()
    eot = token_ids.argmax(dim=-1)
    result = {"classes": n_classes, "tokens_kept": int(eot.max()) + 1}
    with torch.no_grad():
        full = model.encode_text_embeddings(embeddings, eot, truncate=False)
        cut = model.encode_text_embeddings(embeddings, eot, truncate=True)
    result["max_abs_difference"] = float((full - cut).abs().max())
    for truncate in (False, True):
        def forward():
            with torch.no_grad():
                model.encode_text_embeddings(embeddings, eot, truncate=truncate)

        def forward_backward():
            leaf = embeddings.clone().requires_grad_(True)
            model.encode_text_embeddings(leaf, eot, truncate=truncate).sum().backward()

        label = "truncated" if truncate else "full"
        result[f"forward_s_{label}"] = timed(forward, device, repeats)
        result[f"train_s_{label}"] = timed(forward_backward, device, repeats)
    result["forward_speedup"] = result["forward_s_full"] / result["forward_s_truncated"]
    result["train_speedup"] = result["train_s_full"] / result["train_s_truncated"]
    return result


class Workspace:
    """A ViT-B/16-shaped random checkpoint and a synthetic dataset of real-size images, in a temp folder."""

    def __init__(self, root, n_classes, test_per_class):
        self.root = root
        self.checkpoint = tiny.save_state_dict(tiny.tiny_vit_state_dict(**VIT_B16), os.path.join(root, "vit-b16.pt"))
        self.dataset = make_synthetic_dataset(os.path.join(root, "data"), "Caltech101", n_classes=2 * n_classes,
                                              train_per_class=2, val_per_class=1, test_per_class=test_per_class,
                                              image_size=224)
        self.feature_cache = os.path.join(root, "feature_cache")


def build_trainer(workspace, name, device, batch_size, opts):
    config, extra = TRAINERS[name]
    argv = [
        "--no-train", "--root", workspace.dataset.root, "--seed", "1", "--trainer", name,
        "--dataset-config-file", workspace.dataset.config_file,
        "--config-file", os.path.join(REPO_ROOT, "configs", "trainers", config + ".yaml"),
        "--output-dir", tempfile.mkdtemp(dir=workspace.root),
        "MODEL.BACKBONE.NAME", workspace.checkpoint, "USE_CUDA", str(device.type == "cuda"),
        "DATASET.NUM_SHOTS", "2", "DATASET.SUBSAMPLE_CLASSES", "base", "DATALOADER.NUM_WORKERS", "0",
        "DATALOADER.TRAIN_X.BATCH_SIZE", str(batch_size), "DATALOADER.TEST.BATCH_SIZE", "8", *extra, *opts,
    ]
    with contextlib.redirect_stdout(io.StringIO()):
        return train.main(train.build_parser().parse_args(argv))


def train_step_seconds(trainer, repeats):
    """Median time of `forward_backward` on one fixed batch (None for trainers that do not train)."""
    if not trainer.get_model_names():
        return None
    batch = next(iter(trainer.train_loader_x))
    trainer.set_model_mode("train")
    trainer.batch_idx, trainer.num_batches = 0, sys.maxsize
    return timed(lambda: trainer.forward_backward(batch), trainer.device, repeats)


def evaluation_seconds(trainer):
    synchronize(trainer.device)
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        trainer.test()
    synchronize(trainer.device)
    return time.perf_counter() - start


def measure(workspace, name, device, batch_size, repeats, opts, warm_eval):
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    trainer = build_trainer(workspace, name, device, batch_size, opts)
    result = {"train_step_s": train_step_seconds(trainer, repeats), "eval_s": evaluation_seconds(trainer)}
    if warm_eval:
        result["eval_warm_s"] = evaluation_seconds(trainer)
    if device.type == "cuda":
        result["peak_memory_mib"] = torch.cuda.max_memory_allocated(device) / 2 ** 20
    return result


def ratio(numerator, denominator):
    return None if not numerator or not denominator else numerator / denominator


def bench_trainer(workspace, name, device, batch_size, repeats, ours_opts):
    original = measure(workspace, name, device, batch_size, repeats, ORIGINAL_OPTS, warm_eval=False)
    ours = measure(workspace, name, device, batch_size, repeats,
                   ["TRAINER.FEATURE_CACHE.DIR", os.path.join(workspace.feature_cache, name), *ours_opts], warm_eval=True)
    three_seeds_original = 6 * original["eval_s"]
    three_seeds_ours = 2 * ours["eval_s"] + 4 * ours["eval_warm_s"]
    return {
        "original": original,
        "ours": ours,
        "train_step_speedup": ratio(original["train_step_s"], ours["train_step_s"]),
        "eval_speedup": ratio(original["eval_s"], ours["eval_s"]),
        "base_new_3_seeds_eval_speedup": ratio(three_seeds_original, three_seeds_ours),
        "peak_memory_ratio": ratio(ours.get("peak_memory_mib"), original.get("peak_memory_mib")),
    }


def format_ratio(value):
    return "-" if value is None else f"{value:.2f}x"


def print_table(report):
    text = report["text_encoder"]
    print(f"Text encoder, ViT-B/16 shape, {text['classes']} typical prompts ({text['tokens_kept']} of 77 tokens kept; "
          f"max |diff| {text['max_abs_difference']:.2e}): forward {format_ratio(text['forward_speedup'])}, "
          f"forward+backward {format_ratio(text['train_speedup'])}")
    header = f"{'trainer':<14} {'train step':>11} {'eval (1)':>9} {'eval 3 seeds b+n':>17} {'peak mem ours/orig':>19}"
    print(header)
    print("-" * len(header))
    for name, row in report["trainers"].items():
        print(f"{name:<14} {format_ratio(row['train_step_speedup']):>11} {format_ratio(row['eval_speedup']):>9} "
              f"{format_ratio(row['base_new_3_seeds_eval_speedup']):>17} {format_ratio(row['peak_memory_ratio']):>19}")


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--json", default="", help="write the full report here")
    parser.add_argument("--trainers", nargs="+", default=list(TRAINERS), choices=list(TRAINERS))
    parser.add_argument("--classes", type=int, default=None, help="base classes (default: 4 on CPU, 100 on CUDA)")
    parser.add_argument("--text-classes", type=int, default=8, help="prompts of the text-encoder benchmark")
    parser.add_argument("--test-per-class", type=int, default=None, help="default: 2 on CPU, 10 on CUDA")
    parser.add_argument("--batch-size", type=int, default=None, help="training batch (default: 1 on CPU, 32 on CUDA)")
    parser.add_argument("--repeats", type=int, default=None, help="timed training steps (default: 1 on CPU, 10 on CUDA)")
    parser.add_argument("--ours-prec", default="", help="precision of our runs (e.g. amp); default: the method's")
    return parser


def main(args):
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda requested but no CUDA device is visible; use --device cpu")
    on_cpu = device.type == "cpu"
    n_classes = args.classes or (4 if on_cpu else 100)
    test_per_class = args.test_per_class or (2 if on_cpu else 10)
    batch_size = args.batch_size or (1 if on_cpu else 32)
    repeats = args.repeats or (1 if on_cpu else 10)
    ours_opts = []
    if args.ours_prec:
        ours_opts = [f"TRAINER.{section}.PREC" for section in ("COOP", "COCOOP", "MAPLE")]
        ours_opts = [item for key in ours_opts for item in (key, args.ours_prec)]
    report = {"device": str(device), "classes": n_classes, "test_images": n_classes * test_per_class,
              "batch_size": batch_size, "text_encoder": bench_text_encoder(device, args.text_classes, max(repeats, 3)), "trainers": {}}
    with tempfile.TemporaryDirectory(prefix="benchmark-") as root:
        workspace = Workspace(root, n_classes, test_per_class)
        for name in args.trainers:
            print(f"benchmarking {name} ...", file=sys.stderr)
            report["trainers"][name] = bench_trainer(workspace, name, device, batch_size, repeats, ours_opts)
    print_table(report)
    if args.json:
        with tempfile.NamedTemporaryFile("w", dir=os.path.dirname(os.path.abspath(args.json)), delete=False) as f:
            json.dump(report, f, indent=2)
        os.replace(f.name, args.json)
    return report


if __name__ == "__main__":
    main(build_parser().parse_args())
