"""Which learnable tensors are fp16 under an fp16 CLIP (spec 6.2 item 1), with and without fp32 master weights."""
import pytest
import torch

import clip
from clip import tiny
from trainers.cocoop import CoCoOp
from trainers.coop import CoOp
from trainers.dept import DePT
from trainers.maple import MaPLe

from .stub_trainers import stub_trainer

HALF, FULL = torch.float16, torch.float32
UPSTREAM_DTYPES = {
    CoOp: {"ctx": HALF},
    CoCoOp: {"ctx": HALF, "meta_net.linear1.weight": HALF, "meta_net.linear2.bias": HALF},
    MaPLe: {"prompt_learner.ctx": HALF, "prompt_learner.proj.weight": HALF,
            "prompt_learner.compound_prompts_text.0": FULL,
            "prompt_learner.compound_prompt_projections.0.weight": FULL},
    DePT: {"prompt_learner.ctx": HALF, "linear_probe_proj.weight": HALF, "film_lp_img.scale": FULL,
           "film_lp_text.bias": FULL},
}
OPTS = ["TRAINER.MAPLE.PROMPT_DEPTH", "2", "DATASET.SUBSAMPLE_CLASSES", "base"]


@pytest.fixture(scope="module")
def half_clip():
    return clip.build_model(tiny.tiny_vit_state_dict())


def learner_dtypes(trainer_class, clip_model, *opts):
    learner = stub_trainer(trainer_class, clip_model, *OPTS, *opts).build_learner(["flower", "red car"])
    return {name: param.dtype for name, param in learner.named_parameters()}


@pytest.mark.parametrize("trainer_class", list(UPSTREAM_DTYPES), ids=lambda cls: cls.__name__)
def test_upstream_precision_by_default(trainer_class, half_clip):
    dtypes = learner_dtypes(trainer_class, half_clip)
    assert {name: dtypes[name] for name in UPSTREAM_DTYPES[trainer_class]} == UPSTREAM_DTYPES[trainer_class]


@pytest.mark.parametrize("trainer_class", list(UPSTREAM_DTYPES), ids=lambda cls: cls.__name__)
def test_fp32_master_weights_keep_every_learnable_tensor_fp32(trainer_class, half_clip):
    assert set(learner_dtypes(trainer_class, half_clip, "TRAINER.FP32_MASTER_WEIGHTS", "True").values()) == {FULL}


def test_maple_shallow_visual_prompt_is_fp16_and_deep_ones_fp32_until_injected(half_clip):
    trainer = stub_trainer(MaPLe, half_clip, *OPTS)
    trainer.prompt_learner = trainer.build_learner(["flower"])["prompt_learner"]
    shallow, deep = trainer.visual_prompts()
    assert shallow.dtype == HALF and [prompt.dtype for prompt in deep] == [FULL]
