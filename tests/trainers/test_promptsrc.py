"""PromptSRC and its ATPrompt / AnchorOPT variants against a hand computation of the method on a tiny CLIP.

The reference rebuilds everything from CLIP's raw parts: the input rows from the embedding table,
both towers block by block with the IVLP prompts written by hand, the frozen 60-template text target,
and the loss CE + KL(frozen || prompted) + 25·L1(text) + 10·L1(image). AnchorOPT's own loss and anchor
text features are taken from the plug-in (tested in tests/plugins).
"""
import numpy as np
import pytest
import torch
from torch.nn import functional as F

import clip
from dassl.config import ConfigError
from dassl.utils import load_checkpoint
from tests.plugins.test_anchoropt_support import write_original_anchor_file
from tests.trainers.test_atprompt_reference import (CLASS_SOFT, hand_image_features, hand_sequences,
                                                    hand_text_features, run_block, unit)
from trainers.parts.prompt_aggregation import GaussianPromptAggregate, gaussian_epoch_weights
from trainers.parts.templates import IMAGENET_TEMPLATES, PROMPTSRC_TEMPLATES
from trainers.plugins.anchoropt_losses import anchoropt_loss, sample_position_matrix

from .train_runs import run_train

TRAINERS = ("PromptSRC", "PromptSRC_ATP", "PromptSRC_AnchorOPT")
N_CTX = 2
LEARNED_OWNED = {"image_encoder.VPT", "image_encoder.transformer.resblocks.1.VPT_shallow",
                 "text_encoder.transformer.resblocks.1.VPT_shallow"}
LEARNED = {
    "PromptSRC": LEARNED_OWNED | {"prompt_learner.ctx"},
    "PromptSRC_ATP": LEARNED_OWNED | {"prompt_learner.ctx", "prompt_learner.ctx_att1", "prompt_learner.ctx_att2",
                                      "prompt_learner.ctx_att3"},
    "PromptSRC_AnchorOPT": LEARNED_OWNED | {"prompt_learner.ctx", "prompt_learner.ctx_pos_params"},
}


@pytest.fixture(scope="module")
def anchor_file(tmp_path_factory):
    generator = torch.Generator().manual_seed(3)
    return write_original_anchor_file(str(tmp_path_factory.mktemp("anchor") / "model.pth.tar"),
                                      torch.randn(1, 64, generator=generator))


@pytest.fixture(scope="module")
def build(small_dataset, tiny_vit_checkpoint, anchor_file, tmp_path_factory):
    def build_trainer(name, *opts, flags=("--no-train",), output_dir=None):
        output_dir = output_dir or tmp_path_factory.mktemp(name)
        return run_train(small_dataset, tiny_vit_checkpoint, name, output_dir, flags=flags,
                         opts=["TRAINER.ANCHOROPT.ANCHOR_PATH", anchor_file, *opts])
    return build_trainer


@pytest.fixture(scope="module")
def built(build):
    return {name: build(name) for name in TRAINERS}


def training_batch(trainer):
    batch = next(iter(trainer.train_loader_x))
    return batch["img"], batch["label"]


def frozen_text_target(clip_model, classnames):
    """Unit-norm mean over the 60 templates of frozen CLIP's (unnormalised) class features."""
    features = []
    for template in PROMPTSRC_TEMPLATES:
        token_ids = clip.tokenize([template.format(name) for name in classnames])
        features.append(hand_text_features(clip_model, clip_model.token_embedding(token_ids), token_ids.argmax(-1)))
    return unit(torch.stack(features).mean(dim=0))


def self_regularisation(clip_model, classnames, images, text_features, image_features, logits):
    target = frozen_text_target(clip_model, classnames)
    frozen_images = unit(hand_image_features(clip_model, images))
    frozen_logits = clip_model.logit_scale.exp() * frozen_images @ target.t()
    teacher, student = frozen_logits.log_softmax(dim=1), logits.log_softmax(dim=1)
    kl = (teacher.exp() * (teacher - student)).sum() / logits.numel()
    return (kl + 25 * (unit(text_features) - target).abs().mean()
            + 10 * (unit(image_features) - frozen_images).abs().mean())


def prompted_image_features(clip_model, images):
    visual = clip_model.visual
    return hand_image_features(clip_model, images, visual.VPT, [visual.transformer.resblocks[1].VPT_shallow])


def deep_text_prompts(clip_model):
    return [clip_model.transformer.resblocks[1].VPT_shallow]


def plain_text_features(trainer):
    """"a photo of a <class>." rows with positions 1-2 ("a photo") learned, deep prompts over them."""
    clip_model, layout = trainer.clip_model, trainer.prompt_learner
    token_ids = clip.tokenize([f"a photo of a {name}." for name in layout.classnames])
    rows = clip_model.token_embedding(token_ids)
    sequences = torch.cat([rows[:, :1], layout.ctx.expand(len(rows), -1, -1), rows[:, 1 + N_CTX:]], dim=1)
    return hand_text_features(clip_model, sequences, token_ids.argmax(-1), deep_text_prompts(clip_model),
                              window=slice(1, 1 + N_CTX))


