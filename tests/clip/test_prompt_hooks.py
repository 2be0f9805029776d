import pytest
import torch

import clip
from clip.model import CLIP
from clip.prompt_hooks import replace_tokens

from .conftest import random_images

TEXTS = ["a photo of a dog.", "a photo of a big red fire truck parked outside."]


def prompts(count, width, seed, layers=1):
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(count, width, generator=generator) for _ in range(layers)]


def reference_text_features(reference, embeddings, eot_index, start, deep_prompts):
    """OpenAI's text tower run block by block, deep prompts cast and written before block j+1 (sequence-first),
    as upstream's MaPLe blocks do."""
    dtype = reference.dtype
    x = (embeddings.type(dtype) + reference.positional_embedding.type(dtype)).permute(1, 0, 2)
    for index, block in enumerate(reference.transformer.resblocks):
        if 1 <= index <= len(deep_prompts):
            prompt = deep_prompts[index - 1].expand(x.shape[1], -1, -1).permute(1, 0, 2).type(dtype)
            x = torch.cat([x[:start], prompt, x[start + len(prompt):]])
        x = block(x)
    x = reference.ln_final(x.permute(1, 0, 2)).type(dtype)
    return x[torch.arange(x.shape[0]), eot_index] @ reference.text_projection


def reference_image_features(reference, images, shallow, deep_prompts):
    """OpenAI's ViT with MaPLe's visual prompts: appended after the positional embedding, last n replaced."""
    visual, dtype = reference.visual, reference.dtype
    x = visual.conv1(images.type(dtype)).flatten(2).permute(0, 2, 1)
    x = torch.cat([visual.class_embedding.to(dtype).expand(x.shape[0], 1, -1), x], dim=1)
    x = x + visual.positional_embedding.to(dtype)
    x = visual.ln_pre(torch.cat([x, shallow.expand(x.shape[0], -1, -1).type(dtype)], dim=1)).permute(1, 0, 2)
    for index, block in enumerate(visual.transformer.resblocks):
        if 1 <= index <= len(deep_prompts):
            prompt = deep_prompts[index - 1].expand(x.shape[1], -1, -1).permute(1, 0, 2).type(dtype)
            x = torch.cat([x[:-len(shallow)], prompt])
        x = block(x)
    return visual.ln_post(x.permute(1, 0, 2)[:, 0]) @ visual.proj


def test_replace_tokens_writes_exactly_its_window():
    x = torch.randn(3, 10, 4)
    hook = replace_tokens(2, prompts(3, 4, seed=0, layers=2))
    for layer in (0, 3):
        assert hook(layer, x) is x
    out = hook(2, x)
    torch.testing.assert_close(out[:, 2:5], hook.prompts[1].expand(3, -1, -1))
    torch.testing.assert_close(out[:, :2], x[:, :2])
    torch.testing.assert_close(out[:, 5:], x[:, 5:])


def test_replace_tokens_negative_start_writes_last_tokens():
    x = torch.randn(2, 7, 4)
    out = replace_tokens(-2, prompts(2, 4, seed=1))(1, x)
    torch.testing.assert_close(out[:, -2:], prompts(2, 4, seed=1)[0].expand(2, -1, -1))
    torch.testing.assert_close(out[:, :-2], x[:, :-2])


def test_replace_tokens_rejects_window_outside_sequence():
    with pytest.raises(ValueError, match="does not fit a sequence of 4 tokens"):
        replace_tokens(3, prompts(2, 4, seed=0))(1, torch.zeros(1, 4, 4))


@pytest.mark.parametrize("truncate", [False, True])
def test_maple_deep_text_prompts_match_openai_blocks(vit_pair, truncate):
    ours, reference = vit_pair
    tokens = clip.tokenize(TEXTS)
    embeddings, eot_index = ours.token_embedding(tokens), tokens.argmax(-1)
    deep = prompts(2, 64, seed=2, layers=2)
    with torch.no_grad():
        expected = reference_text_features(reference, embeddings, eot_index, 1, deep)
        actual = ours.encode_text_embeddings(embeddings, eot_index, replace_tokens(1, deep), truncate=truncate)
        plain = ours.encode_text_embeddings(embeddings, eot_index)
    torch.testing.assert_close(actual, expected, rtol=0, atol=1e-5)
    assert not torch.allclose(actual, plain, atol=1e-3)


