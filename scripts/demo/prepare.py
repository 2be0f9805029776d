"""Prepare the demo: write the procedural world dataset and pretrain the tiny CLIP on it.

    python -m scripts.demo.prepare --output-dir output/demo [--seed 1]

Writes ``<dir>/procedural_world/`` (the dataset, its split file and stage-I descriptions),
``<dir>/tiny_clip.pt`` (an OpenAI-format state dict for ``MODEL.BACKBONE.NAME``) and
``<dir>/tiny_clip.json`` (its zero-shot accuracy on base and novel classes). Finished steps are
skipped, so re-running is cheap.
"""
import argparse
import json
import os
import time

import torch

from dassl.utils import read_json, write_json

from .dataset_writer import DatasetSize, write_dataset
from .pretrain import PretrainSettings, TinyClipSize, pretrain, render_images, save_state_dict, zero_shot_accuracy
from .world import base_and_novel, world_classes

CLIP_FILE = "tiny_clip.pt"
CLIP_REPORT_FILE = "tiny_clip.json"


def pretrain_tiny_clip(output_dir, seed, size, settings, dataset_size):
    """Pretrain on images of every combination, naming novel ones only partly (see `pretrain`), then
    score zero-shot on the test images of both halves."""
    classes = world_classes()
    base, novel = base_and_novel(classes)
    images, positions = render_images(classes, settings.images_per_class, seed, "pretrain", dataset_size.image_size)
    model = size.build(seed)
    started = time.time()
    losses = pretrain(model, classes, images, positions, settings, seed, log_every=100, unnamed=set(novel))
    seconds = time.time() - started
    accuracy = {}
    for split, classes in (("base", base), ("novel", novel)):
        test_images, test_positions = render_images(classes, dataset_size.test, seed, "test", dataset_size.image_size)
        accuracy[split] = zero_shot_accuracy(model, classes, test_images, test_positions)
    save_state_dict(model, os.path.join(output_dir, CLIP_FILE))
    report = {
        "seed": seed,
        "zero_shot_accuracy": accuracy,
        "chance_accuracy": 100.0 / len(base),
        "first_loss": losses[0],
        "final_loss": sum(losses[-20:]) / len(losses[-20:]),
        "pretrain_seconds": round(seconds, 1),
    }
    write_json(report, os.path.join(output_dir, CLIP_REPORT_FILE))
    return report


def prepare(output_dir, seed, size=TinyClipSize(), settings=PretrainSettings(), dataset_size=DatasetSize()):
    """Both steps, each skipped when its output is already there; returns the tiny CLIP report."""
    write_dataset(output_dir, seed, dataset_size)
    report_path = os.path.join(output_dir, CLIP_REPORT_FILE)
    if os.path.exists(report_path) and os.path.exists(os.path.join(output_dir, CLIP_FILE)):
        report = read_json(report_path)
        if report["seed"] != seed:
            raise FileExistsError(f"{report_path} was made with seed {report['seed']}, not {seed}; "
                                  "use another output directory")
        return report
    return pretrain_tiny_clip(output_dir, seed, size, settings, dataset_size)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output-dir", default="output/demo", help="where the dataset and the tiny CLIP go")
    parser.add_argument("--seed", type=int, default=1, help="seed of the world, the images and the pretraining")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads for pretraining (the model is too small to gain much from more, "
                             "and on a busy machine extra threads contend badly)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    report = prepare(args.output_dir, args.seed)
    accuracy = report["zero_shot_accuracy"]
    print(json.dumps(report, indent=2))
    print(f"Tiny CLIP zero-shot accuracy: base {accuracy['base']:.1f}%, novel {accuracy['novel']:.1f}% "
          f"(chance {report['chance_accuracy']:.1f}%)")


if __name__ == "__main__":
    main()
