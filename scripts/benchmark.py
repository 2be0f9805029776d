"""Original behaviour against ours, per trainer, on random weights of the real ViT-B/16 shape.

`python scripts/benchmark.py [--device cpu|cuda] [--json PATH]` measures, in one run:
  * the text encoder alone over typical prompts, full 77 tokens against EOT truncation, and against
    EOT truncation plus the context shared by all classes encoded once;
  * for each trainer: one training step, one evaluation over a synthetic test set of real-size images,
    and peak GPU memory, with every shortcut off and the original precision (fp16) against ours;
  * AnchorOPT stage I: our text-only step against the original loop, which loads, augments and
    encodes an image batch at every step although its loss never uses the images.
  * a sweep (`--sweep`): the trainers whose image tower is frozen, trained one after another for a few
    epochs on one seed, the original way (images loaded, augmented and encoded at every step, every
    shortcut off) against ours (per-sample views and the training-feature cache: the first method
    encodes and stores each epoch's views, the others train from them), plus the cache's disk use.
Evaluation of base + new for 3 seeds is 6 evaluations: the original encodes images 6 times, ours
fills the feature cache twice (base, new) and reads it 4 times, so its estimate is 2 cold + 4 warm;
a method run after another on the same test sets (a sweep) finds the cache warm all 6 times.
"""
import argparse
import contextlib
import io
import itertools
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass

import torch

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

import clip  # noqa: E402
import train  # noqa: E402
import trainers.parts.cached_test_features  # noqa: E402,F401  (registers TRAINER.FEATURE_CACHE)
from clip import tiny  # noqa: E402
from clip.model import CLIP  # noqa: E402
from dassl.utils import save_checkpoint  # noqa: E402
from datasets.synthetic import make_synthetic_dataset  # noqa: E402
from scripts.launch.runs import feature_cache_options  # noqa: E402
from trainers.parts.feature_cache import tensor_checksum  # noqa: E402
from trainers.plugins.anchoropt_anchor import ANCHOR_PARAM_NAME  # noqa: E402

VIT_B16 = dict(embed_dim=512, vision_width=768, vision_layers=12, patch_size=16, image_resolution=224,
               text_width=512, text_layers=12)
# Class names of typical length (1-4 BPE tokens), cycled to the requested class count.
CLASS_NAMES = ["dog", "golden retriever", "airliner", "sunflower", "mountain bike", "espresso", "red fox",
               "basketball court", "tabby cat", "school bus", "volcano", "stop sign"]
ANCHOROPT_DESCRIPTIONS = 10  # TRAINER.ANCHOROPT.MAX_TEMPLATE_LENGTH of every non-ImageNet dataset
# Every shortcut off: full 77-token text encoding, class text features and the AnchorOPT anchor branch
# encoded at every use, every evaluation encoding its images.
ORIGINAL_OPTS = [
    "TRAINER.TEXT_ENCODER.TRUNCATE_AT_EOT", "False",
    "TRAINER.TEXT_ENCODER.SHARE_PREFIX", "False",
    "TRAINER.TEXT_FEATURES_ONCE_PER_EVAL", "False",
    "TRAINER.CACHE_FROZEN_TEXT_FEATURES", "False",
    "TRAINER.FEATURE_CACHE.DIR", "",
]
ORIGINAL_PRECISION = "fp16"  # every upstream method's PREC (CPU runs fp32 whatever PREC says)
PRECISION_SECTIONS = ("COOP", "COCOOP", "MAPLE")  # TRAINER.<section>.PREC read by the trainers below


def precision_opts(prec):
    return [item for section in PRECISION_SECTIONS for item in (f"TRAINER.{section}.PREC", prec)]


@dataclass(frozen=True)
class Row:
    """One trainer of the table: its method config and options; `stage_one` rows time the image-batched loop."""

    config: str
    opts: tuple = ()
    stage_one: bool = False


