"""Attribute search: candidate pool, alternating optimisers, per-epoch weights and the winner file."""
import json
import os
import random
from types import SimpleNamespace

import pytest
import torch
from torch.nn import functional as F

import train
from dassl.utils import load_checkpoint
from tests.fixtures.dataset_fixtures import make_synthetic_dataset
from trainers.attribute_compute import candidate_pool, split_train_halves, validation_source

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BASES = ["color", "size", "shape", "habitat", "behavior"]


def test_full_pool_has_all_31_combinations_in_canonical_order():
    pool = candidate_pool(BASES)
    assert len(pool) == 31
    assert pool[:5] == [(word,) for word in BASES]
    assert pool[5] == ("color", "size")
    assert pool[-1] == tuple(BASES)


def test_upstream_pool_keeps_the_16_largest_combinations_shuffled():
    pool = candidate_pool(BASES, min_size=3, shuffle=True, rng=random.Random(1))
    assert len(pool) == 16
    assert sorted(pool) == sorted(candidate_pool(BASES, min_size=3))
    assert pool != candidate_pool(BASES, min_size=3)


def test_max_size_prunes_large_combinations():
    assert len(candidate_pool(BASES, max_size=3)) == 5 + 10 + 10


def test_impossible_pool_sizes_are_rejected():
    with pytest.raises(ValueError, match="MIN_SIZE"):
        candidate_pool(BASES, min_size=4, max_size=2)


def test_train_halves_split_every_class_in_order():
    items = [SimpleNamespace(label=label, index=i) for i, label in enumerate([0, 0, 0, 1, 1, 0])]
    train, val = split_train_halves(items)
    assert [item.index for item in train] == [0, 1, 3]
    assert [item.index for item in val] == [2, 5, 4]


def test_auto_validation_splits_the_train_set_only_for_the_imagenet_family():
    cfg = SimpleNamespace(SEARCH=SimpleNamespace(VALIDATION="auto"), DATASET=SimpleNamespace(NAME="ImageNetSketch"))
    assert validation_source(cfg) == "train_half"
    cfg.DATASET.NAME = "Caltech101"
    assert validation_source(cfg) == "val"


@pytest.fixture(scope="module")
def search_run(tmp_path_factory, tiny_vit_checkpoint):
    data = make_synthetic_dataset(str(tmp_path_factory.mktemp("data")), name="Caltech101", n_classes=6)
    output = tmp_path_factory.mktemp("search")
    argv = [
        "--root", data.root, "--seed", "1", "--trainer", "AttributeCompute", "--output-dir", str(output),
        "--dataset-config-file", data.config_file,
        "--config-file", os.path.join(REPO_ROOT, "configs", "trainers", "CoOp", "vit_b16.yaml"),
        "MODEL.BACKBONE.NAME", tiny_vit_checkpoint, "USE_CUDA", "False", "INPUT.SIZE", "(32, 32)",
        "DATASET.NUM_SHOTS", "2", "DATASET.SUBSAMPLE_CLASSES", "base", "OPTIM.MAX_EPOCH", "2",
        "DATALOADER.NUM_WORKERS", "0", "DATALOADER.TRAIN_X.BATCH_SIZE", "2", "DATALOADER.TEST.BATCH_SIZE", "4",
        "SEARCH.ATTRIBUTES", "['color', 'shape']", "SEARCH.N_CTX", "2", "SEARCH.N_ATT", "1",
        "SEARCH.VALIDATION", "train_half",
    ]
    trainer = train.main(train.build_parser().parse_args(argv))
    return trainer, output


def test_search_writes_per_epoch_weights_summing_to_one_and_their_argmax_as_winner(search_run):
    trainer, output = search_run
    result = json.loads((output / "attribute_search.json").read_text())
    assert result["candidates"] == [list(c) for c in candidate_pool(["color", "shape"])]
    assert result["epochs_done"] == 2 and len(result["weights_per_epoch"]) == 2
    for weights in result["weights_per_epoch"]:
        assert len(weights) == 3
        assert sum(weights) == pytest.approx(1.0, abs=1e-6)
    final = result["weights_per_epoch"][-1]
    assert result["winner"] == result["candidates"][final.index(max(final))]
    assert result["winner_weight"] == max(final)
    expected = torch.softmax(trainer.prompt_learner.alpha.detach().float(), dim=0).tolist()
    assert final == pytest.approx(expected)


def test_search_logs_the_weight_of_every_candidate_each_epoch(search_run):
    _, output = search_run
    log = (output / "log.txt").read_text()
    for epoch in (1, 2):
        block = log.split(f"Attribute weights after epoch {epoch}/2:")[1].split("Selected attributes")[0]
        assert sum(1 for line in block.splitlines() if line.startswith("  0.")) == 3


def test_alpha_has_its_own_adam_and_is_not_in_the_sgd_step(search_run):
    trainer, _ = search_run
    alpha = trainer.prompt_learner.alpha
    sgd_params = {id(p) for group in trainer._optims["prompt_learner"].param_groups for p in group["params"]}
    assert id(alpha) not in sgd_params
    assert [p for group in trainer.alpha_optim.param_groups for p in group["params"]] == [alpha]
    assert trainer.alpha_optim.param_groups[0]["lr"] == 0.02
    assert trainer.alpha_optim.param_groups[0]["betas"] == (0.5, 0.999)


