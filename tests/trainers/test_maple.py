"""MaPLe: coupled deep prompts reach both towers."""
import pytest
import torch
from yacs.config import CfgNode

from trainers.maple import add_coupling, maple_context
from trainers.parts.prompt_layout import ContextSpec, build_prompt_layout


def training_batch(trainer):
    batch = next(iter(trainer.train_loader_x))
    return trainer.parse_batch_train(batch)


def test_loss_gradients_reach_text_and_vision_prompt_paths(build_trainer_only):
    trainer = build_trainer_only("MaPLe")
    learner = trainer.prompt_learner
    loss, _ = trainer.compute_loss(*training_batch(trainer))
    loss.backward()
    for tensor in (learner.ctx, learner.proj.weight, learner.compound_prompts_text[0],
                   learner.compound_prompt_projections[0].weight):
        assert tensor.grad is not None and tensor.grad.abs().sum() > 0
    learner.zero_grad()


def test_deep_text_prompt_changes_text_and_image_features(build_trainer_only):
    trainer = build_trainer_only("MaPLe")
    images = training_batch(trainer)[0]
    with torch.no_grad():
        text_before, image_before = trainer.class_text_features(), trainer.encode_images(images)
        trainer.prompt_learner.compound_prompts_text[0].add_(1.0)
        text_after, image_after = trainer.class_text_features(), trainer.encode_images(images)
        trainer.prompt_learner.compound_prompts_text[0].sub_(1.0)
    assert not torch.allclose(text_before, text_after)
    assert not torch.allclose(image_before, image_after)


def test_deep_projections_start_identical_and_prompts_do_not(build_trainer_only):
    trainer = build_trainer_only("MaPLe")
    layout = build_prompt_layout(trainer.cfg, ["flower"], trainer.clip_model, ContextSpec(2))
    add_coupling(layout, trainer.clip_model, depth=4, proj_dtype=torch.float32)
    first, *others = layout.compound_prompt_projections
    assert len(others) == 2
    for other in others:
        torch.testing.assert_close(other.weight, first.weight)
        assert other.weight is not first.weight
    assert not torch.allclose(layout.compound_prompts_text[0], layout.compound_prompts_text[1])


def test_prompt_depth_beyond_the_backbone_is_rejected(build_trainer_only):
    with pytest.raises(ValueError, match="PROMPT_DEPTH must be in 1..2"):
        build_trainer_only("MaPLe", "TRAINER.MAPLE.PROMPT_DEPTH", "3")


def test_context_init_words_keep_their_order_and_lose_underscores():
    maple_cfg = CfgNode({"N_CTX": 2, "CTX_INIT": "a_photo_of_a"})
    assert maple_context(maple_cfg) == ContextSpec(2, "a photo of a")
    assert maple_context(CfgNode({"N_CTX": 5, "CTX_INIT": "a photo of a"})) == ContextSpec(5)