# Every trainer trains on base classes (DePT's head exists only there).
TRAINERS = {
    "ZeroshotCLIP": Row("CoOp/vit_b16"),
    "CoOp": Row("CoOp/vit_b16"),
    "CoCoOp": Row("CoCoOp/vit_b16_c4_ep10_batch1_ctxv1"),
    "MaPLe": Row("MaPLe/vit_b16_c2_ep5_batch4_2ctx"),
    "DePT": Row("DePT/vit_b16_ep10_bs4_lr35"),
    "CoOp_ATP": Row("CoOp/vit_b16", ("TRAINER.ATPROMPT.USE_ATPROMPT", "True")),
    "CoCoOp_ATP": Row("CoCoOp/vit_b16_c4_ep10_batch1_ctxv1", ("TRAINER.ATPROMPT.USE_ATPROMPT", "True")),
    "DePT_ATP": Row("DePT/vit_b16_ep10_bs4_lr35", ("TRAINER.ATPROMPT.USE_ATPROMPT", "True")),
    "CoOp_AnchorOPT": Row("CoOp/vit_b16"),
    "CoCoOp_AnchorOPT": Row("CoCoOp/vit_b16_c4_ep10_batch1_ctxv1"),
    "DePT_AnchorOPT": Row("DePT/vit_b16_ep10_bs4_lr35"),
    "CoOp_Pretrain_Anchor": Row("CoOp/vit_b16", stage_one=True),
}
# The trainers a sweep shares training-view features between (frozen image tower), in sweep order.
SWEEP_TRAINERS = ["CoOp", "CoCoOp", "DePT", "CoOp_ATP", "CoCoOp_ATP", "DePT_ATP",
                  "CoOp_AnchorOPT", "CoCoOp_AnchorOPT", "DePT_AnchorOPT"]


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def allocated_bytes(device):
    return torch.cuda.memory_allocated(device) if device.type == "cuda" else 0


def quiet(function):
    """`function` with its prints (progress bars, trainer banners) swallowed."""
    def run():
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return function()

    return run


class Probe:
    """Times calls on one device and keeps the largest GPU memory they allocate on top of what already exists."""

    def __init__(self, device):
        self.device = device
        self.transient_bytes = 0

    def time(self, function):
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
        base = allocated_bytes(self.device)
        synchronize(self.device)
        start = time.perf_counter()
        function()
        synchronize(self.device)
        elapsed = time.perf_counter() - start
        if self.device.type == "cuda":
            self.transient_bytes = max(self.transient_bytes, torch.cuda.max_memory_allocated(self.device) - base)
        return elapsed


def fastest(calls, repeats, warm_up=True):
    """Fastest time of each call (a function returning seconds) over `repeats` alternating rounds.

    Alternating puts original and ours under the same load of a shared machine; the minimum is the
    run least disturbed by it.
    """
    if warm_up:
        for call in calls:
            call()
    times = [[] for _ in calls]
    for _ in range(repeats):
        for timings, call in zip(times, calls):
            timings.append(call())
    return [min(timings) for timings in times]


TYPICAL_CONTEXT = 16  # CoOp's N_CTX: SOT and these tokens are what every class shares


def typical_prompts(n_classes, n_ctx=TYPICAL_CONTEXT):
    """CoOp-style token ids `X`*n_ctx + class name: the sequences every prompt trainer encodes."""
    names = [CLASS_NAMES[i % len(CLASS_NAMES)] for i in range(n_classes)]
    return clip.tokenize([" ".join(["X"] * n_ctx) + f" {name}." for name in names])


