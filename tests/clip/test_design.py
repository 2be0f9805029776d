"""`build_model(state_dict, design_details)`: upstream's MaPLe-family protocols honoured or refused."""
import pytest
import torch

import clip
from clip.build import build_model
from clip.design import parse_design
from clip.model import CLIP
from clip.prompt_hooks import replace_tokens
from clip.tiny import tiny_resnet_state_dict, tiny_vit_state_dict

from .conftest import random_images

IVLP = {"trainer": "IVLP", "vision_depth": 2, "language_depth": 2, "vision_ctx": 3, "language_ctx": 2}
ZEROS = {"vision_depth": 0, "language_depth": 0, "vision_ctx": 0, "language_ctx": 0}


@pytest.fixture(scope="module")
def state_dict():
    return tiny_vit_state_dict()


@pytest.fixture(scope="module")
def ivlp_model(state_dict):
    return build_model(state_dict, IVLP).float()


def text_input(model, texts=("a photo of a dog.", "a red truck.")):
    tokens = clip.tokenize(list(texts))
    return tokens, model.token_embedding(tokens) + model.positional_embedding


@pytest.mark.parametrize("details, message", [
    ({"trainer": "CoOp", "prompt_depth": 3}, "unknown key 'prompt_depth'"),
    ({"trainer": "MaPLe", "maple_length": 2, "atprompt_num": 1}, "'atprompt_num' belongs to MaPLe_ATP"),
    ({"trainer": "MaPLe", "maple_length": 2, "attribute_len": 1}, "'attribute_len' belongs to MaPLe_AnchorOPT"),
    ({"trainer": "DePT"}, "'trainer' is 'DePT'"),
    ({"vision_depth": 0}, "'trainer' is None"),
    ({"trainer": "MaPLe", **ZEROS}, "needs 'maple_length' >= 1"),
    ({"trainer": "CoOp", **ZEROS, "vision_depth": 2}, "'vision_depth'=2 has no effect with trainer 'CoOp'"),
    ({"trainer": "IVLP", "vision_depth": 1}, "needs 'language_depth'"),
    ({"trainer": "IVLP", **ZEROS, "vision_depth": 1}, "'vision_depth'=1 needs 'vision_ctx' >= 1"),
    ({"trainer": "VPT", **ZEROS, "vision_depth": 3, "vision_ctx": 2}, "'vision_depth'=3 exceeds the tower's 2 blocks"),
    ({"trainer": "IVLP", **ZEROS, "language_depth": 2.0}, "'language_depth' must be a non-negative int"),
    ({"trainer": "IVLP", **ZEROS, "maple_length": 2}, "'maple_length' is only used by trainer 'MaPLe'"),
])
def test_unimplemented_design_details_raise_one_error_naming_them(state_dict, details, message):
    with pytest.raises(ValueError, match="design_details: .*" + message.replace("(", r"\(")):
        build_model(state_dict, details)


def test_visual_prompts_on_a_resnet_are_refused():
    with pytest.raises(ValueError, match="needs a ViT"):
        build_model(tiny_resnet_state_dict(), {"trainer": "VPT", **ZEROS, "vision_depth": 1, "vision_ctx": 2})


@pytest.mark.parametrize("details", [None, {"trainer": "CoOp", **ZEROS}, {"trainer": "CoCoOp", **ZEROS},
                                     {"trainer": "MaPLe", **ZEROS, "maple_length": 2},
                                     {"trainer": "IVLP", **ZEROS}])
def test_protocols_without_owned_prompts_build_the_plain_clip(state_dict, details):
    model = build_model(state_dict, details)
    plain = build_model(state_dict)
    assert model.state_dict().keys() == plain.state_dict().keys()
    assert not [name for name, _ in model.named_parameters() if "VPT" in name]


def test_ivlp_prompts_live_where_upstream_filters_and_checkpoints_look(ivlp_model, state_dict):
    owned = {name: tuple(p.shape) for name, p in build_model(state_dict, IVLP).named_parameters() if "VPT" in name}
    assert owned == {"visual.VPT": (3, 64), "visual.transformer.resblocks.1.VPT_shallow": (3, 64),
                     "transformer.resblocks.1.VPT_shallow": (2, 64)}
    fp16_model = build_model(state_dict, IVLP)
    assert fp16_model.visual.VPT.dtype == torch.float32 and fp16_model.visual.conv1.weight.dtype == torch.float16


def test_upstream_text_encoder_call_is_sequence_first_and_causal(state_dict, reference_model_module):
    ours = build_model(state_dict).float()
    reference = reference_model_module.build_model(dict(state_dict)).float()
    _, x = text_input(ours)
    torch.testing.assert_close(ours.transformer(x.permute(1, 0, 2)), reference.transformer(x.permute(1, 0, 2)))


