"""Where the pooled text token looks: attention mass per prompt segment of the demo's trained prompts.

    python -m scripts.demo.attention DEMO_DIR [--seeds S [S ...]] [--layers N]

For CoOp, CoOp_ATP and CoOp_AnchorOPT of DEMO_DIR/runs, each trainer is rebuilt as its evaluation run was
(the `train.py` arguments in its log), its checkpoint loaded, and its test prompts for the base and the
novel classes encoded on the CPU in fp32. Each text block's per-head attention weights are captured by
a hook that re-runs the block's attention with `need_weights=True`; the row of the pooled (EOT) position
is summed over each segment (SOT, soft tokens, attribute soft tokens and words, anchor, class name, '.',
EOT) and averaged over heads, classes and seeds. Segments are found by matching the assembled prompts
against the tokens each is made of, so the layouts' own assembly is what gets measured.
"""
import argparse
import ast
import contextlib
import io
import os
import sys
import tempfile

import torch

import clip
import train
from dassl.engine import build_trainer
from results.logs import parse_arguments_banner

METHODS = ("CoOp", "CoOp_ATP", "CoOp_AnchorOPT")
SPLITS = {"base": "base", "new": "novel"}
SEGMENTS = ("SOT", "soft", "attribute soft", "attribute words", "anchor", "class name", ".", "EOT")


class AttentionRecorder:
    """Per-head attention weights [N, H, L, L] of every block of `transformer` during the encodings inside.

    A forward hook re-runs each block's attention on the same inputs with `need_weights=True`, so the
    model code stays untouched; the block's own output is left as it was.
    """

    def __init__(self, transformer):
        self.attentions = [block.attn for block in transformer.resblocks]
        self.weights = []
        self._handles = []
        self._rerunning = False

    def __enter__(self):
        self.weights = []
        self._handles = [attention.register_forward_hook(self._record, with_kwargs=True)
                         for attention in self.attentions]
        return self

    def __exit__(self, *exc_info):
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def _record(self, attention, args, kwargs, output):
        if self._rerunning:
            return
        self._rerunning = True
        try:
            _, weights = attention(*args, **{**kwargs, "need_weights": True, "average_attn_weights": False})
        finally:
            self._rerunning = False
        self.weights.append(weights.detach())


def token_rows(clip_model, text):
    """Embeddings [k, D] of the BPE tokens of `text` (no SOT/EOT)."""
    ids = clip.tokenize(text)[0]
    ids = ids[1:int(ids.argmax())]
    with torch.no_grad():
        return clip_model.token_embedding(ids.to(clip_model.token_embedding.weight.device)).to(clip_model.dtype)


def segment_sources(layout, clip_model):
    """[(segment, rows [k, D])] shared by every class, in matching order: learned tensors first."""
    width = clip_model.token_embedding.weight.shape[1]
    sources = []
    for name, tensor in layout.named_parameters():
        if tensor.shape[-1] == width:
            segment = "attribute soft" if name.startswith("ctx_att") else "soft"
            sources.append((segment, tensor.detach().to(clip_model.dtype).reshape(-1, width)))
    anchor = getattr(layout, "anchor", None)
    if anchor is not None:
        sources.append(("anchor", anchor.detach().to(clip_model.dtype)))
    with torch.no_grad():
        sot_eot = clip.tokenize("")[0, :2].to(clip_model.token_embedding.weight.device)
        sot, eot = clip_model.token_embedding(sot_eot).to(clip_model.dtype)
    sources += [("SOT", sot[None]), ("EOT", eot[None]), (".", token_rows(clip_model, "."))]
    words = getattr(layout, "attributes", [])
    if words:
        sources.append(("attribute words", torch.cat([token_rows(clip_model, word) for word in words])))
    return sources


def segment_labels(layout, clip_model, embeddings, pool_index):
    """Segment name of every position up to each class's pooled one: [[str]] per class.

    A position takes the first source whose tokens it equals exactly (the layouts copy tokens, and
    AnchorOPT's hard position matrix multiplies them by one-hot rows), the class name last.
    """
    sources = segment_sources(layout, clip_model)
    labels = []
    for class_index, name in enumerate(layout.classnames):
        class_sources = [*sources, ("class name", token_rows(clip_model, name))]
        row_labels = []
        for position in range(int(pool_index[class_index]) + 1):
            token = embeddings[class_index, position]
            segment = next((segment for segment, rows in class_sources if (rows == token).all(dim=-1).any()), None)
            if segment is None:
                raise ValueError(f"Position {position} of the prompt of class {name!r} matches none of the "
                                 f"segments {[segment for segment, _ in class_sources]}")
            row_labels.append(segment)
        labels.append(row_labels)
    return labels


def segment_masses(weights, labels, pool_index):
    """{segment: [C] attention mass of each class's pooled row, averaged over heads} of weights [C, H, L, L]."""
    rows = weights[torch.arange(weights.shape[0]), :, pool_index].mean(dim=1)
    masses = {}
    for segment in SEGMENTS:
        mask = torch.zeros_like(rows, dtype=torch.bool)
        for class_index, row_labels in enumerate(labels):
            mask[class_index, :len(row_labels)] = torch.tensor([label == segment for label in row_labels])
        if mask.any():
            masses[segment] = (rows * mask).sum(dim=-1)
    return masses


