"""AnchorOPT run settings: dry-run commands carry spec §2.5/§3.7's per-dataset values; anchors follow §4.4."""
import os

import pytest

from tests.plugins.test_anchoropt_support import anchoropt_cfg
from tests.plugins.test_atprompt_run_settings import dry_run
from trainers.plugins.anchoropt_config import resolve_anchor_path

STAGE_TWO = "TRAINER.ANCHOROPT."


@pytest.mark.parametrize("script, dataset, expected", [
    ("coop/anchoropt_base2new_train.sh", "imagenet", dict(N_CTX="6", PROMPT_CE_WEIGHT="100.0", KD_WEIGHT="1000.0",
                                                          KD_TEMPERATURE="1.0", epochs="20")),
    ("coop/anchoropt_base2new_train.sh", "eurosat", dict(N_CTX="4", PROMPT_CE_WEIGHT="1.0", KD_WEIGHT="0.0",
                                                         KD_TEMPERATURE="1.0", epochs="100")),
    ("cocoop/anchoropt_base2new_train.sh", "sun397", dict(N_CTX="8", PROMPT_CE_WEIGHT="10.0", KD_WEIGHT="1000.0",
                                                          KD_TEMPERATURE="2.0", epochs="10")),
    ("maple/anchoropt_base2new_train.sh", "stanford_cars", dict(N_CTX="4", PROMPT_CE_WEIGHT="10.0", KD_WEIGHT="0.0",
                                                                KD_TEMPERATURE="0.0", epochs="20")),
    ("dept/anchoropt_base2new_train.sh", "oxford_flowers", dict(N_CTX="8", PROMPT_CE_WEIGHT="10.0", epochs="10")),
])
def test_stage_two_commands_use_the_per_dataset_table(script, dataset, expected):
    flags, overrides = dry_run(script, dataset, "1")
    expected = dict(expected)
    assert overrides.pop("OPTIM.MAX_EPOCH") == expected.pop("epochs")
    assert {key: overrides[STAGE_TWO + key] for key in expected} == expected
    assert overrides[STAGE_TWO + "ANCHOR_LEN"] == "1" and overrides[STAGE_TWO + "GUMBEL_TEMP"] == "1.0"
    assert overrides["DATASET.SUBSAMPLE_CLASSES"] == "base" and overrides["DATASET.NUM_SHOTS"] == "16"
    assert flags["--output-dir"].endswith("/seed1") and f"CTX_{expected['N_CTX']}_ACTX_1_" in flags["--output-dir"]


def test_dept_weight_and_novel_evaluation_reload_the_trained_epoch():
    flags, overrides = dry_run("dept/anchoropt_base2new_test.sh", "eurosat", "2")
    assert overrides["TRAINER.LINEAR_PROBE.WEIGHT"] == "0.9" and overrides["DATASET.SUBSAMPLE_CLASSES"] == "new"
    assert flags["--load-epoch"] == "20" and flags["--output-dir"] == os.path.join(flags["--model-dir"], "evaluation")


@pytest.mark.parametrize("dataset, epochs, weight, templates", [
    ("imagenet", "10", "1000.0", "5"), ("stanford_cars", "40", "100.0", "10"), ("food101", "20", "1000.0", "10"),
])
def test_stage_one_commands_use_the_per_dataset_table(dataset, epochs, weight, templates):
    flags, overrides = dry_run("anchoropt/anchor_pretrain.sh", dataset, "4")
    assert overrides["OPTIM.MAX_EPOCH"] == epochs and overrides["DATASET.SUBSAMPLE_CLASSES"] == "base"
    assert overrides[STAGE_TWO + "ANCHOR_MSE_WEIGHT"] == weight
    assert overrides[STAGE_TWO + "MAX_TEMPLATE_LENGTH"] == templates
    assert flags["--output-dir"].endswith(f"CoOp_Pretrain_Anchor/vit_b16_16shots/ACTX_1_EPO_{epochs}_MSE_{weight}/seed4")


def test_cross_dataset_targets_evaluate_all_classes_with_the_xd_settings():
    flags, overrides = dry_run("coop/anchoropt_xd_test.sh", "imagenet_a", "3")
    assert overrides["DATASET.SUBSAMPLE_CLASSES"] == "all" and flags["--dataset-config-file"].endswith("imagenet_a.yaml")
    assert [overrides[STAGE_TWO + key] for key in ("N_CTX", "PROMPT_CE_WEIGHT", "KD_WEIGHT")] == ["4", "1.0", "1.0"]
    assert flags["--load-epoch"] == "20"


@pytest.mark.parametrize("name, subsample, xd_anchor, folder", [
    ("DescribableTextures", "base", "source", "DTD"),
    ("OxfordFlowers", "new", "source", "OxfordFlowers"),
    ("Caltech101", "all", "source", "ImageNet"),
    ("Caltech101", "all", "target_upstream", "Caltech101"),
    ("ImageNetSketch", "all", "target_upstream", "ImageNet"),
    ("ImageNetV2", "all", "source", "ImageNet"),
])
def test_default_anchor_follows_the_dataset_and_the_xd_anchor_flag(name, subsample, xd_anchor, folder):
    cfg = anchoropt_cfg("unused", "", XD_ANCHOR=xd_anchor)
    cfg.DATASET.NAME, cfg.DATASET.SUBSAMPLE_CLASSES = name, subsample
    assert resolve_anchor_path(cfg) == os.path.join("anchor_weights", folder, "anchor_prompt_learner", "model.pth.tar")