def text_tower(device):
    """A ViT-B/16-shaped text tower (the image tower shrunk away), frozen, built without touching the RNG."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = CLIP(embed_dim=512, image_resolution=224, vision_layers=1, vision_width=64, vision_patch_size=16,
                     context_length=77, vocab_size=tiny.OPENAI_VOCAB_SIZE, transformer_width=512,
                     transformer_heads=8, transformer_layers=12).to(device)
    return model.requires_grad_(False)


def encode_variant(model, embeddings, eot, variant):
    """Text features the original way ("full"), EOT-truncated, or truncated with SOT + context run once."""
    if variant == "shared":
        return model.encode_text_shared_prefix(embeddings, eot, 1 + TYPICAL_CONTEXT)
    return model.encode_text_embeddings(embeddings, eot, truncate=variant == "truncated")


def bytes_kept_for_backward(run, weights):
    """Bytes of the tensors autograd saves while `run()` builds its graph, `weights` excluded, each counted once.

    Real tensors are told apart by their storage (views share one); meta tensors have no storage, so
    by the tensor a view was taken of.
    """
    def owner(tensor):
        return tensor if tensor._base is None else tensor._base

    def key(tensor):
        return id(owner(tensor)) if tensor.is_meta else tensor.untyped_storage().data_ptr()

    def size(tensor):
        if tensor.is_meta:
            return owner(tensor).numel() * tensor.element_size()
        return tensor.untyped_storage().nbytes()

    excluded = {key(weight) for weight in weights}
    kept = {}

    def pack(tensor):
        if key(tensor) not in excluded:
            kept[key(tensor)] = size(tensor)
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        run()
    return sum(kept.values())


def saved_activation_gib(n_classes):
    """GiB the fp16 text tower keeps for the backward of one CoOp step over `n_classes` prompts, per variant.

    Counted on the meta device (shapes only, nothing computed), so it runs anywhere in a second: the
    tensors autograd saves, parameters excluded. This is what makes ImageNet CoOp run out of memory.
    """
    with torch.device("meta"):
        model = text_tower("meta").half()
    eot = typical_prompts(n_classes).argmax(dim=-1)
    leaf = torch.empty(n_classes, 77, 512, device="meta", dtype=torch.half, requires_grad=True)
    return {variant: bytes_kept_for_backward(lambda: encode_variant(model, leaf, eot, variant),
                                             list(model.parameters())) / 2 ** 30
            for variant in ("full", "truncated", "shared")}


def bench_text_encoder(device, n_classes, repeats):
    """Forward (no grad) and forward+backward time of the ViT-B/16-shaped text tower: full, truncated, and
    truncated with the shared context encoded once."""
    model = text_tower(device)
    token_ids = typical_prompts(n_classes).to(device)
    embeddings = model.token_embedding(token_ids).detach()
    eot = token_ids.argmax(dim=-1)
    result = {"classes": n_classes, "tokens_kept": int(eot.max()) + 1, "tokens_shared": 1 + TYPICAL_CONTEXT}

    def encode(leaf, variant):
        return encode_variant(model, leaf, eot, variant)

    with torch.no_grad():
        full, cut, shared = (encode(embeddings, variant) for variant in ("full", "truncated", "shared"))
    result["max_abs_difference"] = float((full - cut).abs().max())
    result["max_abs_difference_shared"] = float((full - shared).abs().max())
    probe = Probe(device)

    def forward(variant):
        with torch.no_grad():
            return probe.time(lambda: encode(embeddings, variant))

    def forward_backward(variant):
        leaf = embeddings.clone().requires_grad_(True)
        return probe.time(lambda: encode(leaf, variant).sum().backward())

    for label, run in (("forward", forward), ("train", forward_backward)):
        full_s, truncated_s, shared_s = fastest([lambda: run("full"), lambda: run("truncated"),
                                                 lambda: run("shared")], repeats)
        result.update({f"{label}_s_full": full_s, f"{label}_s_truncated": truncated_s, f"{label}_s_shared": shared_s,
                       f"{label}_speedup": full_s / truncated_s, f"{label}_speedup_shared": full_s / shared_s})
    return result


class Workspace:
    """A ViT-B/16-shaped random checkpoint, a synthetic dataset of real-size images, a random stage-I anchor
    and a descriptions file for stage I, in a temp folder."""

    def __init__(self, root, n_classes, test_per_class, shape=VIT_B16, shots=2):
        self.root = root
        self.shots = shots
        self.image_size = shape["image_resolution"]
        self.checkpoint = tiny.save_state_dict(tiny.tiny_vit_state_dict(**shape), os.path.join(root, "clip.pt"))
        self.dataset = make_synthetic_dataset(os.path.join(root, "data"), "Caltech101", n_classes=2 * n_classes,
                                              train_per_class=shots, val_per_class=1, test_per_class=test_per_class,
                                              image_size=self.image_size)
        self.feature_cache = os.path.join(root, "feature_cache")
        self.anchor_file = write_random_anchor(os.path.join(root, "anchor"), shape["text_width"])
        self.descriptions_file = write_descriptions(os.path.join(root, "descriptions.json"), self.dataset.classnames)


def write_random_anchor(directory, width):
    """A stage-I checkpoint (`anchor_prompt_learner/model.pth.tar`, key `anchor_ctx_1` [1, width]) of random values."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        anchor = 0.02 * torch.randn(1, width)
    folder = os.path.join(directory, "anchor_prompt_learner")
    with contextlib.redirect_stdout(io.StringIO()):
        save_checkpoint({"state_dict": {ANCHOR_PARAM_NAME: anchor}, "epoch": 1}, folder, model_name="model.pth.tar")
    return os.path.join(folder, "model.pth.tar")