def test_owned_prompts_apply_by_default_and_equal_an_explicit_hook(ivlp_model):
    images = random_images(ivlp_model, 2)
    visual = ivlp_model.visual
    deep = [visual.transformer.resblocks[1].VPT_shallow]
    explicit = ivlp_model.encode_image(images, prompt_tokens=visual.VPT, block_hook=replace_tokens(-3, deep),
                                       own_prompts=False)
    torch.testing.assert_close(ivlp_model.encode_image(images), explicit)
    tokens, _ = text_input(ivlp_model)
    text_hook = replace_tokens(1, [ivlp_model.transformer.resblocks[1].VPT_shallow])
    embeddings, eot = ivlp_model.token_embedding(tokens), tokens.argmax(-1)
    torch.testing.assert_close(ivlp_model.encode_text(tokens),
                               ivlp_model.encode_text_embeddings(embeddings, eot, text_hook, own_prompts=False))


def test_own_prompts_off_gives_the_frozen_clip(ivlp_model, state_dict):
    plain = build_model(state_dict).float()
    images = random_images(ivlp_model, 2)
    tokens, _ = text_input(ivlp_model)
    torch.testing.assert_close(ivlp_model.encode_image(images, own_prompts=False), plain.encode_image(images))
    torch.testing.assert_close(ivlp_model.encode_text(tokens, own_prompts=False), plain.encode_text(tokens))
    assert not torch.allclose(ivlp_model.encode_image(images), plain.encode_image(images))


def test_a_hook_next_to_owned_prompts_is_ambiguous_and_refused(ivlp_model):
    tokens, _ = text_input(ivlp_model)
    hook = replace_tokens(1, [torch.zeros(2, 64)])
    with pytest.raises(ValueError, match="own_prompts=False"):
        ivlp_model.encode_text_embeddings(ivlp_model.token_embedding(tokens), tokens.argmax(-1), hook)
    with pytest.raises(ValueError, match="own_prompts=False"):
        ivlp_model.encode_image(random_images(ivlp_model, 1), prompt_tokens=torch.zeros(3, 64))


def test_maple_call_shapes_equal_the_hook_interface(state_dict):
    model = build_model(state_dict, {"trainer": "MaPLe", **ZEROS, "maple_length": 2}).float()
    generator = torch.Generator().manual_seed(0)
    text_deep, shared, vision_deep = (torch.randn(2, 64, generator=generator) for _ in range(3))
    _, x = text_input(model)
    out, prompts, counter = model.transformer([x.permute(1, 0, 2), [text_deep], 0])
    expected = model.transformer(x.permute(1, 0, 2), block_hook=replace_tokens(1, [text_deep]))
    torch.testing.assert_close(out, expected)
    assert prompts == [text_deep] and counter == 1
    images = random_images(model, 2)
    torch.testing.assert_close(model.visual(images, shared, [vision_deep]),
                               model.encode_image(images, shared, replace_tokens(-2, [vision_deep])))
    with pytest.raises(ValueError, match="maple_length is 2"):
        model.transformer([x.permute(1, 0, 2), [torch.zeros(3, 64)], 0])


def test_owned_prompts_are_drawn_where_upstreams_ivlp_model_draws_them(reference_model_module):
    """Upstream's IVLP ViT draws `VPT` right after conv1 and each block's `VPT_shallow` after its ln_2,
    so a seed gives upstream's initial prompts; replayed here with OpenAI's own modules."""
    config = dict(embed_dim=32, image_resolution=32, vision_layers=2, vision_width=64, vision_patch_size=16,
                  context_length=77, vocab_size=49408, transformer_width=64, transformer_heads=1,
                  transformer_layers=2)
    torch.manual_seed(0)
    model = CLIP(**config, design=parse_design(IVLP))
    torch.manual_seed(0)
    torch.nn.Conv2d(3, 64, kernel_size=16, stride=16, bias=False)
    vpt = torch.nn.init.normal_(torch.empty(3, 64), std=0.02)
    torch.randn(64), torch.randn(5, 64)
    reference_model_module.ResidualAttentionBlock(64, 1), reference_model_module.ResidualAttentionBlock(64, 1)
    block_prompt = torch.nn.init.normal_(torch.empty(3, 64), std=0.02)
    torch.testing.assert_close(model.visual.VPT.detach(), vpt)
    torch.testing.assert_close(model.visual.transformer.resblocks[1].VPT_shallow.detach(), block_prompt)