def attribute_text_features(trainer):
    sequences, eot = hand_sequences(trainer.clip_model, trainer.prompt_learner)
    return hand_text_features(trainer.clip_model, sequences, eot, deep_text_prompts(trainer.clip_model),
                              window=CLASS_SOFT)


def anchored_text_features(trainer, positions):
    """[SOT] P·[ctx; anchor] <class>. — at each deep block the window takes P·[g_j; h], h the hidden
    state at the first position whose row of P picks the anchor (upstream's index), or P[:, :N]·g_j."""
    clip_model, layout = trainer.clip_model, trainer.prompt_learner
    token_ids = clip.tokenize([f"X X {name}." for name in layout.classnames])
    rows = clip_model.token_embedding(token_ids)
    slots = positions @ torch.cat([layout.ctx, layout.anchor])
    x = torch.cat([rows[:, :1], slots.expand(len(rows), -1, -1), rows[:, 1 + N_CTX:-1]], dim=1)
    x = x + clip_model.positional_embedding
    mask = torch.full((77, 77), float("-inf")).triu(1)
    anchor_rows = (positions.argmax(dim=-1) == N_CTX).nonzero().flatten().tolist()
    for index, block in enumerate(clip_model.transformer.resblocks):
        if index == 1:
            prompt = deep_text_prompts(clip_model)[0].expand(len(x), -1, -1)
            if anchor_rows:
                window = positions @ torch.cat([prompt, x[:, anchor_rows[0]:anchor_rows[0] + 1]], dim=1)
            else:
                window = positions[:, :N_CTX] @ prompt
            x = torch.cat([x[:, :1], window, x[:, 1 + N_CTX + 1:]], dim=1)
        x = run_block(block, x, mask)
    x = clip_model.ln_final(x)
    return x[torch.arange(len(x)), token_ids.argmax(-1)] @ clip_model.text_projection


def hand_loss(name, trainer, images, labels):
    clip_model, layout = trainer.clip_model, trainer.prompt_learner
    if name == "PromptSRC_AnchorOPT":
        torch.manual_seed(0)
        text_features = anchored_text_features(trainer, sample_position_matrix(layout.ctx_pos_params, 1.0))
    elif name == "PromptSRC_ATP":
        text_features = attribute_text_features(trainer)
    else:
        text_features = plain_text_features(trainer)
    image_features = prompted_image_features(clip_model, images)
    logits = clip_model.logit_scale.exp() * unit(image_features) @ unit(text_features).t()
    if name == "PromptSRC_AnchorOPT":
        frozen = unit(hand_image_features(clip_model, images))
        anchor_logits = clip_model.logit_scale.exp() * frozen @ unit(trainer.anchor_text_features()).t()
        options = trainer.anchoropt_cfg
        loss = anchoropt_loss(logits, anchor_logits, labels, options.PROMPT_CE_WEIGHT, options.KD_WEIGHT,
                              options.KD_TEMPERATURE)
    else:
        loss = F.cross_entropy(logits, labels)
    return loss + self_regularisation(clip_model, layout.classnames, images, text_features, image_features, logits)


@pytest.mark.parametrize("name", TRAINERS)
def test_loss_and_gradients_equal_the_hand_computation(built, name):
    trainer = built[name]
    images, labels = training_batch(trainer)
    params = [p for p in trainer.model.parameters() if p.requires_grad]
    torch.manual_seed(0)
    loss, summary = trainer.compute_loss(images, labels)
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    expected = hand_loss(name, trainer, images, labels)
    expected_grads = torch.autograd.grad(expected, params, allow_unused=True)
    torch.testing.assert_close(loss, expected)
    assert summary == {"loss": loss.item()}
    used = [(grad, expected_grad) for grad, expected_grad in zip(grads, expected_grads) if grad is not None]
    assert len(used) == len(params) - (name == "PromptSRC_ATP")  # Caltech101 uses 2 of the 3 attribute blocks
    for grad, expected_grad in used:
        assert grad.abs().sum() > 0
        torch.testing.assert_close(grad, expected_grad)


def test_one_anchoropt_step_runs_the_frozen_image_tower_once(built, monkeypatch):
    """AnchorOPT's frozen branch and PromptSRC's self-regularisation share the step's frozen image features."""
    trainer = built["PromptSRC_AnchorOPT"]
    images, labels = training_batch(trainer)
    frozen_calls = []
    encode_image = trainer.clip_model.encode_image

    def counting_encode_image(batch, *args, own_prompts=True, **kwargs):
        if not own_prompts:
            frozen_calls.append(batch.shape[0])
        return encode_image(batch, *args, own_prompts=own_prompts, **kwargs)

    monkeypatch.setattr(trainer.clip_model, "encode_image", counting_encode_image)
    trainer.compute_loss(images, labels)
    assert frozen_calls == [images.shape[0]]