def write_descriptions(path, classnames):
    """CuPL-style {classname: [sentence, ...]} with sentences of a typical description's length."""
    descriptions = {}
    for name in (name.replace("_", " ") for name in classnames):
        descriptions[name] = [f"a photo of a {name}, which has a distinctive shape and colour, seen from angle {index}."
                              for index in range(ANCHOROPT_DESCRIPTIONS)]
    with open(path, "w") as f:
        json.dump(descriptions, f)
    return path


def build_trainer(workspace, name, device, batch_size, opts):
    row = TRAINERS[name]
    argv = [
        "--no-train", "--root", workspace.dataset.root, "--seed", "1", "--trainer", name,
        "--dataset-config-file", workspace.dataset.config_file,
        "--config-file", os.path.join(REPO_ROOT, "configs", "trainers", row.config + ".yaml"),
        "--output-dir", tempfile.mkdtemp(dir=workspace.root),
        "MODEL.BACKBONE.NAME", workspace.checkpoint, "USE_CUDA", str(device.type == "cuda"),
        "INPUT.SIZE", f"({workspace.image_size}, {workspace.image_size})",
        "DATASET.NUM_SHOTS", str(workspace.shots), "DATASET.SUBSAMPLE_CLASSES", "base", "DATALOADER.NUM_WORKERS", "0",
        "DATALOADER.TRAIN_X.BATCH_SIZE", str(batch_size),
        "TRAINER.ANCHOROPT.ANCHOR_PATH", workspace.anchor_file,
        "TRAINER.ANCHOROPT.DESCRIPTIONS_FILE", workspace.descriptions_file,
        *row.opts, *opts,
    ]
    return quiet(lambda: train.main(train.build_parser().parse_args(argv)))()


class Build:
    """One trainer, the GPU memory its build keeps resident, and a probe for what its calls allocate on top."""

    def __init__(self, workspace, name, device, batch_size, opts):
        before = allocated_bytes(device)
        self.trainer = build_trainer(workspace, name, device, batch_size, opts)
        self.resident_bytes = allocated_bytes(device) - before
        self.probe = Probe(device)

    def timer(self, function):
        """A call returning the seconds one quiet run of `function` takes."""
        return lambda: self.probe.time(quiet(function))

    def peak_memory_mib(self):
        if self.probe.device.type != "cuda":
            return None
        return (self.resident_bytes + self.probe.transient_bytes) / 2 ** 20


