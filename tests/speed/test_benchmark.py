"""scripts/benchmark.py on a tiny CLIP: the AnchorOPT and stage-I rows build from the files it writes."""
import os
import sys

import pytest
import torch

from dassl.utils import load_checkpoint

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO_ROOT, "scripts"))
import benchmark  # noqa: E402

TINY = dict(embed_dim=32, vision_width=64, vision_layers=1, patch_size=16, image_resolution=32, text_width=64,
            text_layers=2)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return benchmark.Workspace(str(tmp_path_factory.mktemp("benchmark")), n_classes=2, test_per_class=1, shape=TINY)


def test_random_anchor_file_is_a_stage_one_checkpoint(workspace):
    anchor = load_checkpoint(workspace.anchor_file)["state_dict"]["anchor_ctx_1"]
    assert anchor.shape == (1, TINY["text_width"])


@pytest.mark.parametrize("name", ["CoOp_AnchorOPT", "CoOp_Pretrain_Anchor"])
def test_row_times_original_and_ours(workspace, name):
    row = benchmark.bench_trainer(workspace, name, torch.device("cpu"), batch_size=1, repeats=1, ours_opts=[])
    assert row["train_step_speedup"] > 0 and row["base_new_3_seeds_eval_speedup"] > 0
    assert row["base_new_3_seeds_eval_speedup_warm"] > 0
    assert 0 < row["activation_memory_ratio"] < 1  # EOT truncation alone keeps fewer positions
    assert row["peak_memory_ratio"] is None


def test_original_runs_switch_every_shortcut_off(workspace):
    trainer = benchmark.build_trainer(workspace, "CoOp_AnchorOPT", torch.device("cpu"), 1,
                                      [*benchmark.ORIGINAL_OPTS, *benchmark.precision_opts("fp16")])
    cfg = trainer.cfg.TRAINER
    assert not cfg.TEXT_ENCODER.TRUNCATE_AT_EOT and not cfg.TEXT_ENCODER.SHARE_PREFIX
    assert not cfg.TEXT_FEATURES_ONCE_PER_EVAL
    assert not cfg.CACHE_FROZEN_TEXT_FEATURES and cfg.FEATURE_CACHE.DIR == "" and cfg.COOP.PREC == "fp16"


def test_text_activation_count_shrinks_with_each_shortcut_and_scales_with_classes():
    ten, twenty = benchmark.saved_activation_gib(10), benchmark.saved_activation_gib(20)
    assert ten["full"] > 3 * ten["truncated"] > 3 * ten["shared"] > 0
    for variant in ("full", "truncated", "shared"):
        assert twenty[variant] > 1.5 * ten[variant]


def test_sweep_row_trains_the_first_method_cold_and_the_others_from_its_cache(workspace):
    sweep = benchmark.bench_sweep(workspace, ["CoOp", "DePT_ATP"], torch.device("cpu"), batch_size=2, epochs=2,
                                  ours_opts=[])
    assert [(row["cache"], row["steps"]) for row in sweep["trainers"].values()] == [("cold", 4), ("warm", 4)]  # 2 epochs x 4 views / batch 2
    assert sweep["cache_entries"] == 2  # one per epoch, shared by both methods
    assert 0 < sweep["mb_per_epoch"] < 0.01  # 4 views x 32 fp32 features and their labels
    assert sweep["ratio"] > 0 and sweep["warm_step_ratio"] > 0
    assert sweep["ratio"] == sweep["original_s"] / sweep["ours_s"]
    assert all(0 < row["ours_steps_s"] < row["ours_s"] for row in sweep["trainers"].values())
    benchmark.print_sweep(sweep)
    step = sweep["warm_step_alternating"]
    assert step["trainer"] == "DePT_ATP" and step["ratio"] == (step["original_s"] + step["loading_s"]) / step["warm_s"]
