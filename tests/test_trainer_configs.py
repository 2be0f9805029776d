"""configs/trainers/*.yaml and the method keys train.py declares hold the values of spec 4.2 and 4.3."""
import glob
import os

import pytest

import train

SGD_COSINE = {"NAME": "sgd", "LR_SCHEDULER": "cosine", "WARMUP_EPOCH": 1, "WARMUP_TYPE": "constant",
              "WARMUP_CONS_LR": 1e-5}
# file: (train batch, test batch, LR, MAX_EPOCH, PRINT_FREQ, backbone, {TRAINER key: value})
SPEC_4_3 = {
    "CoCoOp/vit_b16_c16_ep10_batch1": (1, 100, 0.002, 10, 20, "ViT-B/16",
                                       {"COCOOP.N_CTX": 16, "COCOOP.CTX_INIT": "", "COCOOP.PREC": "fp16"}),
    "CoCoOp/vit_b16_c4_ep10_batch1": (1, 100, 0.002, 10, 20, "ViT-B/16",
                                      {"COCOOP.N_CTX": 4, "COCOOP.CTX_INIT": "", "COCOOP.PREC": "fp16"}),
    "CoCoOp/vit_b16_c4_ep10_batch1_ctxv1": (1, 100, 0.002, 10, 100, "ViT-B/16",
                                            {"COCOOP.N_CTX": 4, "COCOOP.CTX_INIT": "a photo of a", "COCOOP.PREC": "fp16"}),
    "CoCoOp/vit_b16_c8_ep10_batch1": (1, 100, 0.002, 10, 20, "ViT-B/16",
                                      {"COCOOP.N_CTX": 8, "COCOOP.CTX_INIT": "", "COCOOP.PREC": "fp16"}),
    "CoOp/rn101": (32, 100, 0.002, 200, 5, "RN101", {}),
    "CoOp/rn101_ep50": (32, 100, 0.002, 50, 5, "RN101", {}),
    "CoOp/rn50": (32, 100, 0.002, 200, 5, "RN50", {}),
    "CoOp/rn50_ctxv1": (32, 100, 0.002, 200, 5, "RN50", {"COOP.CTX_INIT": "a photo of a"}),
    "CoOp/rn50_ep100": (32, 100, 0.002, 100, 5, "RN50", {}),
    "CoOp/rn50_ep50": (32, 100, 0.002, 50, 5, "RN50", {}),
    "CoOp/rn50_ep50_ctxv1": (32, 100, 0.002, 50, 5, "RN50", {"COOP.CTX_INIT": "a photo of a"}),
    "CoOp/vit_b16": (32, 100, 0.002, 200, 20, "ViT-B/16", {}),
    "CoOp/vit_b16_ep100": (32, 100, 0.002, 100, 5, "ViT-B/16", {}),
    "CoOp/vit_b16_ep50": (32, 100, 0.002, 50, 5, "ViT-B/16", {}),
    "CoOp/vit_b32": (32, 100, 0.002, 200, 5, "ViT-B/32", {}),
    "CoOp/vit_b32_ep50": (32, 100, 0.002, 50, 5, "ViT-B/32", {}),
    "DePT/vit_b16_ep10_bs4_lr35": (4, 100, 0.0035, 10, 20, "ViT-B/16", {}),
    "DePT/vit_b16_ep20_bs4_lr35": (4, 100, 0.0035, 20, 20, "ViT-B/16", {}),
    "MaPLe/vit_b16_c2_ep5_batch4_2ctx": (4, 200, 0.0035, 5, 40, "ViT-B/16", {
        "MAPLE.N_CTX": 2, "MAPLE.CTX_INIT": "a photo of a", "MAPLE.PREC": "fp16", "MAPLE.PROMPT_DEPTH": 9}),
    "MaPLe/vit_b16_c2_ep5_batch4_2ctx_cross_datasets": (4, 100, 0.0026, 5, 20, "ViT-B/16", {
        "MAPLE.N_CTX": 2, "MAPLE.CTX_INIT": "a photo of a", "MAPLE.PREC": "fp16", "MAPLE.PROMPT_DEPTH": 3}),
    # PromptSRC's base-to-novel config (its repository, not spec 4.3).
    "PromptSRC/vit_b16_c2_ep20_batch4_4+4ctx": (4, 100, 0.0025, 20, 20, "ViT-B/16", {
        "PROMPTSRC.N_CTX_VISION": 4, "PROMPTSRC.N_CTX_TEXT": 4, "PROMPTSRC.CTX_INIT": "a photo of a",
        "PROMPTSRC.PREC": "fp16", "PROMPTSRC.PROMPT_DEPTH_VISION": 9, "PROMPTSRC.PROMPT_DEPTH_TEXT": 9,
        "PROMPTSRC.TEXT_LOSS_WEIGHT": 25, "PROMPTSRC.IMAGE_LOSS_WEIGHT": 10, "PROMPTSRC.GPA_MEAN": 15,
        "PROMPTSRC.GPA_STD": 1}),
    "PromptSRC/vit_b16_c2_ep20_batch4_4+4ctx_cross_datasets": (4, 100, 0.0025, 20, 20, "ViT-B/16", {
        "PROMPTSRC.N_CTX_VISION": 4, "PROMPTSRC.N_CTX_TEXT": 4, "PROMPTSRC.PROMPT_DEPTH_VISION": 3,
        "PROMPTSRC.PROMPT_DEPTH_TEXT": 3, "PROMPTSRC.GPA_MEAN": 6, "PROMPTSRC.GPA_STD": 10}),
}
# KgCoOp's two upstream recipes (htyao89/KgCoOp); upstream's CTX_INIT True = "a photo of a", W from its scripts.
KGCOOP_RECIPE = {"COOP.CTX_INIT": "a photo of a", "COOP.W": 8.0}
SPEC_4_3.update({
    "KgCoOp/rn50_ep100": (128, 100, 0.002, 100, 5, "RN50", KGCOOP_RECIPE),
    "KgCoOp/vit_b16_ep100_ctxv1": (128, 100, 0.002, 100, 5, "ViT-B/16", KGCOOP_RECIPE),
})
# The original CoOp's ctxv1 twins: their plain twin plus CTX_INIT "a photo of a" (print freq of the original, 5).
ORIGINAL_CTXV1 = {"CoOp/vit_b16_ctxv1": 200, "CoOp/vit_b16_ep50_ctxv1": 50, "CoOp/vit_b16_ep100_ctxv1": 100}


