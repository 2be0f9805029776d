"""DePT: FiLM'd linear head fused with the prompt on base classes, similarity only on new classes."""
import math
from types import SimpleNamespace

import pytest
import torch
from torch.nn import functional as F
from yacs.config import CfgNode

import train
from dassl.optim import build_lr_scheduler
from trainers.dept import DePT, is_base_like, present_class_mask, present_class_rows, staged_param_groups
from trainers.parts.logits import cosine_logits


def batch_images(trainer):
    return trainer.parse_batch_test(next(iter(trainer.test_loader)))[0]


def perturb_films(trainer):
    """Move both FiLMs off the identity they start at, so a skipped FiLM cannot pass unnoticed."""
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name in ("film_lp_img", "film_lp_text"):
            film = trainer.model[name]
            film.scale.copy_(1 + 0.5 * torch.randn(film.scale.shape, generator=generator))
            film.bias.copy_(0.1 * torch.randn(film.bias.shape, generator=generator))


def film(trainer, name, features):
    return features * trainer.model[name].scale + trainer.model[name].bias


def similarity(trainer, image_features, text_features):
    image_units = image_features / image_features.norm(dim=-1, keepdim=True)
    text_units = text_features / text_features.norm(dim=-1, keepdim=True)
    return trainer.logit_scale.exp() * image_units @ text_units.t()


def test_base_classes_fuse_similarity_and_head_logits(build_trainer_only):
    """(1 - w) * S + w * head(FiLM_img(v)) on raw image features, w = 0.7 (spec 3.5)."""
    trainer = build_trainer_only("DePT", "DATASET.SUBSAMPLE_CLASSES", "base")
    perturb_films(trainer)
    images = batch_images(trainer)
    head = trainer.model["linear_probe_proj"]
    with torch.no_grad():
        image_features, text_features = trainer.clip_model.encode_image(images), trainer.class_text_features()
        head_logits = F.linear(film(trainer, "film_lp_img", image_features), head.weight, head.bias)
        expected = (1 - 0.7) * similarity(trainer, image_features, text_features) + 0.7 * head_logits
        torch.testing.assert_close(trainer.model_inference(images), expected)


def test_new_classes_use_similarity_only(build_trainer_only):
    trainer = build_trainer_only("DePT", "DATASET.SUBSAMPLE_CLASSES", "new")
    images = batch_images(trainer)
    assert "linear_probe_proj" not in trainer.model
    with torch.no_grad():
        expected = cosine_logits(trainer.encode_images(images), trainer.class_text_features(), trainer.logit_scale)
        torch.testing.assert_close(trainer.model_inference(images), expected)


def test_training_on_new_classes_is_refused(build_trainer_only):
    trainer = build_trainer_only("DePT", "DATASET.SUBSAMPLE_CLASSES", "new")
    images, labels = trainer.parse_batch_train(next(iter(trainer.train_loader_x)))
    with pytest.raises(RuntimeError, match="SUBSAMPLE_CLASSES base"):
        trainer.compute_loss(images, labels)


def test_loss_mixes_prompt_and_head_cross_entropies(build_trainer_only):
    """(1 - w) * CE(S, y) + w * CE(head([FiLM_txt(t[y]); FiLM_img(v)]), [y; y]) (spec 3.5)."""
    trainer = build_trainer_only("DePT", "DATASET.SUBSAMPLE_CLASSES", "base")
    perturb_films(trainer)
    images, labels = trainer.parse_batch_train(next(iter(trainer.train_loader_x)))
    head = trainer.model["linear_probe_proj"]
    with torch.no_grad():
        loss, summary = trainer.compute_loss(images, labels)
        image_features, text_features = trainer.clip_model.encode_image(images), trainer.class_text_features()
        features = torch.cat([film(trainer, "film_lp_text", text_features[labels]),
                              film(trainer, "film_lp_img", image_features)])
        head_loss = F.cross_entropy(F.linear(features, head.weight, head.bias), torch.cat([labels, labels]))
        expected = (1 - 0.7) * F.cross_entropy(similarity(trainer, image_features, text_features), labels)
        torch.testing.assert_close(loss, expected + 0.7 * head_loss)
    assert set(summary) == {"loss"}


def test_test_time_fusion_off_gives_the_head_logits(build_trainer_only):
    trainer = build_trainer_only("DePT", "DATASET.SUBSAMPLE_CLASSES", "base",
                                 "TRAINER.LINEAR_PROBE.TEST_TIME_FUSION", "False")
    images = batch_images(trainer)
    with torch.no_grad():
        expected = trainer.model["linear_probe_proj"](trainer.clip_model.encode_image(images))
        torch.testing.assert_close(trainer.model_inference(images), expected)


