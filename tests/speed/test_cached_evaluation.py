"""Evaluating from the feature cache gives the logits of evaluating from images, and fills the cache once."""
import os

import pytest
import torch

import train
from tests.trainers.train_runs import small_dataset  # noqa: F401  (fixture)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CONFIGS = {"CoOp": "CoOp/vit_b16.yaml", "ZeroshotCLIP": "CoOp/vit_b16.yaml",
           "CoCoOp": "CoCoOp/vit_b16_c4_ep10_batch1_ctxv1.yaml"}
TRAINERS = {"CoOp": ["TRAINER.COOP.N_CTX", "4"], "ZeroshotCLIP": [],
            "CoCoOp": ["TRAINER.COCOOP.N_CTX", "4"]}


def build(trainer, data, checkpoint, output_dir, cache_dir, *opts):
    argv = [
        "--no-train", "--root", data.root, "--seed", "1", "--trainer", trainer,
        "--dataset-config-file", data.config_file,
        "--config-file", os.path.join(REPO_ROOT, "configs", "trainers", CONFIGS[trainer]),
        "--output-dir", str(output_dir), "MODEL.BACKBONE.NAME", checkpoint, "INPUT.SIZE", "(32, 32)",
        "DATASET.NUM_SHOTS", "2", "DATALOADER.NUM_WORKERS", "0", "DATALOADER.TEST.BATCH_SIZE", "4",
        *TRAINERS[trainer], "TRAINER.FEATURE_CACHE.DIR", cache_dir, *opts,
    ]
    return train.main(train.build_parser().parse_args(argv))


def evaluation_outputs(trainer):
    outputs = []
    process = trainer.evaluator.process
    trainer.evaluator.process = lambda output, label: (outputs.append(output.clone()), process(output, label))
    trainer.test()
    return torch.cat(outputs)


@pytest.mark.parametrize("trainer_name", sorted(TRAINERS))
def test_cached_evaluation_equals_image_evaluation(trainer_name, small_dataset, tiny_vit_checkpoint,  # noqa: F811
                                                   tmp_path):
    cache_dir = str(tmp_path / "cache")
    reference = evaluation_outputs(build(trainer_name, small_dataset, tiny_vit_checkpoint, tmp_path / "plain", ""))
    trainer = build(trainer_name, small_dataset, tiny_vit_checkpoint, tmp_path / "cached", cache_dir)
    cold = evaluation_outputs(trainer)
    assert len(os.listdir(cache_dir)) == 1
    trainer.clip_model.encode_image = lambda *args, **kwargs: pytest.fail("a warm cache must not encode images")
    warm = evaluation_outputs(trainer)
    torch.testing.assert_close(cold, reference, rtol=1e-5, atol=1e-5)
    assert torch.equal(warm, cold)


def test_prompted_image_encoders_never_read_the_cache():
    from trainers.anchoropt_trainers import MaPLe_AnchorOPT
    from trainers.maple import MaPLe

    assert not MaPLe.frozen_image_encoder and not MaPLe_AnchorOPT.frozen_image_encoder


def test_text_features_once_per_evaluation_equals_once_per_batch(small_dataset, tiny_vit_checkpoint,  # noqa: F811
                                                                 tmp_path):
    once = build("CoOp", small_dataset, tiny_vit_checkpoint, tmp_path / "once", "")
    calls = []
    encode = once.text_encoder.__call__
    once.text_encoder = lambda *args, **kwargs: (calls.append(1), encode(*args, **kwargs))[1]
    per_batch = build("CoOp", small_dataset, tiny_vit_checkpoint, tmp_path / "per_batch", "",
                      "TRAINER.TEXT_FEATURES_ONCE_PER_EVAL", "False")
    torch.testing.assert_close(evaluation_outputs(once), evaluation_outputs(per_batch), rtol=1e-6, atol=1e-6)
    assert len(calls) == 1