def fixed_batch_step(trainer):
    """`forward_backward` on one fixed batch."""
    batch = next(iter(trainer.train_loader_x))
    prepare_training(trainer)
    return lambda: trainer.forward_backward(batch)


def backward_activations_mib(trainer):
    """MiB of tensors autograd keeps for the backward of one training step, weights excluded.

    What a step adds on top of the resident model on any device (the CUDA column measures the
    peak itself): counted through autograd's saved-tensor hooks, each storage once.
    """
    batch = next(iter(trainer.train_loader_x))
    prepare_training(trainer)
    weights = [tensor for module in (trainer.clip_model, trainer.model)
               for tensor in itertools.chain(module.parameters(), module.buffers())]
    return bytes_kept_for_backward(quiet(lambda: trainer.forward_backward(batch)), weights) / 2 ** 20


def image_batched_step(trainer):
    """Upstream stage I: each step also loads, augments and encodes an image batch, then discards it."""
    batches = endless(trainer.dm.train_loader_x)
    prepare_training(trainer)

    def step():
        trainer.encode_images(next(batches)["img"].to(trainer.device))
        trainer.forward_backward(None)

    return step


def prepare_training(trainer):
    trainer.set_model_mode("train")
    trainer.batch_idx, trainer.num_batches = 0, sys.maxsize


def endless(loader):
    while True:
        yield from loader


def checksum_seconds(trainer):
    """The image-tower hash each run of a sweep pays once before reading the feature cache."""
    start = time.perf_counter()
    tensor_checksum(trainer.clip_model.visual.state_dict())
    return time.perf_counter() - start


def ratio(numerator, denominator):
    return None if not numerator or not denominator else numerator / denominator


def bench_trainer(workspace, name, device, batch_size, repeats, ours_opts):
    """Original (every shortcut off, fp16) against ours, timed alternately; stage I's original is the image loop.

    Every evaluation of a sweep is a run of its own, so each one reading the feature cache is charged
    the image-tower hash; a cold one starts from an emptied cache.
    """
    cache_dir = os.path.join(workspace.feature_cache, name)
    original = Build(workspace, name, device, batch_size, [*ORIGINAL_OPTS, *precision_opts(ORIGINAL_PRECISION)])
    ours = Build(workspace, name, device, batch_size, [*ours_opts, "TRAINER.FEATURE_CACHE.DIR", cache_dir])
    report = {"original": {"train_step_s": None, "backward_activations_mib": None},
              "ours": {"train_step_s": None, "backward_activations_mib": None}}
    if ours.trainer.get_model_names():
        for side, build in (("original", original), ("ours", ours)):
            report[side]["backward_activations_mib"] = backward_activations_mib(build.trainer)
        original_step = image_batched_step if TRAINERS[name].stage_one else fixed_batch_step
        report["original"]["train_step_s"], report["ours"]["train_step_s"] = fastest(
            [original.timer(original_step(original.trainer)), ours.timer(fixed_batch_step(ours.trainer))], repeats)

    hashing = 0.0
    if ours.trainer.frozen_image_encoder:
        hashing = checksum_seconds(ours.trainer)
        ours.trainer.image_weights_checksum()  # memoised now: the timings below are those of the cache alone
    evaluate_ours = ours.timer(ours.trainer.test)

    def evaluate_ours_cold():
        shutil.rmtree(cache_dir, ignore_errors=True)
        return evaluate_ours()

    original_eval, cold, warm = fastest([original.timer(original.trainer.test), evaluate_ours_cold, evaluate_ours],
                                        repeats, warm_up=False)
    report["original"].update(eval_s=original_eval, peak_memory_mib=original.peak_memory_mib())
    report["ours"].update(eval_s=hashing + cold, eval_warm_s=hashing + warm, peak_memory_mib=ours.peak_memory_mib())
    three_seeds_original = 6 * report["original"]["eval_s"]
    three_seeds_ours = 2 * report["ours"]["eval_s"] + 4 * report["ours"]["eval_warm_s"]
    report.update(
        train_step_speedup=ratio(report["original"]["train_step_s"], report["ours"]["train_step_s"]),
        eval_speedup=ratio(report["original"]["eval_s"], report["ours"]["eval_s"]),
        base_new_3_seeds_eval_speedup=ratio(three_seeds_original, three_seeds_ours),
        base_new_3_seeds_eval_speedup_warm=ratio(three_seeds_original, 6 * report["ours"]["eval_warm_s"]),
        activation_memory_ratio=ratio(report["ours"]["backward_activations_mib"],
                                      report["original"]["backward_activations_mib"]),
        peak_memory_ratio=ratio(report["ours"]["peak_memory_mib"], report["original"]["peak_memory_mib"]),
    )
    return report