def test_staged_lr_per_epoch_follows_the_cosine_of_each_group():
    """Original DePT: prompt at LR, head + FiLM at LR * 6.5, both warm up at 1e-5 (spec 3.0, 3.5)."""
    cfg = train.setup_cfg(train.build_parser().parse_args([
        "--config-file", "configs/trainers/DePT/vit_b16_ep10_bs4_lr35.yaml", "OPTIM.STAGED_LR", "True",
        "OPTIM.NEW_LAYERS", "['linear_probe', 'film']", "OPTIM.BASE_LR_MULT", "1.0"]))
    learner = torch.nn.ModuleDict({"prompt_learner": torch.nn.Linear(2, 2), "film_lp_img": torch.nn.Linear(2, 2),
                                   "linear_probe_proj": torch.nn.Linear(2, 2)})
    optimizer = DePT.build_optimizer(SimpleNamespace(cfg=cfg), learner)
    scheduler = build_lr_scheduler(optimizer, cfg.OPTIM)
    seen = []
    for _ in range(10):
        seen.append([group["lr"] for group in optimizer.param_groups])
        optimizer.step()
        scheduler.step()
    cosine = [0.5 * (1 + math.cos(math.pi * (epoch - 1) / 10)) for epoch in range(1, 10)]
    expected = [[1e-5, 1e-5]] + [[0.0035 * c, 0.0035 * 6.5 * c] for c in cosine]
    for actual, wanted in zip(seen, expected):
        assert actual == pytest.approx(wanted, rel=1e-12)
    assert [len(group["params"]) for group in optimizer.param_groups] == [2, 4]


def test_staged_optimizer_gives_head_and_film_lr_times_lr_exp(build_trainer_only):
    trainer = build_trainer_only("DePT", "DATASET.SUBSAMPLE_CLASSES", "base", "OPTIM.STAGED_LR", "True",
                                 "OPTIM.NEW_LAYERS", "['linear_probe', 'film']", "OPTIM.BASE_LR_MULT", "1.0")
    base_group, new_group = trainer._optims["PromptLearner"].param_groups
    assert [p.shape for p in base_group["params"]] == [trainer.prompt_learner.ctx.shape]
    assert len(new_group["params"]) == 6
    assert base_group["initial_lr"] == pytest.approx(0.0035)
    assert new_group["initial_lr"] == pytest.approx(0.0035 * 6.5)


def test_single_lr_optimizer_by_default(build_trainer_only):
    trainer = build_trainer_only("DePT", "DATASET.SUBSAMPLE_CLASSES", "base")
    assert len(trainer._optims["PromptLearner"].param_groups) == 1


@pytest.mark.parametrize("subsample, name, expected", [
    ("base", "Caltech101", True), ("new", "ImageNet", False), ("all", "ImageNetA", True), ("all", "Caltech101", False),
])
def test_base_like_splits(subsample, name, expected):
    cfg = CfgNode({"DATASET": CfgNode({"SUBSAMPLE_CLASSES": subsample, "NAME": name})})
    assert is_base_like(cfg) is expected


def test_head_rows_kept_for_present_imagenet_variant_classes(tmp_path):
    (tmp_path / "classnames.txt").write_text("n01 tench\nn02 goldfish\nn03\n")
    images = tmp_path / "imagenet-a"
    for folder in ("n03", "n01", "README.txt"):
        (images / folder).mkdir(parents=True)
    assert present_class_mask(str(tmp_path), str(images)).tolist() == [True, False, True]


def test_head_rows_of_present_classes_are_sliced_from_a_matching_head():
    head = torch.arange(6.0).reshape(3, 2)
    assert present_class_rows(head, torch.tensor([True, False, True]), "classnames.txt").tolist() == [[0, 1], [4, 5]]


def test_head_of_another_class_count_is_a_clear_error():
    with pytest.raises(ValueError, match=r"DePT head has 2 classes but .*classnames.txt lists 3"):
        present_class_rows(torch.zeros(2, 4), torch.tensor([True, False, True]), "imagenet-adversarial/classnames.txt")


def test_staged_groups_match_children_by_substring():
    learner = torch.nn.ModuleDict({"prompt_learner": torch.nn.Linear(2, 2), "film_lp_img": torch.nn.Linear(2, 2)})
    optim_cfg = CfgNode({"NEW_LAYERS": ["film"], "LR": 0.1, "LR_EXP": 6.5, "BASE_LR_MULT": 1.0})
    base, new = staged_param_groups(learner, optim_cfg)
    assert base["params"][0] is learner["prompt_learner"].weight and new["params"][0] is learner["film_lp_img"].weight
    assert (base["lr"], new["lr"]) == (pytest.approx(0.1), pytest.approx(0.65))
