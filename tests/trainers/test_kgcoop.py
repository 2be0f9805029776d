"""KgCoOp, KgCoOp_ATP and KgCoOp_AnchorOPT against a hand computation on the tiny CLIP.

Each reference rebuilds the input rows from the token-embedding table, runs CLIP's towers block by
block (helpers of test_atprompt_reference) and writes the losses out: CE + W·(1 − mean cos) for
KgCoOp, λ_CE·(CE + W·L_kg) + λ_KD·T²·KL/(B·C) for the AnchorOPT variant. Gradients are compared on
the learned tensors themselves.
"""
import pytest
import torch
from torch.nn import functional as F

import clip
from tests.plugins.test_anchoropt_support import write_original_anchor_file
from tests.trainers.test_atprompt_reference import (evaluation_images, hand_image_features, hand_sequences,
                                                    hand_text_features, scaled_cosine, train_batch, unit)
from trainers.parts.templates import CUSTOM_TEMPLATES, KGCOOP_TEMPLATES, dataset_template

WIDTH = 64
HAND_TEMPLATE = "itap of a {}."  # differs from the "a photo of a" context, so L_kg is not 0 at init


def table_rows(clip_model, texts):
    token_ids = clip.tokenize(texts)
    return clip_model.token_embedding.weight[token_ids], token_ids


def hand_crafted_units(clip_model, classnames, template):
    rows, token_ids = table_rows(clip_model, [template.format(name) for name in classnames])
    return unit(hand_text_features(clip_model, rows, token_ids.argmax(dim=-1)))


def knowledge_term(text_features, hand_units):
    cosines = (unit(text_features) * hand_units).sum(dim=-1)
    return 1 - cosines.mean()


def gradients(loss, params):
    return torch.autograd.grad(loss, params, retain_graph=True)


@pytest.fixture(scope="module")
def anchor_file(tmp_path_factory):
    return write_original_anchor_file(str(tmp_path_factory.mktemp("anchor") / "model.pth.tar"), torch.randn(1, WIDTH))


@pytest.fixture
def build_base(build_trainer_only):
    return lambda trainer, *opts: build_trainer_only(trainer, "DATASET.SUBSAMPLE_CLASSES", "base",
                                                     "TRAINER.KGCOOP.TEMPLATE", HAND_TEMPLATE, *opts)


def test_kgcoop_templates_are_coops_but_for_a_texture_sentence_on_dtd():
    assert KGCOOP_TEMPLATES["DescribableTextures"] == "a photo of a {}, a type of texture."
    assert {k: v for k, v in KGCOOP_TEMPLATES.items() if k != "DescribableTextures"} == \
        {k: v for k, v in CUSTOM_TEMPLATES.items() if k != "DescribableTextures"}


def test_dataset_without_a_template_names_kgcoops_override_key():
    with pytest.raises(KeyError, match="TRAINER.KGCOOP.TEMPLATE"):
        dataset_template("MyDataset", table=KGCOOP_TEMPLATES, override_key="TRAINER.KGCOOP.TEMPLATE")


def test_default_hand_crafted_prompt_is_the_datasets_and_features_are_its_unit_clip_features(build_trainer_only):
    trainer = build_trainer_only("KgCoOp", "DATASET.SUBSAMPLE_CLASSES", "base")
    assert trainer.hand_crafted_template() == "a photo of a {}."
    with torch.no_grad():
        expected = hand_crafted_units(trainer.clip_model, trainer.prompt_learner.classnames, "a photo of a {}.")
    torch.testing.assert_close(trainer.hand_crafted_units, expected)


def test_kgcoop_context_is_a_photo_of_a_and_only_it_trains(build_base):
    trainer = build_base("KgCoOp")
    layout = trainer.prompt_learner
    words = trainer.clip_model.token_embedding(clip.tokenize("a photo of a"))[0, 1:5]
    torch.testing.assert_close(layout.ctx.detach(), words)
    assert [name for name, p in trainer.model.named_parameters() if p.requires_grad] == ["ctx"]
    assert trainer.cfg.TRAINER.COOP.W == 8.0


def kgcoop_sequences(clip_model, layout):
    """"a photo of a <class>." with its four context rows replaced by the learned ctx."""
    rows, token_ids = table_rows(clip_model, [f"a photo of a {name}." for name in layout.classnames])
    ctx = layout.ctx.expand(len(rows), -1, -1)
    return torch.cat([rows[:, :1], ctx, rows[:, 5:]], dim=1), token_ids.argmax(dim=-1)


def perturb(*params):
    with torch.no_grad():
        for param in params:
            param.add_(0.05 * torch.randn_like(param))


def test_kgcoop_logits_loss_and_gradients(build_base):
    trainer = build_base("KgCoOp")
    clip_model, layout = trainer.clip_model, trainer.prompt_learner
    perturb(layout.ctx)
    images, labels = train_batch(trainer)
    text = hand_text_features(clip_model, *kgcoop_sequences(clip_model, layout))
    logits = scaled_cosine(clip_model, hand_image_features(clip_model, images), text)
    hand_units = hand_crafted_units(clip_model, layout.classnames, HAND_TEMPLATE).detach()
    kg = knowledge_term(text, hand_units)
    expected = F.cross_entropy(logits, labels) + 8.0 * kg
    assert kg.item() > 1e-3
    with torch.no_grad():
        torch.testing.assert_close(trainer.model_inference(images), logits)
    loss, summary = trainer.training_loss(images, labels)
    torch.testing.assert_close(loss, expected)
    assert summary["loss"] == pytest.approx(expected.item(), rel=1e-5)
    torch.testing.assert_close(gradients(loss, [layout.ctx]), gradients(expected, [layout.ctx]))