def test_alpha_moves_between_epochs_and_is_saved_with_the_candidates(search_run):
    trainer, output = search_run
    first, second = json.loads((output / "attribute_search.json").read_text())["weights_per_epoch"]
    assert first != second
    saved = load_checkpoint(str(output / "prompt_learner" / "model.pth.tar-2"))["state_dict"]
    torch.testing.assert_close(saved["alpha"], trainer.prompt_learner.alpha.detach().cpu())
    assert saved["candidates.2.ctx_att2"].shape == (1, trainer.prompt_learner.candidates[2].width)


def test_alpha_is_fitted_on_the_held_out_half_of_the_few_shot_images(search_run):
    trainer, _ = search_run
    prompt_images = {item.impath for item in trainer.train_loader_x.dataset.data_source}
    alpha_images = {item.impath for item in trainer.val_loader.dataset.data_source}
    assert len(prompt_images) == len(alpha_images) == 3
    assert not prompt_images & alpha_images
    assert prompt_images | alpha_images == {item.impath for item in trainer.dm.dataset.train_x}


@pytest.fixture
def fresh_search(tmp_path, tiny_vit_checkpoint):
    """An untrained search over color/shape (3 candidates) whose α step always sees the first val batch."""
    data = make_synthetic_dataset(str(tmp_path / "data"), name="Caltech101", n_classes=4)
    argv = [
        "--root", data.root, "--seed", "1", "--trainer", "AttributeCompute", "--output-dir", str(tmp_path / "out"),
        "--dataset-config-file", data.config_file, "--no-train",
        "--config-file", os.path.join(REPO_ROOT, "configs", "trainers", "CoOp", "vit_b16.yaml"),
        "MODEL.BACKBONE.NAME", tiny_vit_checkpoint, "USE_CUDA", "False", "INPUT.SIZE", "(32, 32)",
        "DATASET.NUM_SHOTS", "2", "DATASET.SUBSAMPLE_CLASSES", "base", "DATALOADER.NUM_WORKERS", "0",
        "DATALOADER.TRAIN_X.BATCH_SIZE", "2", "DATALOADER.TEST.BATCH_SIZE", "4",
        "SEARCH.ATTRIBUTES", "['color', 'shape']", "SEARCH.N_CTX", "2", "SEARCH.N_ATT", "1",
        "SEARCH.VAL_BATCHES", "first_batch_upstream",
    ]
    return train.main(train.build_parser().parse_args(argv))


def candidate_text_units(trainer):
    return [text / text.norm(dim=-1, keepdim=True) for text in trainer.class_text_features()]


def test_mixture_logits_weight_each_candidates_clip_logits_by_softmax_alpha(fresh_search):
    trainer = fresh_search
    images, _ = trainer.parse_batch_train(next(iter(trainer.train_loader_x)))
    with torch.no_grad():
        image_units = trainer.clip_model.encode_image(images)
        image_units = image_units / image_units.norm(dim=-1, keepdim=True)
        weights = torch.softmax(trainer.prompt_learner.alpha, dim=0)
        scale = trainer.clip_model.logit_scale.exp()
        expected = sum(w * scale * image_units @ text.t() for w, text in zip(weights, candidate_text_units(trainer)))
        torch.testing.assert_close(trainer.logits(images), expected)


def test_one_iteration_is_an_sgd_step_on_train_ce_then_an_adam_step_on_val_ce(fresh_search):
    trainer = fresh_search
    learner = trainer.prompt_learner
    prompts = list(learner.candidates.parameters())
    batch = next(iter(trainer.train_loader_x))
    images, labels = trainer.parse_batch_train(batch)
    val_images, val_labels = trainer.parse_batch_train(next(iter(trainer.val_loader)))
    sgd = trainer._optims["prompt_learner"].param_groups[0]
    lr, decay = sgd["lr"], sgd["weight_decay"]
    alpha_before = learner.alpha.detach().clone()
    before = [p.detach().clone() for p in prompts]
    train_grads = torch.autograd.grad(F.cross_entropy(trainer.logits(images), labels), prompts)

    trainer.batch_idx, trainer.num_batches = 0, 2
    trainer.forward_backward(batch)

    for param, start, grad in zip(prompts, before, train_grads):
        torch.testing.assert_close(param.detach(), start - lr * (grad + decay * start))
    with torch.no_grad():
        alpha_after = learner.alpha.clone()
        learner.alpha.copy_(alpha_before)
    alpha_grad, = torch.autograd.grad(F.cross_entropy(trainer.logits(val_images), val_labels), learner.alpha)
    torch.testing.assert_close(alpha_after, alpha_before - 0.02 * alpha_grad / (alpha_grad.abs() + 1e-8))


def test_alpha_is_drawn_first_then_each_candidates_class_context_and_attribute_blocks(fresh_search):
    trainer = fresh_search
    original = trainer.prompt_learner
    width = original.candidates[0].width
    torch.manual_seed(3)
    alpha = torch.rand(3)
    expected = []
    for words in trainer.pool:
        ctx = torch.empty(2, width).normal_(std=0.02)
        expected.append([ctx] + [torch.empty(1, width).normal_(std=0.01) for _ in words])
    torch.manual_seed(3)
    rebuilt = trainer.build_learner(trainer.dm.dataset.classnames)
    trainer.prompt_learner = original
    assert torch.equal(rebuilt.alpha.detach(), alpha)
    for layout, (ctx, *blocks) in zip(rebuilt.candidates, expected):
        assert torch.equal(layout.ctx.detach(), ctx)
        for k, block in enumerate(blocks, start=1):
            assert torch.equal(getattr(layout, f"ctx_att{k}").detach(), block)
