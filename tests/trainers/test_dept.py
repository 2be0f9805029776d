"""DePT: FiLM'd linear head fused with the prompt on base classes, similarity only on new classes."""
import pytest
import torch
from yacs.config import CfgNode

from trainers.dept import is_base_like, present_class_mask, staged_param_groups
from trainers.parts.logits import cosine_logits


def batch_images(trainer):
    return trainer.parse_batch_test(next(iter(trainer.test_loader)))[0]


def test_base_classes_fuse_similarity_and_head_logits(build_trainer_only):
    trainer = build_trainer_only("DePT", "DATASET.SUBSAMPLE_CLASSES", "base")
    images = batch_images(trainer)
    with torch.no_grad():
        image_features, text_features = trainer.encode_images(images), trainer.class_text_features()
        similarity = cosine_logits(image_features, text_features, trainer.logit_scale)
        head = trainer.model["linear_probe_proj"](trainer.model["film_lp_img"](image_features))
        torch.testing.assert_close(trainer.model_inference(images), 0.3 * similarity + 0.7 * head)


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
    trainer = build_trainer_only("DePT", "DATASET.SUBSAMPLE_CLASSES", "base")
    images, labels = trainer.parse_batch_train(next(iter(trainer.train_loader_x)))
    with torch.no_grad():
        loss, _ = trainer.compute_loss(images, labels)
        image_features, text_features = trainer.encode_images(images), trainer.class_text_features()
        similarity = cosine_logits(image_features, text_features, trainer.logit_scale)
        features = torch.cat([trainer.model["film_lp_text"](text_features[labels]),
                              trainer.model["film_lp_img"](image_features)])
        head = trainer.model["linear_probe_proj"](features)
        ce = torch.nn.functional.cross_entropy
        torch.testing.assert_close(loss, 0.3 * ce(similarity, labels) + 0.7 * ce(head, torch.cat([labels, labels])))


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
    (tmp_path / "classnames.txt").write_text("n01 tench\nn02 goldfish\nn03 shark\n")
    images = tmp_path / "imagenet-a"
    for folder in ("n03", "n01", "README.txt"):
        (images / folder).mkdir(parents=True)
    assert present_class_mask(str(tmp_path), str(images)).tolist() == [True, False, True]


def test_staged_groups_match_children_by_substring():
    learner = torch.nn.ModuleDict({"prompt_learner": torch.nn.Linear(2, 2), "film_lp_img": torch.nn.Linear(2, 2)})
    optim_cfg = CfgNode({"NEW_LAYERS": ["film"], "LR": 0.1, "LR_EXP": 6.5, "BASE_LR_MULT": 1.0})
    base, new = staged_param_groups(learner, optim_cfg)
    assert base["params"][0] is learner["prompt_learner"].weight and new["params"][0] is learner["film_lp_img"].weight
    assert (base["lr"], new["lr"]) == (pytest.approx(0.1), pytest.approx(0.65))