def test_test_logits_equal_the_hand_computation(built):
    trainer = built["PromptSRC"]
    images, _ = training_batch(trainer)
    with torch.no_grad():
        logits = trainer.model_inference(images)
        text_features = plain_text_features(trainer)
        expected = trainer.clip_model.logit_scale.exp() * (
            unit(prompted_image_features(trainer.clip_model, images)) @ unit(text_features).t())
    torch.testing.assert_close(logits, expected)


@pytest.mark.parametrize("name", TRAINERS)
def test_trainable_tensors_keep_upstreams_names(built, name):
    trainer = built[name]
    assert {n for n, p in trainer.model.named_parameters() if p.requires_grad} == LEARNED[name]
    assert trainer.get_model_names() == ["VLPromptLearner"]


@pytest.mark.parametrize("name", TRAINERS)
def test_trains_evaluates_and_its_checkpoint_loads_for_new_classes(build, name, tmp_path):
    trained = build(name, flags=(), output_dir=tmp_path / "base")
    saved = load_checkpoint(str(tmp_path / "base" / "VLPromptLearner" / "model.pth.tar-1"))["state_dict"]
    learned = {key: p.detach().clone() for key, p in trained.model.named_parameters() if p.requires_grad}
    evaluated = build(name, "DATASET.SUBSAMPLE_CLASSES", "new", output_dir=tmp_path / "new",
                      flags=("--eval-only", "--model-dir", str(tmp_path / "base"), "--load-epoch", "1"))
    assert evaluated.prompt_learner.classnames != trained.prompt_learner.classnames
    evaluated_params = dict(evaluated.model.named_parameters())
    for key, value in learned.items():
        torch.testing.assert_close(saved[key], value)
        torch.testing.assert_close(evaluated_params[key], value)


def test_gaussian_weights_equal_the_formula_on_a_hand_checked_case():
    # N(e; 2, 1) at e = 1, 2, 3 is proportional to exp(-1/2), 1, exp(-1/2); normalised by 1 + 2 exp(-1/2).
    weights = gaussian_epoch_weights(3, mean=2, std=1)
    np.testing.assert_allclose(weights, [0.274068619, 0.451862762, 0.274068619], rtol=1e-8)
    aggregate = GaussianPromptAggregate(weights)
    for epoch, value in enumerate((1.0, 2.0, 4.0)):
        aggregate.add(epoch, {"ctx": torch.tensor([value], dtype=torch.float64)})
    torch.testing.assert_close(aggregate.total["ctx"], torch.tensor([2.274068619], dtype=torch.float64))


def test_final_prompts_are_the_gaussian_aggregate_of_the_epochs(build, tmp_path, monkeypatch):
    epochs = []
    original_add = GaussianPromptAggregate.add

    def recording_add(self, epoch, tensors):
        epochs.append({name: tensor.detach().clone() for name, tensor in tensors.items()})
        original_add(self, epoch, tensors)

    monkeypatch.setattr(GaussianPromptAggregate, "add", recording_add)
    trained = build("PromptSRC", "OPTIM.MAX_EPOCH", "2", "TRAINER.PROMPTSRC.GPA_MEAN", "1", flags=(),
                    output_dir=tmp_path)
    first, second = np.exp(0.0), np.exp(-0.5)
    weights = [first / (first + second), second / (first + second)]
    saved = load_checkpoint(str(tmp_path / "VLPromptLearner" / "model.pth.tar-2"))["state_dict"]
    assert len(epochs) == 2 and not torch.equal(epochs[0]["prompt_learner.ctx"], epochs[1]["prompt_learner.ctx"])
    for name, parameter in trained.model.named_parameters():
        if parameter.requires_grad:
            expected = epochs[0][name] * weights[0] + epochs[1][name] * weights[1]
            torch.testing.assert_close(parameter.detach(), expected)
            torch.testing.assert_close(saved[name], expected)


def test_templates_are_sixty_with_the_plain_one_first():
    assert len(PROMPTSRC_TEMPLATES) == len(set(PROMPTSRC_TEMPLATES)) == 60
    assert PROMPTSRC_TEMPLATES[0] == "a photo of a {}."
    assert set(PROMPTSRC_TEMPLATES) == set(IMAGENET_TEMPLATES[:60])


@pytest.mark.parametrize("opts, message", [
    (("TRAINER.PROMPTSRC.PROMPT_DEPTH_TEXT", "0"), "PROMPT_DEPTH_TEXT must be >= 1"),
    (("TRAINER.PROMPTSRC.PROMPT_DEPTH_VISION", "3"), "TRAINER.PROMPTSRC prompt settings: .*'vision_depth'=3 exceeds"),
])
def test_prompt_depths_the_backbone_cannot_hold_are_config_errors(build, opts, message):
    with pytest.raises(ConfigError, match=message):
        build("PromptSRC", *opts)
