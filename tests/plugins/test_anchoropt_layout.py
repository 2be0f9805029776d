"""AnchoredLayout (spec §3.1, §3.5, §7): token layout, pooling flag, position matrix, deep hook, anchor loading."""
import pytest
import torch

import clip
from trainers.parts.prompt_layout import ContextSpec, build_prompt_layout
from trainers.plugins.anchoropt import AnchoredDeepPrompts, load_stage_one_anchor
from trainers.plugins.anchoropt_anchor import AnchorPrompt, read_anchor_file

from tests.plugins.test_anchoropt_support import anchoropt_cfg, tiny_clip, write_original_anchor_file

CLASSNAMES = ["face", "sea or lake", "cougar_body"]
WIDTH = 64


@pytest.fixture()
def anchor_file(tmp_path):
    torch.manual_seed(3)
    return write_original_anchor_file(str(tmp_path / "model.pth.tar"), torch.randn(1, WIDTH))


def _layout(tiny_vit_checkpoint, anchor_file, **keys):
    cfg = anchoropt_cfg(tiny_vit_checkpoint, anchor_file, **keys)
    clip_model = tiny_clip(cfg)
    layout = build_prompt_layout(cfg, CLASSNAMES, clip_model, ContextSpec(n_ctx=16), layout="anchored")
    return cfg, clip_model, layout


def test_original_format_anchor_file_loads_as_fp32_tensor(anchor_file):
    anchor = read_anchor_file(anchor_file)
    assert anchor.shape == (1, WIDTH) and anchor.dtype == torch.float32
    original = torch.load(anchor_file, weights_only=False)["state_dict"]["anchor_ctx_1"]
    assert torch.equal(anchor, original.float())


def test_missing_anchor_file_error_names_key_and_stage_one_command(tmp_path, tiny_vit_checkpoint):
    cfg = anchoropt_cfg(tiny_vit_checkpoint, "", ANCHOR_ROOT=str(tmp_path))
    cfg.DATASET.NAME = "DescribableTextures"
    cfg.DATASET.SUBSAMPLE_CLASSES = "base"
    with pytest.raises(FileNotFoundError) as error:
        load_stage_one_anchor(cfg)
    message = str(error.value)
    assert "\n" not in message
    assert str(tmp_path / "DTD" / "anchor_prompt_learner" / "model.pth.tar") in message
    assert "TRAINER.ANCHOROPT.ANCHOR_PATH" in message and "scripts/anchoropt/anchor_pretrain.sh dtd" in message


def test_explicit_anchor_path_needs_no_dataset_row(tiny_vit_checkpoint, anchor_file, tmp_path):
    cfg = anchoropt_cfg(tiny_vit_checkpoint, anchor_file)
    cfg.DATASET.NAME, cfg.DATASET.SUBSAMPLE_CLASSES = "ProceduralWorld", "base"
    assert torch.equal(load_stage_one_anchor(cfg), read_anchor_file(anchor_file))
    cfg.TRAINER.ANCHOROPT.ANCHOR_PATH = str(tmp_path / "missing.pth.tar")
    with pytest.raises(FileNotFoundError, match="anchor_pretrain.sh <dataset config stem>"):
        load_stage_one_anchor(cfg)


def test_cross_dataset_source_mode_defaults_to_the_source_anchor(tmp_path, tiny_vit_checkpoint):
    cfg = anchoropt_cfg(tiny_vit_checkpoint, "", ANCHOR_ROOT=str(tmp_path))
    cfg.DATASET.NAME = "Caltech101"
    cfg.DATASET.SUBSAMPLE_CLASSES = "all"
    with pytest.raises(FileNotFoundError, match="ImageNet"):
        load_stage_one_anchor(cfg)
    cfg.TRAINER.ANCHOROPT.XD_ANCHOR = "target_upstream"
    with pytest.raises(FileNotFoundError, match="Caltech101"):
        load_stage_one_anchor(cfg)


def test_layout_uses_anchoropt_n_ctx_and_keeps_77_tokens(tiny_vit_checkpoint, anchor_file):
    _, _, layout = _layout(tiny_vit_checkpoint, anchor_file, N_CTX=4)
    embeddings, pool_index = layout()
    assert layout.ctx.shape == (4, WIDTH) and layout.position_logits.shape == (5, 5)
    assert layout.position_logits.dtype == torch.float32
    assert embeddings.shape == (3, 77, WIDTH)
    assert torch.equal(layout.anchor, read_anchor_file(anchor_file))


def test_context_then_position_logits_are_drawn_on_the_cpu_in_upstream_order(tiny_vit_checkpoint, anchor_file):
    cfg = anchoropt_cfg(tiny_vit_checkpoint, anchor_file, N_CTX=4)
    clip_model = tiny_clip(cfg)
    torch.manual_seed(5)
    layout = build_prompt_layout(cfg, CLASSNAMES, clip_model, ContextSpec(n_ctx=16), layout="anchored")
    torch.manual_seed(5)
    ctx = torch.empty(4, WIDTH).normal_(std=0.02)
    assert torch.equal(layout.ctx.detach(), ctx)
    assert torch.equal(layout.position_logits.detach(), torch.randn(5, 5))


def test_deep_layout_leaves_position_logits_to_the_trainer(tiny_vit_checkpoint, anchor_file):
    cfg = anchoropt_cfg(tiny_vit_checkpoint, anchor_file, N_CTX=2)
    layout = build_prompt_layout(cfg, CLASSNAMES, tiny_clip(cfg), ContextSpec(n_ctx=2), layout="anchored_deep")
    assert not layout.position_logits.any()
    torch.manual_seed(2)
    layout.draw_position_logits()
    torch.manual_seed(2)
    assert torch.equal(layout.position_logits.detach(), torch.randn(3, 3))