def test_knowledge_term_is_added_only_in_training_steps(build_base):
    trainer = build_base("KgCoOp")
    perturb(trainer.prompt_learner.ctx)
    images, labels = train_batch(trainer)
    plain, _ = trainer.compute_loss(images, labels)
    total, _ = trainer.training_loss(images, labels)
    with torch.no_grad():
        kg = trainer.text_feature_loss(trainer.class_text_features())
    torch.testing.assert_close(total, plain + kg)
    assert trainer._text_feature_losses is None


ATP_PARAMS = ("ctx", "ctx_att1", "ctx_att2")  # Caltech101 has two attributes: ctx_att3 is unused


def test_kgcoop_atp_logits_loss_and_gradients(build_base):
    trainer = build_base("KgCoOp_ATP")
    clip_model, layout = trainer.clip_model, trainer.prompt_learner
    images, labels = train_batch(trainer)
    text = hand_text_features(clip_model, *hand_sequences(clip_model, layout))
    logits = scaled_cosine(clip_model, hand_image_features(clip_model, images), text)
    hand_units = hand_crafted_units(clip_model, layout.classnames, HAND_TEMPLATE).detach()
    expected = F.cross_entropy(logits, labels) + 8.0 * knowledge_term(text, hand_units)
    with torch.no_grad():
        torch.testing.assert_close(trainer.model_inference(images), logits)
    loss, _ = trainer.training_loss(images, labels)
    torch.testing.assert_close(loss, expected)
    params = [getattr(layout, name) for name in ATP_PARAMS]
    for ours, reference in zip(gradients(loss, params), gradients(expected, params)):
        torch.testing.assert_close(ours, reference)


def anchored_reference(trainer, images, seed):
    """Prompt logits with P drawn as the layout draws it (same seed), the anchor branch's logits."""
    clip_model, layout = trainer.clip_model, trainer.prompt_learner
    torch.manual_seed(seed)
    positions = F.gumbel_softmax(layout.ctx_pos_params.float(), tau=1.0, hard=True, dim=-1)
    rows, token_ids = table_rows(clip_model, [f"X X {name}." for name in layout.classnames])
    slots = positions @ torch.cat([layout.ctx, layout.anchor])
    sequences = torch.cat([rows[:, :1], slots.expand(len(rows), -1, -1), rows[:, 3:76]], dim=1)
    text = hand_text_features(clip_model, sequences, token_ids.argmax(dim=-1))  # upstream pools at "."
    image = hand_image_features(clip_model, images)
    anchor_rows, anchor_ids = table_rows(clip_model, [f"X of {name}." for name in layout.classnames])
    anchor_rows = torch.cat([anchor_rows[:, :1], layout.anchor.expand(len(rows), 1, -1), anchor_rows[:, 2:]], dim=1)
    anchor_text = hand_text_features(clip_model, anchor_rows, anchor_ids.argmax(dim=-1))
    return text, scaled_cosine(clip_model, image, text), scaled_cosine(clip_model, image, anchor_text).detach()


def test_kgcoop_anchoropt_logits_loss_and_gradients(build_base, anchor_file):
    ce_weight, kd_weight, temperature = 2.0, 3.0, 2.0
    trainer = build_base("KgCoOp_AnchorOPT", "TRAINER.ANCHOROPT.ANCHOR_PATH", anchor_file,
                         "TRAINER.ANCHOROPT.PROMPT_CE_WEIGHT", str(ce_weight),
                         "TRAINER.ANCHOROPT.KD_WEIGHT", str(kd_weight),
                         "TRAINER.ANCHOROPT.KD_TEMPERATURE", str(temperature))
    layout = trainer.prompt_learner
    images, labels = train_batch(trainer)
    text, logits, anchor_logits = anchored_reference(trainer, images, seed=3)
    hand_units = hand_crafted_units(trainer.clip_model, layout.classnames, HAND_TEMPLATE).detach()
    teacher = F.softmax(((logits + anchor_logits) / 2).detach() / temperature, dim=-1)
    kl = (teacher * (teacher.log() - F.log_softmax(logits / temperature, dim=-1))).sum() / logits.numel()
    expected = (ce_weight * (F.cross_entropy(logits, labels) + 8.0 * knowledge_term(text, hand_units))
                + kd_weight * temperature**2 * kl)

    torch.manual_seed(3)
    with torch.no_grad():
        torch.testing.assert_close(trainer.model_inference(images), logits)
    torch.manual_seed(3)
    loss, _ = trainer.training_loss(images, labels)
    torch.testing.assert_close(loss, expected)
    params = [layout.ctx, layout.ctx_pos_params]
    for ours, reference in zip(gradients(loss, params), gradients(expected, params)):
        scale = reference.abs().max().item()  # gradients reach ~1e2 here: compare relative to their size
        torch.testing.assert_close(ours, reference, rtol=1e-4, atol=1e-6 * scale)


def test_kgcoop_anchoropt_new_classes_are_scored_by_the_ensemble(build_trainer_only, anchor_file):
    trainer = build_trainer_only("KgCoOp_AnchorOPT", "DATASET.SUBSAMPLE_CLASSES", "new",
                                 "TRAINER.ANCHOROPT.ANCHOR_PATH", anchor_file)
    images = evaluation_images(trainer)
    _, logits, anchor_logits = anchored_reference(trainer, images, seed=5)
    torch.manual_seed(5)
    with torch.no_grad():
        torch.testing.assert_close(trainer.model_inference(images), (logits + anchor_logits) / 2)
