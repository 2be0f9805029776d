"""Seeded initial values equal upstream's draws: seed -> CLIP construction -> prompt learner (spec 6.2.13)."""
import torch
from torch import nn

from clip.build import NON_PARAMETER_KEYS, infer_config
from clip.checkpoint import read_state_dict
from clip.model import CLIP


def replay_clip_construction(checkpoint, seed=1):
    """Re-seed as train.py --seed does and build the CLIP modules, whose random init consumes the RNG."""
    weights = {key: value for key, value in read_state_dict(checkpoint).items() if key not in NON_PARAMETER_KEYS}
    config = infer_config(weights)
    torch.manual_seed(seed)
    CLIP(**config)
    return config


def random_ctx(n_ctx, width):
    return torch.empty(n_ctx, width).normal_(std=0.02)


def assert_linear_equal(layer, expected):
    assert torch.equal(layer.weight.data, expected.weight.data) and torch.equal(layer.bias.data, expected.bias.data)


def test_coop_random_context(build_trainer_only, tiny_vit_checkpoint):
    trainer = build_trainer_only("CoOp")
    config = replay_clip_construction(tiny_vit_checkpoint)
    assert torch.equal(trainer.prompt_learner.ctx.data, random_ctx(4, config["transformer_width"]))


def test_cocoop_word_context_then_meta_net_layers(build_trainer_only, tiny_vit_checkpoint):
    trainer = build_trainer_only("CoCoOp")
    config = replay_clip_construction(tiny_vit_checkpoint)
    embed_dim, width = config["embed_dim"], config["transformer_width"]
    linear1, linear2 = nn.Linear(embed_dim, embed_dim // 16), nn.Linear(embed_dim // 16, width)
    assert_linear_equal(trainer.prompt_learner.meta_net.linear1, linear1)
    assert_linear_equal(trainer.prompt_learner.meta_net.linear2, linear2)


def test_maple_projection_deep_prompts_then_one_shared_projection(build_trainer_only, tiny_vit_checkpoint):
    trainer = build_trainer_only("MaPLe")
    config = replay_clip_construction(tiny_vit_checkpoint)
    width, vision_width = config["transformer_width"], config["vision_width"]
    proj = nn.Linear(width, vision_width)
    deep = random_ctx(2, width)
    shared = nn.Linear(width, vision_width)
    learner = trainer.prompt_learner
    assert_linear_equal(learner.proj, proj)
    assert torch.equal(learner.compound_prompts_text[0].data, deep)
    assert_linear_equal(learner.compound_prompt_projections[0], shared)


def test_dept_context_then_head(build_trainer_only, tiny_vit_checkpoint):
    trainer = build_trainer_only("DePT", "DATASET.SUBSAMPLE_CLASSES", "base")
    config = replay_clip_construction(tiny_vit_checkpoint)
    ctx = random_ctx(4, config["transformer_width"])
    head = nn.Linear(config["embed_dim"], 2)
    assert torch.equal(trainer.prompt_learner.ctx.data, ctx)
    assert_linear_equal(trainer.model["linear_probe_proj"], head)
    assert trainer.model["film_lp_img"].scale.eq(1).all() and trainer.model["film_lp_text"].bias.eq(0).all()
