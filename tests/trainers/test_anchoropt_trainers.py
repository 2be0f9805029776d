"""Per-baseline AnchorOPT wiring (spec §3.2–3.6, W-C7): one P per forward, context init, test scoring, loading."""
import collections
import os

import pytest
import torch
from torch import nn

import clip
from dassl.config import get_cfg_default
from dassl.utils import save_checkpoint
from tests.fixtures.dataset_fixtures import make_synthetic_dataset
from tests.plugins.test_anchoropt_support import write_original_anchor_file
from clip.model import CLIP
from tests.trainers.test_anchor_pipeline import run
from tests.trainers.test_initialisation import assert_linear_equal, random_ctx, replay_clip_construction
from trainers.config import extend_cfg
from trainers.plugins.anchoropt import AnchorOPTMixin

WIDTH = 64
COCOOP_CONFIG = "CoCoOp/vit_b16_c4_ep10_batch1_ctxv1"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return make_synthetic_dataset(str(tmp_path_factory.mktemp("data")), name="Caltech101", n_classes=4)


@pytest.fixture(scope="module")
def anchor_file(tmp_path_factory):
    return write_original_anchor_file(str(tmp_path_factory.mktemp("anchor") / "model.pth.tar"), torch.randn(1, WIDTH))


@pytest.fixture()
def build(dataset, tiny_vit_checkpoint, anchor_file, tmp_path):
    def build_trainer(trainer, config, *extra, subsample="base"):
        keys = ["TRAINER.ANCHOROPT.ANCHOR_PATH", anchor_file, *extra]
        return run(trainer, config, dataset, tiny_vit_checkpoint, tmp_path, subsample, keys, no_train=True)

    return build_trainer


def count_position_samples(layout):
    calls = []
    sample = layout.sample_positions
    layout.sample_positions = lambda: (calls.append(1), sample())[1]
    return calls


def test_cocoop_draws_one_position_matrix_per_batch_not_per_image(build):
    trainer = build("CoCoOp_AnchorOPT", COCOOP_CONFIG)
    calls = count_position_samples(trainer.prompt_learner)
    images = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        trainer.logits(images)
        trainer.set_model_mode("eval")
        trainer.model_inference(images)
    assert len(calls) == 2


def test_cocoop_word_initialises_from_coop_ctx_init_and_counts_its_words(build):
    trainer = build("CoCoOp_AnchorOPT", COCOOP_CONFIG, "TRAINER.COOP.CTX_INIT", "a_photo_of_a")
    layout = trainer.prompt_learner
    words = trainer.clip_model.token_embedding(clip.tokenize("a photo of a"))[0, 1:5]
    assert layout.n_ctx == 4 and layout.ctx_pos_params.shape == (5, 5)
    torch.testing.assert_close(layout.ctx.detach(), words)
    template = clip.tokenize(f"a photo of a {layout.classnames[0]}.")
    assert torch.equal(layout.tokenized_prompts[0], template[0])


@pytest.mark.parametrize("trainer, config", [("CoOp_AnchorOPT", "CoOp/vit_b16"), ("CoCoOp_AnchorOPT", COCOOP_CONFIG)])
def test_other_ctx_init_keys_are_ignored(build, trainer, config):
    built = build(trainer, config, "TRAINER.COCOOP.CTX_INIT", "a photo of a", "TRAINER.MAPLE.CTX_INIT", "a photo",
                  *(["TRAINER.COOP.CTX_INIT", "a photo of a"] if trainer == "CoOp_AnchorOPT" else []))
    layout = built.prompt_learner
    assert layout.n_ctx == 2
    assert clip.tokenize(f"X X {layout.classnames[0]}.")[0].tolist() == layout.tokenized_prompts[0].tolist()


class _Scorer(AnchorOPTMixin):
    def __init__(self, dataset_name, subsample):
        self.cfg = get_cfg_default()
        extend_cfg(self.cfg)
        self.cfg.DATASET.NAME, self.cfg.DATASET.SUBSAMPLE_CLASSES = dataset_name, subsample


@pytest.mark.parametrize("dataset_name, subsample, scoring", [
    ("Caltech101", "base", "prompt"),
    ("Caltech101", "new", "ensemble"),
    ("ImageNet", "all", "prompt"),
    ("ImageNetV2", "all", "ensemble"),
    ("DescribableTextures", "all", "ensemble"),
])
def test_test_logits_follow_whether_the_classes_were_trained_on(dataset_name, subsample, scoring):
    assert _Scorer(dataset_name, subsample).test_scoring() == scoring


def test_xd_logits_flag_scores_unseen_targets_by_the_prompt():
    scorer = _Scorer("DescribableTextures", "all")
    scorer.cfg.TRAINER.ANCHOROPT.XD_LOGITS = "prompt"
    assert scorer.test_scoring() == "prompt"


