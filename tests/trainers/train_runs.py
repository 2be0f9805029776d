"""Runs `train.py` in-process on a tiny CLIP and a small synthetic dataset (shared by the trainer tests)."""
import os
import re

import pytest

import train
from tests.fixtures.dataset_fixtures import make_synthetic_dataset

# Method config of each trainer and the overrides a 2-layer tiny CLIP needs.
RECIPES = {
    "ZeroshotCLIP": ("configs/trainers/CoOp/vit_b16.yaml", []),
    "ZeroshotCLIP2": ("configs/trainers/CoOp/vit_b16.yaml", []),
    "CoOp": ("configs/trainers/CoOp/vit_b16.yaml", ["TRAINER.COOP.N_CTX", "4"]),
    "CoCoOp": ("configs/trainers/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1.yaml", []),
    "MaPLe": ("configs/trainers/MaPLe/vit_b16_c2_ep5_batch4_2ctx.yaml", ["TRAINER.MAPLE.PROMPT_DEPTH", "2"]),
    "DePT": ("configs/trainers/DePT/vit_b16_ep10_bs4_lr35.yaml", ["TRAINER.COOP.N_CTX", "4"]),
    "KgCoOp": ("configs/trainers/KgCoOp/vit_b16_ep100_ctxv1.yaml", []),
}
# The ATPrompt trainers with the spec's worked example (§1.1): A_k = N = 2; Caltech101's words are shape, size.
ATPROMPT_OPTS = ["TRAINER.ATPROMPT.USE_ATPROMPT", "True", "TRAINER.ATPROMPT.N_ATT1", "2",
                 "TRAINER.ATPROMPT.N_ATT2", "2", "TRAINER.ATPROMPT.N_ATT3", "2"]


def atprompt_recipe(baseline, section):
    config_file, opts = RECIPES[baseline]
    return config_file, [*opts, f"TRAINER.{section}.N_CTX", "2", *ATPROMPT_OPTS]


PROMPTSRC_CONFIG = "configs/trainers/PromptSRC/vit_b16_c2_ep20_batch4_4+4ctx.yaml"
PROMPTSRC_TINY = ["TRAINER.PROMPTSRC.PROMPT_DEPTH_VISION", "2", "TRAINER.PROMPTSRC.PROMPT_DEPTH_TEXT", "2",
                  "TRAINER.PROMPTSRC.N_CTX_VISION", "3", "TRAINER.PROMPTSRC.N_CTX_TEXT", "2"]
RECIPES["PromptSRC"] = (PROMPTSRC_CONFIG, PROMPTSRC_TINY)
RECIPES.update({
    "PromptSRC_ATP": (PROMPTSRC_CONFIG, [*PROMPTSRC_TINY, *ATPROMPT_OPTS]),
    "PromptSRC_AnchorOPT": (PROMPTSRC_CONFIG, [*PROMPTSRC_TINY, "TRAINER.ANCHOROPT.N_CTX", "2"]),
    "CoOp_ATP": atprompt_recipe("CoOp", "COOP"),
    "CoCoOp_ATP": atprompt_recipe("CoCoOp", "COCOOP"),
    "MaPLe_ATP": atprompt_recipe("MaPLe", "MAPLE"),
    "DePT_ATP": atprompt_recipe("DePT", "COOP"),
    "KgCoOp_ATP": atprompt_recipe("KgCoOp", "COOP"),
    "KgCoOp_AnchorOPT": ("configs/trainers/KgCoOp/vit_b16_ep100_ctxv1.yaml", ["TRAINER.ANCHOROPT.N_CTX", "2"]),
    "CoOp_AnchorOPT": ("configs/trainers/CoOp/vit_b16.yaml", []),  # its N_CTX and anchor are TRAINER.ANCHOROPT's
})
TINY_OPTS = [
    "DATASET.NUM_SHOTS", "2",
    "INPUT.SIZE", "(32, 32)",
    "DATALOADER.NUM_WORKERS", "0",
    "DATALOADER.TRAIN_X.BATCH_SIZE", "4",
    "DATALOADER.TEST.BATCH_SIZE", "4",
    "OPTIM.MAX_EPOCH", "1",
]
ACCURACY_LINE = re.compile(r"^\* accuracy: ([0-9.]+)%$", re.MULTILINE)


def run_train(data, clip_checkpoint, trainer, output_dir, flags=(), opts=()):
    """`train.py` with the trainer's recipe; returns the trainer object."""
    config_file, recipe_opts = RECIPES[trainer]
    argv = [
        "--root", data.root, "--seed", "1", "--trainer", trainer,
        "--dataset-config-file", data.config_file, "--config-file", config_file,
        "--output-dir", str(output_dir), *flags,
        *TINY_OPTS, "MODEL.BACKBONE.NAME", clip_checkpoint, *recipe_opts, *opts,
    ]
    return train.main(train.build_parser().parse_args(argv))


def logged_accuracies(output_dir):
    with open(os.path.join(output_dir, "log.txt")) as f:
        return [float(value) for value in ACCURACY_LINE.findall(f.read())]


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory):
    """4 classes (2 base + 2 new), 2 shots drawn per class, 3 test images per class."""
    return make_synthetic_dataset(tmp_path_factory.mktemp("data"), "Caltech101", n_classes=4, test_per_class=3)
