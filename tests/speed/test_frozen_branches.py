"""TRAINER.CACHE_FROZEN_TEXT_FEATURES: the AnchorOPT anchor branch encoded once per run equals encoding it per use."""
import pytest
import torch

from tests.plugins.test_anchoropt_support import write_original_anchor_file
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


def step_and_test(trainer):
    """Loss and gradients of one training step, then the test logits, from a fixed random state."""
    torch.manual_seed(0)
    batch = next(iter(trainer.train_loader_x))
    trainer.set_model_mode("train")
    images, labels = trainer.parse_batch_train(batch)
    loss, _ = trainer.compute_loss(images, labels)
    loss.backward()
    gradients = [p.grad.clone() for p in trainer.model.parameters() if p.grad is not None]
    outputs = []
    process = trainer.evaluator.process
    trainer.evaluator.process = lambda output, label: (outputs.append(output.clone()), process(output, label))
    trainer.test()
    return loss.detach(), gradients, torch.cat(outputs)


def test_anchor_branch_once_per_run_equals_per_use(small_dataset, tiny_vit_checkpoint, anchor_file,  # noqa: F811
                                                   tmp_path):
    cached, cached_calls = build(small_dataset, tiny_vit_checkpoint, anchor_file, tmp_path / "on", True)
    per_use, per_use_calls = build(small_dataset, tiny_vit_checkpoint, anchor_file, tmp_path / "off", False)
    loss, gradients, outputs = step_and_test(cached)
    loss_off, gradients_off, outputs_off = step_and_test(per_use)
    torch.testing.assert_close(loss_off, loss, rtol=0, atol=0)
    for gradient_off, gradient in zip(gradients_off, gradients):
        torch.testing.assert_close(gradient_off, gradient, rtol=0, atol=0)
    torch.testing.assert_close(outputs_off, outputs, rtol=0, atol=0)
    test_batches = len(per_use.test_loader)
    assert cached_calls == [] and len(per_use_calls) == 1 + test_batches