def test_upstream_dept_checkpoint_with_bare_prompt_keys_loads(build, tmp_path, capsys):
    trainer = build("DePT_AnchorOPT", "DePT/vit_b16_ep10_bs4_lr35", subsample="new")
    ctx, positions = torch.randn(2, WIDTH).half(), torch.randn(3, 3)
    upstream = collections.OrderedDict(ctx=ctx, ctx_pos_params=positions, token_prefix=torch.zeros(5, 1, WIDTH),
                                       token_suffix=torch.zeros(5, 74, WIDTH))
    state = {"state_dict": upstream, "epoch": 10, "optimizer": None, "scheduler": None, "val_result": None}
    save_checkpoint(state, os.path.join(tmp_path, "upstream", "normal_prompt_learner"), model_name="model.pth.tar-10")
    trainer.load_model(str(tmp_path / "upstream"), epoch=10)
    layout = trainer.prompt_learner
    assert torch.equal(layout.ctx.detach(), ctx.float()) and torch.equal(layout.ctx_pos_params.detach(), positions)
    warning = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Warning: the checkpoint")]
    assert len(warning) == 1 and "'film_lp_img.scale'" in warning[0] and "prompt_learner.ctx'" not in warning[0]


@pytest.mark.parametrize("replay", [True, False])
def test_coop_draws_upstreams_discarded_anchor_learner_then_ctx_then_positions(build, tiny_vit_checkpoint, replay):
    trainer = build("CoOp_AnchorOPT", "CoOp/vit_b16", "TRAINER.ANCHOROPT.REPLAY_UPSTREAM_DRAWS", str(replay))
    config = replay_clip_construction(tiny_vit_checkpoint)
    if replay:
        torch.empty(1, WIDTH).normal_(std=0.02)
        CLIP(**config)
    assert torch.equal(trainer.prompt_learner.ctx.data, random_ctx(2, WIDTH))
    assert torch.equal(trainer.prompt_learner.ctx_pos_params.data, torch.randn(3, 3))


def test_dept_draws_the_anchor_learner_ctx_positions_then_head(build, tiny_vit_checkpoint):
    trainer = build("DePT_AnchorOPT", "DePT/vit_b16_ep10_bs4_lr35")
    config = replay_clip_construction(tiny_vit_checkpoint)
    torch.empty(1, WIDTH).normal_(std=0.02)
    CLIP(**config)
    ctx, positions, head = random_ctx(2, WIDTH), torch.randn(3, 3), nn.Linear(config["embed_dim"], 2)
    assert torch.equal(trainer.prompt_learner.ctx.data, ctx)
    assert torch.equal(trainer.prompt_learner.ctx_pos_params.data, positions)
    assert_linear_equal(trainer.model["linear_probe_proj"], head)


@pytest.mark.parametrize("replay", [True, False])
def test_maple_draws_vanilla_clip_anchor_then_ctx_proj_positions_deep_prompts_projection(build, tiny_vit_checkpoint,
                                                                                         replay):
    trainer = build("MaPLe_AnchorOPT", "MaPLe/vit_b16_c2_ep5_batch4_2ctx", "TRAINER.MAPLE.PROMPT_DEPTH", "2",
                    "TRAINER.ANCHOROPT.REPLAY_UPSTREAM_DRAWS", str(replay))
    config = replay_clip_construction(tiny_vit_checkpoint)
    if replay:
        CLIP(**config)
        torch.empty(1, WIDTH).normal_(std=0.02)
    ctx, proj = random_ctx(2, WIDTH), nn.Linear(WIDTH, config["vision_width"])
    positions, deep, shared = torch.randn(3, 3), random_ctx(2, WIDTH), nn.Linear(WIDTH, config["vision_width"])
    layout = trainer.prompt_learner
    assert torch.equal(layout.ctx.data, ctx) and torch.equal(layout.ctx_pos_params.data, positions)
    assert_linear_equal(layout.proj, proj)
    assert torch.equal(layout.compound_prompts_text[0].data, deep)
    assert_linear_equal(layout.compound_prompt_projections[0], shared)


@pytest.mark.parametrize("replay", [True, False])
def test_cocoop_draws_anchor_then_ctx_positions_meta_net(build, tiny_vit_checkpoint, replay):
    trainer = build("CoCoOp_AnchorOPT", COCOOP_CONFIG, "TRAINER.ANCHOROPT.REPLAY_UPSTREAM_DRAWS", str(replay))
    config = replay_clip_construction(tiny_vit_checkpoint)
    if replay:
        torch.empty(1, WIDTH).normal_(std=0.02)  # upstream's anchor learner only: no second CLIP here
    ctx, positions = random_ctx(2, WIDTH), torch.randn(3, 3)
    embed_dim = config["embed_dim"]
    linear1, linear2 = nn.Linear(embed_dim, embed_dim // 16), nn.Linear(embed_dim // 16, WIDTH)
    layout = trainer.prompt_learner
    assert torch.equal(layout.ctx.data, ctx) and torch.equal(layout.ctx_pos_params.data, positions)
    assert_linear_equal(layout.meta_net.linear1, linear1)
    assert_linear_equal(layout.meta_net.linear2, linear2)
