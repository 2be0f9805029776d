"""Evaluating from the feature cache gives the logits of evaluating from images, and fills the cache once."""
import os

import pytest
import torch

import train
from dassl.engine import TRAINER_REGISTRY
from tests.trainers.train_runs import small_dataset  # noqa: F401  (fixture)
from trainers.coop import CoOp
from trainers.parts.cached_test_features import CachedTestFeatures

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

if "CachedFeaturesCoOp" not in TRAINER_REGISTRY:

    @TRAINER_REGISTRY.register()
    class CachedFeaturesCoOp(CachedTestFeatures, CoOp):
        """CoOp with the cache mixin, as every frozen-image trainer is wired."""

        def encode_images(self, images):
            return images if self.serving_cached_features else super().encode_images(images)


def build(data, checkpoint, output_dir, cache_dir):
    argv = [
        "--no-train", "--root", data.root, "--seed", "1", "--trainer", "CachedFeaturesCoOp",
        "--dataset-config-file", data.config_file,
        "--config-file", os.path.join(REPO_ROOT, "configs", "trainers", "CoOp", "vit_b16.yaml"),
        "--output-dir", str(output_dir), "MODEL.BACKBONE.NAME", checkpoint, "INPUT.SIZE", "(32, 32)",
        "DATASET.NUM_SHOTS", "2", "DATALOADER.NUM_WORKERS", "0", "DATALOADER.TEST.BATCH_SIZE", "4",
        "TRAINER.COOP.N_CTX", "4", "TRAINER.FEATURE_CACHE.DIR", cache_dir,
    ]
    return train.main(train.build_parser().parse_args(argv))


def evaluation_outputs(trainer):
    outputs = []
    process = trainer.evaluator.process
    trainer.evaluator.process = lambda output, label: (outputs.append(output.clone()), process(output, label))
    trainer.test()
    return torch.cat(outputs)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_cached_evaluation_equals_image_evaluation(small_dataset, tiny_vit_checkpoint, tmp_path):  # noqa: F811
    cache_dir = str(tmp_path / "cache")
    reference = evaluation_outputs(build(small_dataset, tiny_vit_checkpoint, tmp_path / "plain", ""))
    trainer = build(small_dataset, tiny_vit_checkpoint, tmp_path / "cached", cache_dir)
    cold = evaluation_outputs(trainer)
    assert len(os.listdir(cache_dir)) == 1
    trainer.clip_model.encode_image = lambda *args, **kwargs: pytest.fail("a warm cache must not encode images")
    warm = evaluation_outputs(trainer)
    torch.testing.assert_close(cold, reference, rtol=1e-5, atol=1e-5)
    assert torch.equal(warm, cold)