def merged(name):
    return train.setup_cfg(train.build_parser().parse_args(["--config-file", f"configs/trainers/{name}.yaml"]))


def lookup(node, dotted):
    for part in dotted.split("."):
        node = node[part]
    return node


def test_every_config_file_is_specified():
    names = {os.path.splitext(path)[0].split("configs/trainers/")[1] for path in glob.glob("configs/trainers/*/*.yaml")}
    assert names == set(SPEC_4_3) | set(ORIGINAL_CTXV1) | {"CoOp/rn50_val"}


@pytest.mark.parametrize("name", sorted(SPEC_4_3))
def test_config_file_values(name):
    train_batch, test_batch, lr, max_epoch, print_freq, backbone, trainer_keys = SPEC_4_3[name]
    cfg = merged(name)
    assert (cfg.DATALOADER.TRAIN_X.BATCH_SIZE, cfg.DATALOADER.TEST.BATCH_SIZE) == (train_batch, test_batch)
    assert (cfg.OPTIM.LR, cfg.OPTIM.MAX_EPOCH, cfg.TRAIN.PRINT_FREQ) == (lr, max_epoch, print_freq)
    assert cfg.MODEL.BACKBONE.NAME == backbone
    assert {key: cfg.OPTIM[key] for key in SGD_COSINE} == SGD_COSINE
    assert {key: lookup(cfg.TRAINER, key) for key in trainer_keys} == trainer_keys


@pytest.mark.parametrize("name, max_epoch", sorted(ORIGINAL_CTXV1.items()))
def test_original_ctxv1_configs(name, max_epoch):
    cfg = merged(name)
    assert (cfg.OPTIM.MAX_EPOCH, cfg.TRAINER.COOP.CTX_INIT, cfg.MODEL.BACKBONE.NAME) == (max_epoch, "a photo of a",
                                                                                         "ViT-B/16")


def test_rn50_val_keeps_the_dassl_optimiser_defaults():
    cfg = merged("CoOp/rn50_val")
    assert (cfg.DATALOADER.TRAIN_X.BATCH_SIZE, cfg.DATALOADER.TEST.BATCH_SIZE) == (200, 200)
    assert (cfg.OPTIM.NAME, cfg.OPTIM.LR, cfg.OPTIM.MAX_EPOCH) == ("adam", 0.0003, 10)


@pytest.mark.parametrize("name", sorted(glob.glob("configs/trainers/*/*.yaml")))
def test_common_input_settings(name):
    cfg = train.setup_cfg(train.build_parser().parse_args(["--config-file", name]))
    assert cfg.INPUT.SIZE == (224, 224) and cfg.INPUT.INTERPOLATION == "bicubic"
    assert cfg.INPUT.PIXEL_MEAN == [0.48145466, 0.4578275, 0.40821073]
    assert cfg.INPUT.PIXEL_STD == [0.26862954, 0.26130258, 0.27577711]
    assert list(cfg.INPUT.TRANSFORMS) == ["random_resized_crop", "random_flip", "normalize"]
    assert cfg.DATALOADER.NUM_WORKERS == 8