def timed_training(trainer):
    """Seconds of `trainer.train()` (every epoch; no test), seconds of its epoch loops alone (batches
    loaded and stepped; no per-run or per-epoch set-up such as the tower hash or cache reads and writes)
    and its number of optimisation steps."""
    loop_seconds = []
    run_epoch = trainer.run_epoch

    def timed_epoch():
        start = time.perf_counter()
        run_epoch()
        synchronize(trainer.device)
        loop_seconds.append(time.perf_counter() - start)

    trainer.run_epoch = timed_epoch
    start = time.perf_counter()
    quiet(trainer.train)()
    synchronize(trainer.device)
    return time.perf_counter() - start, sum(loop_seconds), trainer.max_epoch * len(trainer.train_loader_x)


def folder_bytes(folder):
    return sum(entry.stat().st_size for entry in os.scandir(folder)) if os.path.isdir(folder) else 0


def bench_sweep(workspace, names, device, batch_size, epochs, ours_opts, repeats=1):
    """Train `names` one after another on one seed, the original way and ours, interleaved per method so a
    shared machine's load falls on both; ours starts from an empty training-feature cache."""
    cache_dir = os.path.join(workspace.root, "sweep_feature_cache")
    shutil.rmtree(cache_dir, ignore_errors=True)
    run_opts = ["OPTIM.MAX_EPOCH", str(epochs), "TEST.NO_TEST", "True"]
    methods = {}
    for name in names:
        print(f"sweep: training {name} ...", file=sys.stderr)
        original = build_trainer(workspace, name, device, batch_size,
                                 [*ORIGINAL_OPTS, *precision_opts(ORIGINAL_PRECISION), *run_opts])
        original_s, original_steps_s, steps = timed_training(original)
        ours = build_trainer(workspace, name, device, batch_size,
                             [*ours_opts, *run_opts, *feature_cache_options(cache_dir)])
        ours_s, ours_steps_s, _ = timed_training(ours)
        methods[name] = {"original_s": original_s, "ours_s": ours_s, "original_steps_s": original_steps_s,
                         "ours_steps_s": ours_steps_s, "steps": steps, "cache": "cold" if not methods else "warm"}
    warm = [row for row in methods.values() if row["cache"] == "warm"]
    warm_names = [name for name, row in methods.items() if row["cache"] == "warm"]
    entries = len([entry for entry in os.listdir(cache_dir) if entry.endswith(".pt")])
    return {
        "trainers": methods, "epochs": epochs,
        "original_s": sum(row["original_s"] for row in methods.values()),
        "ours_s": sum(row["ours_s"] for row in methods.values()),
        "ratio": ratio(sum(row["original_s"] for row in methods.values()),
                       sum(row["ours_s"] for row in methods.values())),
        "warm_step_ratio": ratio(sum(row["original_steps_s"] for row in warm), sum(row["ours_steps_s"] for row in warm)),
        "cache_entries": entries,
        "mb_per_epoch": folder_bytes(cache_dir) / 2 ** 20 / max(entries, 1),
        "warm_step_alternating": warm_names and bench_warm_step(workspace, warm_names[0], device, batch_size, repeats),
    }


