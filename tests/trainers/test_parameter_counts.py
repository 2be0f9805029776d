"""Trainable parameter counts at ViT-B/16 widths (spec appendix B), on a one-layer CLIP of those widths."""
import pytest
import torch

from clip.model import CLIP
from trainers.cocoop import CoCoOp
from trainers.coop import CoOp
from trainers.dept import DePT
from trainers.maple import add_coupling, maple_context

from .stub_trainers import stub_trainer

CLASSNAMES = ["flower", "red car", "dog"]


@pytest.fixture(scope="module")
def vit_b16_widths():
    """E = Dt = 512, Dv = 768, one block per tower: the widths are all the counts depend on."""
    with torch.random.fork_rng(devices=[]):
        return CLIP(embed_dim=512, image_resolution=32, vision_layers=1, vision_width=768, vision_patch_size=16,
                    context_length=77, vocab_size=49408, transformer_width=512, transformer_heads=8,
                    transformer_layers=1).eval()


def trainable_count(trainer, learner):
    trainer.select_trainable(learner)
    return sum(p.numel() for p in learner.parameters() if p.requires_grad)


def test_coop_sixteen_generic_tokens(vit_b16_widths):
    trainer = stub_trainer(CoOp, vit_b16_widths)
    assert trainable_count(trainer, trainer.build_learner(CLASSNAMES)) == 8_192


def test_cocoop_four_tokens_and_meta_net(vit_b16_widths):
    trainer = stub_trainer(CoCoOp, vit_b16_widths, "TRAINER.COCOOP.N_CTX", "4")
    assert trainable_count(trainer, trainer.build_learner(CLASSNAMES)) == 35_360


def test_maple_two_tokens_depth_nine(vit_b16_widths):
    trainer = stub_trainer(CoOp, vit_b16_widths)
    layout = trainer.build_layout(CLASSNAMES, maple_context(trainer.cfg.TRAINER.MAPLE))
    add_coupling(layout, vit_b16_widths, depth=9, proj_dtype=torch.float32)
    assert sum(p.numel() for p in layout.parameters()) == 3_555_072


def test_dept_four_tokens_two_films_and_head(vit_b16_widths):
    trainer = stub_trainer(DePT, vit_b16_widths, "TRAINER.COOP.N_CTX", "4", "DATASET.SUBSAMPLE_CLASSES", "base")
    assert trainable_count(trainer, trainer.build_learner(CLASSNAMES)) == 2_048 + 2_048 + 513 * len(CLASSNAMES)
