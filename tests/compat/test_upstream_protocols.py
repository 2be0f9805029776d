"""MaPLe-family trainer files (written here in their style, tests/compat/upstream_style.py) on our CLIP.

Each is checked against a hand computation of its method on a tiny CLIP (logits and gradients),
trained one epoch through train.py on synthetic data and evaluated from its checkpoint on new classes.
"""
from types import SimpleNamespace

import pytest
import torch
from torch.nn import functional as F

import train
from dassl.utils import load_checkpoint
from tests.trainers.test_atprompt_reference import hand_image_features, hand_text_features, unit
from tests.trainers.train_runs import small_dataset  # noqa: F401  (fixture)

from . import upstream_style  # noqa: F401  (registers the trainers)

N_CTX = 2
OPTS = {
    "UpstreamMaPLe": ["TRAINER.MAPLE.N_CTX", str(N_CTX), "TRAINER.MAPLE.PROMPT_DEPTH", "2"],
    "UpstreamIVLP": ["TRAINER.IVLP.N_CTX_TEXT", str(N_CTX), "TRAINER.IVLP.N_CTX_VISION", "3",
                     "TRAINER.IVLP.PROMPT_DEPTH_TEXT", "2", "TRAINER.IVLP.PROMPT_DEPTH_VISION", "2"],
    "UpstreamVPT": ["TRAINER.VPT.N_CTX_VISION", "3", "TRAINER.VPT.PROMPT_DEPTH_VISION", "2"],
}
LEARNED = {
    "UpstreamMaPLe": {"prompt_learner.ctx", "prompt_learner.proj.weight", "prompt_learner.proj.bias",
                      "prompt_learner.compound_prompts_text.0",
                      "prompt_learner.compound_prompt_projections.0.weight",
                      "prompt_learner.compound_prompt_projections.0.bias"},
    "UpstreamIVLP": {"prompt_learner.ctx", "image_encoder.VPT", "image_encoder.transformer.resblocks.1.VPT_shallow",
                     "text_encoder.transformer.resblocks.1.VPT_shallow"},
    "UpstreamVPT": {"image_encoder.VPT", "image_encoder.transformer.resblocks.1.VPT_shallow"},
}
REGISTERED = {"UpstreamMaPLe": "MultiModalPromptLearner", "UpstreamIVLP": "VLPromptLearner",
              "UpstreamVPT": "prompt_learner"}


def run(trainer, data, checkpoint, output_dir, subsample, flags=()):
    argv = ["--root", data.root, "--seed", "1", "--trainer", trainer, "--output-dir", str(output_dir),
            "--dataset-config-file", data.config_file, *flags,
            "MODEL.BACKBONE.NAME", checkpoint, "USE_CUDA", "False", "INPUT.SIZE", "(32, 32)",
            "DATASET.NUM_SHOTS", "2", "DATASET.SUBSAMPLE_CLASSES", subsample, "OPTIM.MAX_EPOCH", "1",
            "OPTIM.LR", "0.01", "DATALOADER.NUM_WORKERS", "0", "DATALOADER.TRAIN_X.BATCH_SIZE", "2",
            "DATALOADER.TEST.BATCH_SIZE", "4", *OPTS[trainer]]
    return train.main(train.build_parser().parse_args(argv))


@pytest.fixture(scope="module")
def built(small_dataset, tiny_vit_checkpoint, tmp_path_factory):  # noqa: F811
    return {name: run(name, small_dataset, tiny_vit_checkpoint, tmp_path_factory.mktemp(name), "base", ["--no-train"])
            for name in OPTS}


def towers(model):
    """The CLIP parts a hand computation needs, taken from an upstream-style CustomCLIP."""
    text = model.text_encoder
    return SimpleNamespace(transformer=text.transformer, positional_embedding=text.positional_embedding,
                           ln_final=text.ln_final, text_projection=text.text_projection, visual=model.image_encoder)


def hand_prompted_text(model, deep_prompts):
    learner = model.prompt_learner
    sequences = torch.cat([learner.token_prefix, learner.ctx.expand(learner.n_cls, -1, -1), learner.token_suffix], 1)
    return hand_text_features(towers(model), sequences, learner.tokenized_prompts.argmax(-1), deep_prompts,
                              window=slice(1, 1 + N_CTX))


def hand_features(name, model, images):
    """(image features, text features) of each method, written from its paper's description."""
    blocks = model.image_encoder.transformer.resblocks
    if name == "UpstreamMaPLe":
        learner = model.prompt_learner
        deep_text = list(learner.compound_prompts_text)
        deep_vision = [proj(p) for proj, p in zip(learner.compound_prompt_projections, deep_text)]
        return (hand_image_features(towers(model), images, learner.proj(learner.ctx), deep_vision),
                hand_prompted_text(model, deep_text))
    image = hand_image_features(towers(model), images, model.image_encoder.VPT, [blocks[1].VPT_shallow])
    if name == "UpstreamVPT":
        return image, model.fixed_text_features
    return image, hand_prompted_text(model, [model.text_encoder.transformer.resblocks[1].VPT_shallow])


@pytest.mark.parametrize("name", sorted(OPTS))
def test_logits_and_gradients_equal_the_hand_computation(built, name):
    trainer = built[name]
    model = trainer.model
    batch = next(iter(trainer.train_loader_x))
    images, labels = batch["img"], batch["label"]
    params = [p for p in model.parameters() if p.requires_grad]
    logits = model(images)
    grads = torch.autograd.grad(F.cross_entropy(logits, labels), params)
    image_features, text_features = hand_features(name, model, images)
    expected = model.logit_scale.exp() * unit(image_features) @ unit(text_features).t()
    expected_grads = torch.autograd.grad(F.cross_entropy(expected, labels), params)
    torch.testing.assert_close(logits, expected)
    for grad, expected_grad in zip(grads, expected_grads):
        assert grad.abs().sum() > 0
        torch.testing.assert_close(grad, expected_grad)


@pytest.mark.parametrize("name", sorted(OPTS))
def test_their_name_filters_select_exactly_the_method_prompts(built, name):
    trainable = {n for n, p in built[name].model.named_parameters() if p.requires_grad}
    assert trainable == LEARNED[name]


@pytest.mark.parametrize("name", sorted(OPTS))
def test_trains_one_epoch_and_its_checkpoint_evaluates_new_classes(name, small_dataset, tiny_vit_checkpoint,  # noqa: F811
                                                                  tmp_path):
    trained = run(name, small_dataset, tiny_vit_checkpoint, tmp_path / "base", "base")
    path = tmp_path / "base" / REGISTERED[name] / "model.pth.tar-1"
    saved = load_checkpoint(str(path))["state_dict"]
    learned = {key: p.detach().clone() for key, p in trained.model.named_parameters() if p.requires_grad}
    evaluated = run(name, small_dataset, tiny_vit_checkpoint, tmp_path / "new", "new",
                    ["--eval-only", "--model-dir", str(tmp_path / "base"), "--load-epoch", "1"])
    assert evaluated.dm.dataset.classnames != trained.dm.dataset.classnames
    for key, value in learned.items():
        torch.testing.assert_close(saved[key], value)
        torch.testing.assert_close(dict(evaluated.model.named_parameters())[key], value)