def bench_warm_step(workspace, name, device, batch_size, repeats):
    """One step of `name` the original way (its batch loaded, then stepped with the images) against one
    warm step (the batch's view features in, text side only), fastest of `repeats` alternating rounds:
    the sweep's per-method timings are single passes, which a shared machine's load can swing."""
    original = build_trainer(workspace, name, device, batch_size, [*ORIGINAL_OPTS, *precision_opts(ORIGINAL_PRECISION)])
    ours = build_trainer(workspace, name, device, batch_size, [])
    batch = next(iter(original.train_loader_x))
    with torch.no_grad():
        features = ours.encode_image_tower(batch["img"].to(device))
    original_step, loading = fixed_batch_step(original), lambda: next(iter(original.train_loader_x))
    warm_batch = {"img": features, "label": batch["label"]}
    prepare_training(ours)
    ours.serving_cached_features = True
    probe = Probe(device)
    original_s, loading_s, warm_s = fastest([lambda: probe.time(quiet(original_step)), lambda: probe.time(loading),
                                             lambda: probe.time(quiet(lambda: ours.forward_backward(warm_batch)))],
                                            repeats)
    return {"trainer": name, "original_s": original_s, "loading_s": loading_s, "warm_s": warm_s,
            "ratio": ratio(original_s + loading_s, warm_s)}


def format_ratio(value):
    return "-" if value is None else f"{value:.2f}x"


def print_table(report):
    text = report["text_encoder"]
    print(f"Text encoder, ViT-B/16 shape, {text['classes']} typical prompts ({text['tokens_kept']} of 77 tokens kept; "
          f"max |diff| {text['max_abs_difference']:.2e}): forward {format_ratio(text['forward_speedup'])}, "
          f"forward+backward {format_ratio(text['train_speedup'])}")
    print(f"  + first {text['tokens_shared']} tokens encoded once (max |diff| {text['max_abs_difference_shared']:.2e}): "
          f"forward {format_ratio(text['forward_speedup_shared'])}, "
          f"forward+backward {format_ratio(text['train_speedup_shared'])}")
    memory = report["text_activations_gib"]
    print(f"Text activations saved for backward, {report['memory_classes']} classes, fp16: "
          f"full {memory['full']:.2f} GiB, truncated {memory['truncated']:.2f} GiB, "
          f"+ shared prefix {memory['shared']:.2f} GiB ({format_ratio(memory['shared'] / memory['full'])})")
    header = (f"{'trainer':<20} {'train step':>11} {'eval (1)':>9} {'eval 3 seeds b+n':>17} {'(cache warm)':>13} "
              f"{'step activations':>17} {'peak mem ours/orig':>19}")
    print(header)
    print("-" * len(header))
    for name, row in report["trainers"].items():
        print(f"{name:<20} {format_ratio(row['train_step_speedup']):>11} {format_ratio(row['eval_speedup']):>9} "
              f"{format_ratio(row['base_new_3_seeds_eval_speedup']):>17} "
              f"{format_ratio(row['base_new_3_seeds_eval_speedup_warm']):>13} "
              f"{format_ratio(row['activation_memory_ratio']):>17} {format_ratio(row['peak_memory_ratio']):>19}")
    if "sweep" in report:
        print_sweep(report["sweep"])


