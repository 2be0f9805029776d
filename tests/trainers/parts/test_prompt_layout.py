"""PlainContextLayout: token positions, EOT index, word init, class-token placement, per-image shift, deep window."""
import pytest
import torch

import clip
import train
from clip import tiny
from dassl.config import ConfigError
from trainers.parts.prompt_layout import ContextSpec, PROMPT_LAYOUTS, build_prompt_layout, embed_token_ids

SOT, EOT, X = 49406, 49407, 343


@pytest.fixture(scope="module")
def clip_model():
    return clip.build_model(tiny.tiny_vit_state_dict()).float().eval()


@pytest.fixture(scope="module")
def cfg():
    return train.setup_cfg(train.build_parser().parse_args([]))


def layout_for(cfg, clip_model, classnames, **context):
    return build_prompt_layout(cfg, classnames, clip_model, ContextSpec(**context))


def test_end_layout_template_ids_and_eot_index(cfg, clip_model):
    layout = layout_for(cfg, clip_model, ["flower"], n_ctx=16)
    ids = layout.tokenized_prompts[0]
    assert ids[:20].tolist() == [SOT] + [X] * 16 + [4055, 269, EOT]
    assert ids[20:].eq(0).all()
    assert layout.pool_index.tolist() == [19]
    assert layout.token_suffix.shape == (1, 60, clip_model.ln_final.weight.shape[0])


def test_end_layout_places_context_after_sot(cfg, clip_model):
    layout = layout_for(cfg, clip_model, ["flower", "red car"], n_ctx=4)
    embeddings, pool_index = layout()
    template = embed_token_ids(clip_model, layout.tokenized_prompts)
    assert embeddings.shape == (2, 77, template.shape[-1])
    torch.testing.assert_close(embeddings[:, 0], template[:, 0])
    torch.testing.assert_close(embeddings[:, 1:5], layout.ctx.expand(2, -1, -1))
    torch.testing.assert_close(embeddings[:, 5:], template[:, 5:])
    assert pool_index.tolist() == [7, 8]


@pytest.mark.parametrize("position, name_start, ctx_slices", [
    ("front", 1, [(3, 7, 0, 4)]),
    ("middle", 3, [(1, 3, 0, 2), (5, 7, 2, 4)]),
])
def test_class_token_position(cfg, clip_model, position, name_start, ctx_slices):
    layout = layout_for(cfg, clip_model, ["red car"], n_ctx=4, class_token_position=position)
    embeddings, pool_index = layout()
    name = embed_token_ids(clip_model, clip.tokenize("red car"))[0, 1:3]
    torch.testing.assert_close(embeddings[0, name_start:name_start + 2], name)
    for seq_start, seq_end, ctx_start, ctx_end in ctx_slices:
        torch.testing.assert_close(embeddings[0, seq_start:seq_end], layout.ctx[ctx_start:ctx_end])
    assert pool_index.tolist() == [8]


def test_context_initialised_from_words(cfg, clip_model):
    layout = layout_for(cfg, clip_model, ["flower"], n_ctx=4, init_text="a photo of a")
    words = embed_token_ids(clip_model, clip.tokenize("a photo of a"))[0, 1:5]
    torch.testing.assert_close(layout.ctx.data, words)
    assert layout.tokenized_prompts[0, :8].tolist() == clip.tokenize("a photo of a flower.")[0, :8].tolist()


def test_words_beyond_context_length_stay_fixed_text(cfg, clip_model):
    layout = layout_for(cfg, clip_model, ["flower"], n_ctx=2, init_text="a photo of a")
    embeddings, _ = layout()
    template = embed_token_ids(clip_model, clip.tokenize("a photo of a flower."))
    torch.testing.assert_close(embeddings[0, 3:5], template[0, 3:5])
    assert layout.token_suffix.shape[1] == 77 - 3


def test_class_specific_context_has_one_context_per_class(cfg, clip_model):
    layout = layout_for(cfg, clip_model, ["flower", "car"], n_ctx=3, class_specific=True)
    embeddings, _ = layout()
    assert layout.ctx.shape == (2, 3, clip_model.ln_final.weight.shape[0])
    torch.testing.assert_close(embeddings[:, 1:4], layout.ctx)


def test_per_image_shift_moves_class_soft_tokens_only(cfg, clip_model):
    layout = layout_for(cfg, clip_model, ["flower", "car"], n_ctx=4)
    plain, _ = layout()
    shift = torch.randn(3, plain.shape[-1])
    shifted, _ = layout(class_shift=shift)
    assert shifted.shape == (3, 2, 77, plain.shape[-1])
    torch.testing.assert_close(shifted[:, :, 1:5], plain[:, 1:5].unsqueeze(0) + shift[:, None, None, :])
    torch.testing.assert_close(shifted[:, :, 0], plain[:, 0].expand(3, -1, -1))
    torch.testing.assert_close(shifted[:, :, 5:], plain[:, 5:].expand(3, -1, -1, -1))


def test_deep_text_hook_writes_the_context_window(cfg, clip_model):
    layout = layout_for(cfg, clip_model, ["flower"], n_ctx=2)
    deep = torch.randn(2, layout.width)
    hook = layout.deep_text_hook([deep])
    x = torch.randn(3, 77, layout.width)
    written = hook(1, x)
    torch.testing.assert_close(written[:, 1:3], deep.expand(3, -1, -1))
    torch.testing.assert_close(written[:, [0] + list(range(3, 77))], x[:, [0] + list(range(3, 77))])
    torch.testing.assert_close(hook(0, x), x)


@pytest.mark.parametrize("master_weights, ctx_dtype", [(False, torch.float16), (True, torch.float32)])
def test_context_dtype_under_fp16_clip(cfg, master_weights, ctx_dtype):
    """Upstream trains an fp16 ctx by default (spec 6.2 item 1); the flag keeps an fp32 master instead."""
    half_clip = clip.build_model(tiny.tiny_vit_state_dict())
    flagged = cfg.clone()
    flagged.defrost()
    flagged.TRAINER.FP32_MASTER_WEIGHTS = master_weights
    layout = layout_for(flagged, half_clip, ["flower"], n_ctx=2)
    assert layout.ctx.dtype == ctx_dtype
    assert layout()[0].dtype == torch.float16


def test_master_weights_are_off_by_default(cfg):
    assert cfg.TRAINER.FP32_MASTER_WEIGHTS is False


def test_random_context_is_drawn_on_the_cpu_generator_in_the_clip_dtype(cfg):
    half_clip = clip.build_model(tiny.tiny_vit_state_dict())
    torch.manual_seed(3)
    layout = layout_for(cfg, half_clip, ["flower", "car"], n_ctx=4, class_specific=True)
    torch.manual_seed(3)
    expected = torch.empty(2, 4, layout.width, dtype=torch.float16).normal_(std=0.02)
    assert torch.equal(layout.ctx.data, expected)


def test_unknown_layout_is_a_clear_error(cfg, clip_model):
    with pytest.raises(KeyError, match="Unknown prompt layout 'nope'"):
        build_prompt_layout(cfg, ["flower"], clip_model, ContextSpec(2), layout="nope")
    assert PROMPT_LAYOUTS["plain"].__name__ == "PlainContextLayout"


def test_unknown_class_token_position_is_a_config_error(cfg, clip_model):
    with pytest.raises(ConfigError, match="CLASS_TOKEN_POSITION must be one of"):
        layout_for(cfg, clip_model, ["red car"], n_ctx=4, class_token_position="start")
