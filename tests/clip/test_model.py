import pytest
import torch

import clip
from clip.build import build_model, infer_config
from clip.model import CLIP
from clip.tiny import tiny_resnet_state_dict, tiny_vit_state_dict

from .conftest import model_pair, random_images

TEXTS = ["a photo of a dog.", "an airplane", "a close-up photo of the Golden Retriever!", ""]


@pytest.mark.parametrize("pair_name", ["vit_pair", "resnet_pair"])
def test_encode_image_matches_openai(pair_name, request):
    ours, reference = request.getfixturevalue(pair_name)
    images = random_images(ours)
    with torch.no_grad():
        torch.testing.assert_close(ours.encode_image(images), reference.encode_image(images), rtol=0, atol=1e-5)


@pytest.mark.parametrize("pair_name", ["vit_pair", "resnet_pair"])
def test_encode_text_matches_openai(pair_name, request):
    ours, reference = request.getfixturevalue(pair_name)
    tokens = clip.tokenize(TEXTS)
    with torch.no_grad():
        torch.testing.assert_close(ours.encode_text(tokens), reference.encode_text(tokens), rtol=0, atol=1e-5)


def test_forward_logits_match_openai(vit_pair):
    ours, reference = vit_pair
    images, tokens = random_images(ours), clip.tokenize(TEXTS)
    with torch.no_grad():
        for our_logits, reference_logits in zip(ours(images, tokens), reference(images, tokens)):
            torch.testing.assert_close(our_logits, reference_logits, rtol=0, atol=1e-4)


@pytest.mark.parametrize("pair_name", ["half_vit_pair", "half_resnet_pair"])
def test_fp16_encoders_and_logits_equal_openai_bit_for_bit(pair_name, request):
    """Same fp16 weights, same op order and memory layouts as the reference: identical rounding (spec 1.4, 1.8)."""
    ours, reference = request.getfixturevalue(pair_name)
    images, tokens = random_images(ours, count=2), clip.tokenize(TEXTS[:2])
    with torch.no_grad():
        assert torch.equal(ours.encode_text(tokens), reference.encode_text(tokens))
        assert torch.equal(ours.encode_image(images), reference.encode_image(images))
        logits, reference_logits = ours(images, tokens)[0], reference(images, tokens)[0]
    assert logits.dtype == torch.float16 and torch.equal(logits, reference_logits)


def test_context_length_other_than_77_is_inferred_and_used(reference_model_module):
    ours, reference = model_pair(tiny_vit_state_dict(context_length=20), reference_model_module)
    tokens = clip.tokenize(TEXTS, context_length=20)
    assert ours.context_length == 20
    with torch.no_grad():
        torch.testing.assert_close(ours.encode_text(tokens), reference.encode_text(tokens), rtol=0, atol=1e-5)


@pytest.mark.parametrize("make_state_dict", [tiny_vit_state_dict, tiny_resnet_state_dict])
def test_construction_consumes_rng_and_initialises_like_openai(make_state_dict, reference_model_module):
    config = infer_config(make_state_dict())
    torch.manual_seed(123)
    ours = CLIP(**config).state_dict()
    torch.manual_seed(123)
    reference = reference_model_module.CLIP(**config).state_dict()
    assert list(ours) == list(reference)
    for key in reference:
        torch.testing.assert_close(ours[key], reference[key], rtol=0, atol=0)


def test_rng_state_after_construction_equals_openai(reference_model_module):
    config = infer_config(tiny_vit_state_dict())
    torch.manual_seed(7)
    CLIP(**config)
    after_ours = torch.rand(3)
    torch.manual_seed(7)
    reference_model_module.CLIP(**config)
    torch.testing.assert_close(after_ours, torch.rand(3), rtol=0, atol=0)


@pytest.mark.parametrize("make_state_dict", [tiny_vit_state_dict, tiny_resnet_state_dict])
def test_fp16_conversion_matches_openai_dtypes(make_state_dict, reference_model_module):
    state_dict = make_state_dict()
    ours = build_model(state_dict).state_dict()
    reference = reference_model_module.build_model(dict(state_dict)).state_dict()
    assert {key: value.dtype for key, value in ours.items()} == \
        {key: value.dtype for key, value in reference.items()}
    assert ours["text_projection"].dtype == torch.float16
    assert ours["positional_embedding"].dtype == torch.float32
    assert build_model(state_dict).dtype == torch.float16


def test_build_model_returns_eval_mode_and_leaves_input_untouched():
    state_dict = tiny_vit_state_dict()
    state_dict["input_resolution"] = torch.tensor(32)
    model = build_model(state_dict)
    assert not model.training
    assert "input_resolution" in state_dict


def test_build_model_rejects_unknown_keys():
    state_dict = tiny_vit_state_dict()
    state_dict["visual.extra_prompt"] = torch.zeros(2)
    with pytest.raises(ValueError, match="unexpected keys \\['visual.extra_prompt'\\]"):
        build_model(state_dict)


def test_resnet_rejects_visual_prompts(resnet_pair):
    ours, _ = resnet_pair
    with pytest.raises(ValueError, match="ViT"):
        ours.encode_image(random_images(ours), prompt_tokens=torch.zeros(2, 256))


def test_text_longer_than_context_length_is_rejected(vit_pair):
    ours, _ = vit_pair
    embeddings = torch.zeros(1, 78, 64)
    with pytest.raises(ValueError, match="context length is 77"):
        ours.encode_text_embeddings(embeddings, torch.tensor([5]))