def print_sweep(sweep):
    print(f"Sweep of {len(sweep['trainers'])} methods x 1 seed x {sweep['epochs']} epochs: original "
          f"{sweep['original_s']:.1f} s, ours {sweep['ours_s']:.1f} s ({format_ratio(sweep['ratio'])}); "
          f"warm methods per step {format_ratio(sweep['warm_step_ratio'])}; "
          f"cache {sweep['mb_per_epoch']:.2f} MB per dataset-seed-epoch")
    step = sweep["warm_step_alternating"]
    if step:
        print(f"  one {step['trainer']} step, fastest of alternating rounds: original {step['original_s']:.2f} s "
              f"+ loading {step['loading_s']:.2f} s, warm {step['warm_s']:.2f} s ({format_ratio(step['ratio'])})")
    for name, row in sweep["trainers"].items():
        print(f"  {name:<18} {row['cache']:<5} {row['steps']:>4} steps  original {row['original_s']:8.1f} s  "
              f"ours {row['ours_s']:7.1f} s  {format_ratio(ratio(row['original_s'], row['ours_s'])):>8}  per step "
              f"{format_ratio(ratio(row['original_steps_s'], row['ours_steps_s'])):>8}")


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--json", default="", help="write the full report here")
    parser.add_argument("--trainers", nargs="*", default=list(TRAINERS), choices=list(TRAINERS),
                        help="trainer rows (default: all; none named: the sweep alone)")
    parser.add_argument("--classes", type=int, default=None, help="base classes (default: 4 on CPU, 100 on CUDA)")
    parser.add_argument("--text-classes", type=int, default=32, help="prompts of the text-encoder benchmark")
    parser.add_argument("--memory-classes", type=int, default=1000,
                        help="prompts whose text activations are counted (default: ImageNet's 1000)")
    parser.add_argument("--test-per-class", type=int, default=None, help="default: 2 on CPU, 10 on CUDA")
    parser.add_argument("--batch-size", type=int, default=None, help="training batch (default: 1 on CPU, 32 on CUDA)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="alternating rounds per measurement, the fastest kept (default: 2 on CPU, 10 on CUDA)")
    parser.add_argument("--ours-prec", default="", help="precision of our runs (e.g. amp); default: the method's")
    parser.add_argument("--sweep", nargs="*", default=None, choices=SWEEP_TRAINERS, metavar="TRAINER",
                        help=f"also time a sweep of these trainers (none named: {' '.join(SWEEP_TRAINERS)})")
    parser.add_argument("--sweep-epochs", type=int, default=2, help="epochs of every sweep method")
    parser.add_argument("--shots", type=int, default=2, help="training images per class (DATASET.NUM_SHOTS)")
    return parser


def main(args):
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda requested but no CUDA device is visible; use --device cpu")
    on_cpu = device.type == "cpu"
    n_classes = args.classes or (4 if on_cpu else 100)
    test_per_class = args.test_per_class or (2 if on_cpu else 10)
    batch_size = args.batch_size or (1 if on_cpu else 32)
    repeats = args.repeats or (2 if on_cpu else 10)
    ours_opts = precision_opts(args.ours_prec) if args.ours_prec else []
    report = {"device": str(device), "classes": n_classes, "test_images": n_classes * test_per_class,
              "batch_size": batch_size, "repeats": repeats,
              "text_encoder": bench_text_encoder(device, args.text_classes, max(repeats, 5)),
              "memory_classes": args.memory_classes, "text_activations_gib": saved_activation_gib(args.memory_classes),
              "trainers": {}}
    with tempfile.TemporaryDirectory(prefix="benchmark-") as root:
        workspace = Workspace(root, n_classes, test_per_class, shots=args.shots)
        for name in args.trainers:
            print(f"benchmarking {name} ...", file=sys.stderr)
            report["trainers"][name] = bench_trainer(workspace, name, device, batch_size, repeats, ours_opts)
        if args.sweep is not None:
            report["sweep"] = bench_sweep(workspace, args.sweep or SWEEP_TRAINERS, device, batch_size,
                                          args.sweep_epochs, ours_opts, repeats)
    print_table(report)
    if args.json:
        with tempfile.NamedTemporaryFile("w", dir=os.path.dirname(os.path.abspath(args.json)), delete=False) as f:
            json.dump(report, f, indent=2)
        os.replace(f.name, args.json)
    return report


if __name__ == "__main__":
    main(build_parser().parse_args())