def test_deep_layout_rejects_longer_anchors(tiny_vit_checkpoint, anchor_file):
    cfg = anchoropt_cfg(tiny_vit_checkpoint, anchor_file, ANCHOR_LEN=2)
    with pytest.raises(ValueError, match="ANCHOR_LEN 1"):
        build_prompt_layout(cfg, CLASSNAMES, tiny_clip(cfg), ContextSpec(n_ctx=2), layout="anchored_deep")


def test_anchor_prompt_of_a_given_anchor_draws_no_random_number(tiny_vit_checkpoint):
    clip_model = tiny_clip(anchoropt_cfg(tiny_vit_checkpoint))
    state = torch.get_rng_state()
    prompt = AnchorPrompt(CLASSNAMES, clip_model, torch.ones(1, WIDTH))
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(prompt()[:, 1], torch.ones(3, WIDTH))


def test_slots_are_the_positioned_soft_tokens_and_anchor(tiny_vit_checkpoint, anchor_file):
    _, clip_model, layout = _layout(tiny_vit_checkpoint, anchor_file, N_CTX=2)
    embeddings, _ = layout()
    candidates = torch.cat([layout.ctx, layout.anchor])
    picked = layout.positions.argmax(dim=-1)
    assert torch.equal(embeddings[:, 1:4], candidates[picked].expand(3, -1, -1))
    template = clip.tokenize([f"X X {name}." for name in ["face", "sea or lake", "cougar body"]])
    template_embeddings = clip_model.token_embedding(template)
    assert torch.equal(embeddings[:, 0], template_embeddings[:, 0])
    assert torch.equal(embeddings[:, 4:], template_embeddings[:, 3:76])


def test_upstream_pooling_reads_the_period_and_eos_mode_the_real_eos(tiny_vit_checkpoint, anchor_file):
    _, _, layout = _layout(tiny_vit_checkpoint, anchor_file, N_CTX=4)
    real_sequence = clip.tokenize(["X X X X X face."])[0]
    period, eos = clip.tokenize(".")[0, 1], real_sequence.argmax()
    assert real_sequence[layout.pool_index[0]] == period
    _, _, eos_layout = _layout(tiny_vit_checkpoint, anchor_file, N_CTX=4, POOL_INDEX="eos")
    assert eos_layout.pool_index[0] == eos


def test_positions_rows_are_one_hot_and_gradients_reach_the_logits(tiny_vit_checkpoint, anchor_file):
    _, clip_model, layout = _layout(tiny_vit_checkpoint, anchor_file, N_CTX=4)
    embeddings, pool_index = layout()
    assert torch.equal(layout.positions.sum(dim=-1), torch.ones(5))
    assert set(layout.positions.unique().tolist()) <= {0.0, 1.0}
    clip_model.encode_text_embeddings(embeddings, pool_index).sum().backward()
    assert layout.position_logits.grad.abs().sum() > 0
    assert layout.ctx.grad.abs().sum() > 0
    assert not layout.anchor.requires_grad


def test_argmax_test_positions_are_deterministic_and_training_samples_noise(tiny_vit_checkpoint, anchor_file):
    _, _, layout = _layout(tiny_vit_checkpoint, anchor_file, N_CTX=4, TEST_POSITION="argmax")
    layout.eval()
    first, _ = layout()
    second, _ = layout()
    assert torch.equal(first, second)
    assert torch.equal(layout.positions.argmax(dim=-1), layout.position_logits.argmax(dim=-1))


def test_class_shift_moves_soft_tokens_but_not_the_anchor(tiny_vit_checkpoint, anchor_file):
    _, _, layout = _layout(tiny_vit_checkpoint, anchor_file, N_CTX=2, TEST_POSITION="argmax")
    layout.eval()
    with torch.no_grad():
        layout.ctx_pos_params.copy_(torch.eye(3) * 10)
    shift = torch.ones(2, WIDTH)
    embeddings, _ = layout(class_shift=shift)
    assert embeddings.shape == (2, 3, 77, WIDTH)
    assert torch.allclose(embeddings[1, :, 1:3], (layout.ctx + 1).expand(3, -1, -1))
    assert torch.equal(embeddings[1, :, 3], layout.anchor[0].expand(3, -1))


def _deep_hook(positions, fixed):
    prompts = [torch.full((2, 4), 10.0), torch.full((2, 4), 20.0)]
    return AnchoredDeepPrompts(positions, prompts, n_ctx=2, fixed_index=fixed), prompts


def test_deep_hook_carries_the_anchor_hidden_state_from_its_slot():
    positions = torch.tensor([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    x = torch.arange(2 * 6 * 4, dtype=torch.float32).view(2, 6, 4)
    fixed_hook, prompts = _deep_hook(positions, fixed=True)
    upstream_hook, _ = _deep_hook(positions, fixed=False)
    fixed = fixed_hook(1, x)
    assert torch.equal(fixed[:, 1], x[:, 1])
    assert torch.equal(fixed[:, 2:4], prompts[0].expand(2, -1, -1))
    assert torch.equal(fixed[:, [0, 4, 5]], x[:, [0, 4, 5]])
    assert torch.equal(upstream_hook(2, x)[:, 1], x[:, 0])
    assert torch.equal(upstream_hook(0, x), x) and torch.equal(upstream_hook(3, x), x)


def test_deep_hook_without_anchor_row_uses_only_the_deep_prompts():
    positions = torch.tensor([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    hook = AnchoredDeepPrompts(positions, [torch.stack([torch.full((4,), 1.0), torch.full((4,), 2.0)])], 2, False)
    out = hook(1, torch.zeros(2, 6, 4))
    assert out[:, 1:4, 0].tolist() == [[2.0, 2.0, 1.0]] * 2