SPEC_4_2 = {
    "TRAINER.COOP.N_CTX": 16, "TRAINER.COOP.CSC": False, "TRAINER.COOP.CTX_INIT": "", "TRAINER.COOP.PREC": "fp16",
    "TRAINER.COOP.CLASS_TOKEN_POSITION": "end", "TRAINER.COOP.W": 2.0,
    "TRAINER.COCOOP.N_CTX": 16, "TRAINER.COCOOP.CTX_INIT": "", "TRAINER.COCOOP.PREC": "fp16",
    "TRAINER.MAPLE.N_CTX": 2, "TRAINER.MAPLE.CTX_INIT": "a photo of a", "TRAINER.MAPLE.PREC": "fp16",
    "TRAINER.MAPLE.PROMPT_DEPTH": 9, "DATASET.SUBSAMPLE_CLASSES": "all",
    "TRAINER.PROMPTSRC.N_CTX_VISION": 4, "TRAINER.PROMPTSRC.N_CTX_TEXT": 4, "TRAINER.PROMPTSRC.CTX_INIT": "",
    "TRAINER.PROMPTSRC.PREC": "fp16", "TRAINER.PROMPTSRC.PROMPT_DEPTH_VISION": 9,
    "TRAINER.PROMPTSRC.PROMPT_DEPTH_TEXT": 9, "TRAINER.PROMPTSRC.TEXT_LOSS_WEIGHT": 25,
    "TRAINER.PROMPTSRC.IMAGE_LOSS_WEIGHT": 10, "TRAINER.PROMPTSRC.GPA_MEAN": 15, "TRAINER.PROMPTSRC.GPA_STD": 1,
    "TRAINER.ATPROMPT.USE_ATPROMPT": False, "TRAINER.ATPROMPT.N_ATT1": 4, "TRAINER.ATPROMPT.N_ATT2": 4,
    "TRAINER.ATPROMPT.N_ATT3": 4, "TRAINER.ATPROMPT.ATT_NUM": 0, "TRAINER.ATPROMPT.ATT1_TEXT": "none",
    "TRAINER.ATPROMPT.ATT2_TEXT": "none", "TRAINER.ATPROMPT.ATT3_TEXT": "none",
    "TRAINER.ANCHOROPT.USE_ANCHOROPT": False, "TRAINER.ANCHOROPT.N_CTX": 4, "TRAINER.ANCHOROPT.ANCHOR_LEN": 1,
    "TRAINER.ANCHOROPT.GUMBEL_TEMP": 1.0, "TRAINER.ANCHOROPT.KD_TEMPERATURE": 1.0,
    "TRAINER.ANCHOROPT.ANCHOR_MSE_WEIGHT": 10.0, "TRAINER.ANCHOROPT.PROMPT_CE_WEIGHT": 1.0,
    "TRAINER.ANCHOROPT.KD_WEIGHT": 1.0, "TRAINER.ANCHOROPT.MAX_TEMPLATE_LENGTH": 10,
    "TRAINER.IVLP.N_CTX_VISION": 2, "TRAINER.IVLP.N_CTX_TEXT": 2, "TRAINER.IVLP.CTX_INIT": "a photo of a",
    "TRAINER.IVLP.PREC": "fp16", "TRAINER.IVLP.PROMPT_DEPTH_VISION": 9, "TRAINER.IVLP.PROMPT_DEPTH_TEXT": 9,
    "TRAINER.IVLP.IMG_WEIGHT": 0.5,
    "TRAINER.LINEAR_PROBE.TYPE": "linear", "TRAINER.LINEAR_PROBE.WEIGHT": 0.7,
    "TRAINER.LINEAR_PROBE.TEST_TIME_FUSION": True, "TRAINER.FILM.LINEAR_PROBE": True,
    "TRAINER.NAMES_TO_UPDATE": ["prompt_learner", "linear_probe", "film"],
    "OPTIM.STAGED_LR": False, "OPTIM.NEW_LAYERS": (), "OPTIM.BASE_LR_MULT": 0.1, "OPTIM.LR_EXP": 6.5,
}


def test_declared_keys_have_the_spec_defaults():
    cfg = train.setup_cfg(train.build_parser().parse_args([]))
    actual = {key: lookup(cfg, key) for key in SPEC_4_2}
    assert actual == SPEC_4_2
    assert all(type(actual[key]) is type(value) for key, value in SPEC_4_2.items())