@torch.no_grad()
def prompt_attention(trainer):
    """(segments of the first class's prompt, [{segment: mean mass over classes}] per text block) of the
    trainer's current test prompts."""
    trainer.set_model_mode("eval")
    embeddings, pool_index = trainer.prompt_learner()
    labels = segment_labels(trainer.prompt_learner, trainer.clip_model, embeddings, pool_index)
    with AttentionRecorder(trainer.clip_model.transformer) as recorder:
        trainer.clip_model.encode_text_embeddings(embeddings, pool_index)
    masses = [{segment: float(mass.mean()) for segment, mass in segment_masses(weights, labels, pool_index).items()}
              for weights in recorder.weights]
    return labels[0], masses


def evaluation_args(log_path, split, output_dir):
    """`train.py` arguments of the evaluation run logged at `log_path`, on the `split` classes, CPU fp32,
    with every class encoded in full (a shared prefix would bypass the attention modules)."""
    with open(log_path, encoding="utf-8") as f:
        arguments = parse_arguments_banner(f.readlines())
    required = ("config_file", "dataset_config_file", "root", "trainer", "seed", "model_dir", "load_epoch", "opts")
    missing = [key for key in required if not arguments.get(key)]
    if missing:
        raise ValueError(f"{log_path} lacks {missing} in its train.py argument banner: rerun the demo")
    argv = [item for key in required[:-1] for item in (f"--{key.replace('_', '-')}", arguments[key])]
    opts = ast.literal_eval(arguments["opts"])
    return train.build_parser().parse_args([
        *argv, "--output-dir", output_dir, "--eval-only", *opts, "DATASET.SUBSAMPLE_CLASSES", split,
        "TRAINER.COOP.PREC", "fp32", "TRAINER.TEXT_ENCODER.SHARE_PREFIX", "False", "USE_CUDA", "False"])


def trained_trainer(log_path, split):
    """The trainer of that evaluation run on `split`, its checkpoint loaded (train.py's construction)."""
    with tempfile.TemporaryDirectory() as output_dir, contextlib.redirect_stdout(io.StringIO()):
        args = evaluation_args(log_path, split, output_dir)
        trainer = build_trainer(train.setup_cfg(args))
        trainer.load_model(args.model_dir, epoch=args.load_epoch)
    return trainer


def mean_over(runs):
    """Mean over runs of [{segment: mass}] per layer; a segment a run's prompt lacks has mass 0 there
    (AnchorOPT's argmax position matrix may leave the anchor out)."""
    segments = [s for s in SEGMENTS if any(s in layer for run in runs for layer in run)]
    return [{s: sum(run[layer].get(s, 0.0) for run in runs) / len(runs) for s in segments}
            for layer in range(len(runs[0]))]


def compact_layout(labels):
    """"SOT soft×2 anchor class name×3 ..." from one prompt's position labels."""
    groups = []
    for label in labels:
        if groups and groups[-1][0] == label:
            groups[-1][1] += 1
        else:
            groups.append([label, 1])
    return " ".join(label if count == 1 else f"{label}×{count}" for label, count in groups)


def demo_attention(demo_dir, seeds):
    """({(method, split): [{segment: mass}] per layer, averaged over `seeds`}, {(method, seed): layout})."""
    table, layouts = {}, {}
    for method in METHODS:
        for split in SPLITS:
            runs = []
            for seed in seeds:
                log_path = os.path.join(demo_dir, "runs", method, f"seed{seed}", "evaluation", "log.txt")
                if not os.path.isfile(log_path):
                    raise FileNotFoundError(f"Evaluation log not found: {log_path} — run "
                                            f"`bash scripts/demo.sh --output-dir {demo_dir} --seeds {seed}` first")
                labels, masses = prompt_attention(trained_trainer(log_path, split))
                layouts[method, seed] = compact_layout(labels)
                runs.append(masses)
            table[method, split] = mean_over(runs)
    return table, layouts


def markdown_table(table, last_layers):
    """One row per method, class split and text block (the last `last_layers`), one column per segment."""
    present = [s for s in SEGMENTS if any(s in layer for layers in table.values() for layer in layers)]
    lines = ["| prompt | classes | block | " + " | ".join(present) + " |", "|---" * (len(present) + 3) + "|"]
    for (method, split), layers in table.items():
        for index in range(max(0, len(layers) - last_layers), len(layers)):
            cells = [f"{layers[index][s]:.2f}" if s in layers[index] else "" for s in present]
            lines.append(f"| {method} | {SPLITS[split]} | {index + 1}/{len(layers)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("demo_dir", help="output folder of scripts/demo.sh (holds runs/ and tiny_clip.pt)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1], help="seed runs to average (default: 1)")
    parser.add_argument("--layers", type=int, default=2, help="how many of the last text blocks to show")
    args = parser.parse_args(argv)
    try:
        table, layouts = demo_attention(args.demo_dir, args.seeds)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    seeds = " ".join(map(str, args.seeds))
    print(f"Attention mass of the pooled token per prompt segment (mean over heads and classes; seeds {seeds})")
    print(markdown_table(table, args.layers))
    print("Test prompts (first class):")
    for (method, seed), layout in layouts.items():
        print(f"  {method} seed {seed}: {layout}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
