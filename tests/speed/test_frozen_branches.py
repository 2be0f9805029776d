"""TRAINER.CACHE_FROZEN_TEXT_FEATURES: the AnchorOPT anchor branch encoded once per run equals encoding it per use."""
import pytest
import torch

from tests.plugins.test_anchoropt_support import write_original_anchor_file
from tests.speed.trainer_probe import step_and_test
from tests.trainers.test_anchor_pipeline import run
from tests.trainers.train_runs import small_dataset  # noqa: F401  (fixture)


@pytest.fixture(scope="module")
def anchor_file(tmp_path_factory):
    return write_original_anchor_file(str(tmp_path_factory.mktemp("anchor") / "model.pth.tar"), torch.randn(1, 64))


def build(data, checkpoint, anchor_file, output_dir, cache_frozen):
    """CoOp_AnchorOPT on all classes: the KD loss and the ensemble test logits both use the anchor branch."""
    keys = ["TRAINER.ANCHOROPT.ANCHOR_PATH", anchor_file, "TRAINER.CACHE_FROZEN_TEXT_FEATURES", str(cache_frozen)]
    trainer = run("CoOp_AnchorOPT", "CoOp/vit_b16", data, checkpoint, output_dir, "all", keys, no_train=True)
    calls = []
    encode = trainer.anchor_prompt.text_features
    trainer.anchor_prompt.text_features = lambda *args: (calls.append(1), encode(*args))[1]
    return trainer, calls


def test_anchor_branch_once_per_run_equals_per_use(small_dataset, tiny_vit_checkpoint, anchor_file,  # noqa: F811
                                                   tmp_path):
    cached, cached_calls = build(small_dataset, tiny_vit_checkpoint, anchor_file, tmp_path / "on", True)
    per_use, per_use_calls = build(small_dataset, tiny_vit_checkpoint, anchor_file, tmp_path / "off", False)
    loss, gradients, outputs = step_and_test(cached)
    loss_off, gradients_off, outputs_off = step_and_test(per_use)
    torch.testing.assert_close(loss_off, loss, rtol=0, atol=0)
    assert gradients and sorted(gradients_off) == sorted(gradients)
    for name, gradient in gradients.items():
        torch.testing.assert_close(gradients_off[name], gradient, rtol=0, atol=0)
    torch.testing.assert_close(outputs_off, outputs, rtol=0, atol=0)
    test_batches = len(per_use.test_loader)
    assert cached_calls == [] and len(per_use_calls) == 1 + test_batches