def test_maple_visual_prompts_match_openai_blocks(vit_pair):
    ours, reference = vit_pair
    images = random_images(ours)
    shallow, *deep = prompts(2, 64, seed=3, layers=3)
    with torch.no_grad():
        expected = reference_image_features(reference, images, shallow, deep)
        actual = ours.encode_image(images, prompt_tokens=shallow, block_hook=replace_tokens(-2, deep))
    torch.testing.assert_close(actual, expected, rtol=0, atol=1e-5)


def test_maple_prompts_in_fp16_equal_the_reference_bit_for_bit(half_vit_pair):
    """Deep prompts are cast to fp16 and written as upstream's blocks write them: identical rounding."""
    ours, reference = half_vit_pair
    tokens = clip.tokenize(TEXTS)
    embeddings, eot_index = ours.token_embedding(tokens), tokens.argmax(-1)
    shallow, *deep = prompts(2, 64, seed=4, layers=2)
    images = random_images(ours, count=2)
    with torch.no_grad():
        text = ours.encode_text_embeddings(embeddings, eot_index, replace_tokens(1, deep), truncate=False)
        image = ours.encode_image(images, prompt_tokens=shallow, block_hook=replace_tokens(-2, deep))
        assert torch.equal(text, reference_text_features(reference, embeddings, eot_index, 1, deep))
        assert torch.equal(image, reference_image_features(reference, images, shallow, deep))
    assert text.dtype == image.dtype == torch.float16


def test_vit_b16_grid_has_197_tokens_and_199_with_two_maple_prompts():
    """Spec appendix B: 224 px, patch 16 -> 14x14 patches + CLS; MaPLe n=2 appends two more."""
    with torch.random.fork_rng(devices=[]):
        model = CLIP(embed_dim=32, image_resolution=224, vision_layers=1, vision_width=64, vision_patch_size=16,
                     context_length=77, vocab_size=49408, transformer_width=64, transformer_heads=1,
                     transformer_layers=1)
    lengths = []
    record = lambda layer, x: lengths.append(x.shape[1]) or x  # noqa: E731
    images = torch.zeros(1, 3, 224, 224)
    with torch.no_grad():
        model.encode_image(images, block_hook=record)
        model.encode_image(images, prompt_tokens=torch.zeros(2, 64), block_hook=record)
    assert lengths == [197, 199]


def test_visual_prompt_tokens_are_appended_to_the_sequence(vit_pair):
    ours, _ = vit_pair
    lengths = []
    ours.encode_image(random_images(ours), prompt_tokens=torch.zeros(2, 64),
                      block_hook=lambda layer, x: lengths.append(x.shape[1]) or x)
    assert lengths == [(32 // 16) ** 2 + 1 + 2] * 3


def test_block_hook_output_is_cast_to_activation_dtype(vit_pair):
    ours, _ = vit_pair
    dtypes = []

    def spy(layer, x):
        dtypes.append(x.dtype)
        return x.double()

    tokens = clip.tokenize(TEXTS)
    ours.encode_text_embeddings(ours.token_embedding(tokens), tokens.argmax(-1), block_hook=spy)
    assert dtypes == [torch.float32] * 3


def test_too_many_deep_prompts_are_rejected(vit_pair):
    ours, _ = vit_pair
    tokens = clip.tokenize(TEXTS)
    with pytest.raises(ValueError, match="at most 2 deep prompts"):
        ours.encode_text_embeddings(ours.token_embedding(tokens), tokens.argmax(-1),
                                    block_hook=replace_tokens(1, prompts(2, 64, seed=0, layers=3)))


def test_truncation_equals_full_length_path(vit_pair):
    ours, _ = vit_pair
    tokens = clip.tokenize(TEXTS)
    embeddings = ours.token_embedding(tokens)
    with torch.no_grad():
        full = ours.encode_text_embeddings(embeddings, tokens.argmax(-1), truncate=False)
        cut = ours.encode_text_embeddings(embeddings, tokens.argmax(-1), truncate=True)
    torch.testing.assert_close(cut, full, rtol=0, atol=1e-5)


def test_truncation_shortens_the_sequence_to_the_last_eot(vit_pair):
    ours, _ = vit_pair
    tokens = clip.tokenize(TEXTS)
    lengths = []
    ours.encode_text_embeddings(ours.token_embedding(tokens), tokens.argmax(-1),
                                block_hook=lambda layer, x: lengths.append(x.shape[1]) or x)
    assert lengths == [int(tokens.argmax(-1).max()) + 1] * 3
