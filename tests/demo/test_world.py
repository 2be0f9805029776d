import re
from itertools import product

import numpy as np

from scripts.demo.captions import caption_variants, class_caption, class_descriptions
from scripts.demo.world import (
    ATTRIBUTE_KINDS, BACKGROUND_GRAY, CENTER_JITTER, COLORS, SHAPES, TEXTURES, base_and_novel, image_rng, render,
    world_classes,
)


def test_rendering_is_deterministic_per_image_seed():
    spec = world_classes()[5]
    first = render(spec, image_rng(3, "train", spec.label, 7))
    again = render(spec, image_rng(3, "train", spec.label, 7))
    other = render(spec, image_rng(4, "train", spec.label, 7))
    assert first.shape == (32, 32, 3) and first.dtype == np.uint8
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_rendered_colour_matches_the_class_colour():
    for spec in world_classes():
        pixels = render(spec, image_rng(0, "test", spec.label, 0)).reshape(-1, 3).astype(int)
        distances = {name: np.abs(pixels - rgb).sum(1) for name, rgb in COLORS.items()}
        counts = {name: int((d < 60).sum()) for name, d in distances.items()}
        assert max(counts, key=counts.get) == spec.color, spec.name


def test_textures_cover_decreasing_fractions_of_the_shape():
    spec_of = {(s.texture, s.color, s.shape): s for s in world_classes()}
    coverage = {}
    for texture in TEXTURES:
        spec = spec_of[(texture, "blue", "square")]
        pixels = render(spec, image_rng(0, "test", spec.label, 0)).reshape(-1, 3).astype(int)
        coverage[texture] = int((np.abs(pixels - COLORS["blue"]).sum(1) < 60).sum())
    assert coverage["plain"] > coverage["striped"] > coverage["dotted"] > 0


def test_class_names_labels_and_captions_agree():
    classes = world_classes()
    assert [spec.label for spec in classes] == list(range(len(classes)))
    for spec in classes:
        assert spec.name == f"{spec.color} {spec.texture} {spec.shape}"
        assert spec.folder == spec.name.replace(" ", "_")
        assert class_caption(spec) == f"a photo of a {spec.name}."


def test_captions_name_exactly_the_mentioned_attributes():
    spec = world_classes()[3]
    others = {kind: [v for v in values if v != spec.attributes()[kind]]
              for kind, values in zip(ATTRIBUTE_KINDS, (list(COLORS), TEXTURES, SHAPES))}
    for text, mentioned in caption_variants(spec):
        words = set(re.findall(r"[a-z]+", text))
        for kind in ATTRIBUTE_KINDS:
            assert (spec.attributes()[kind] in words) == (kind in mentioned), text
            assert not words & set(others[kind]), text


def test_novel_classes_are_unseen_combinations_of_seen_values():
    classes = world_classes()
    base, novel = base_and_novel(classes)
    assert len(base) == len(novel) == len(classes) // 2
    combo = lambda spec: (spec.color, spec.texture, spec.shape)  # noqa: E731
    assert {combo(s) for s in base} | {combo(s) for s in novel} == set(product(COLORS, TEXTURES, SHAPES))
    assert not {combo(s) for s in base} & {combo(s) for s in novel}
    for kind in ATTRIBUTE_KINDS:
        assert {s.attributes()[kind] for s in novel} <= {s.attributes()[kind] for s in base}


def test_attribute_words_name_attribute_kinds_as_the_prompts_use_them():
    """"color", "texture" and "shape" appear only with a value of that kind (never "a red shape" for any
    shape), so ATPrompt's attribute words mean to the tiny CLIP what they mean in its prompts."""
    spec = world_classes()[7]
    kind_captions = 0
    for text, mentioned in caption_variants(spec):
        words = set(re.findall(r"[a-z]+", text))
        for kind in ATTRIBUTE_KINDS:
            assert kind not in words or kind in mentioned, text
        kind_captions += bool(words & set(ATTRIBUTE_KINDS))
    assert kind_captions == len(caption_variants(spec)) * 2 // 7
    red_striped_circle = next(s for s in world_classes() if s.name == "red striped circle")
    texts = [text for text, _ in caption_variants(red_striped_circle)]
    assert "a red striped circle. its color is red, its texture is striped, its shape is a circle." in texts
    assert "the color and shape of a red circle." in texts
    assert "a red object." in texts


def test_descriptions_describe_the_class_attributes_by_kind_first():
    descriptions = class_descriptions(world_classes())
    assert list(descriptions) == [spec.name for spec in world_classes()]
    for spec in world_classes():
        sentences = descriptions[spec.name]
        assert len(sentences) >= 10
        values = spec.attributes().values()
        assert all(sum(value in re.findall(r"[a-z]+", s) for value in values) >= 2 for s in sentences)
        assert sentences[0] == (f"a {spec.name}. its color is {spec.color}, its texture is {spec.texture}, "
                                f"its shape is a {spec.shape}.")
        assert all(any(kind in s for kind in ATTRIBUTE_KINDS) for s in sentences[:8])
        assert sentences[-5] == class_caption(spec)


def test_shapes_stay_near_the_image_centre():
    """The tiny ViT only learns shape when outlines do not wander across its 8 px patches."""
    size = 32
    symmetric = [spec for spec in world_classes() if spec.shape != "triangle"]
    for spec in symmetric:
        for index in range(5):
            pixels = render(spec, image_rng(0, "test", spec.label, index), size).astype(int)
            shape = np.argwhere(np.abs(pixels - BACKGROUND_GRAY).sum(-1) > 100)
            middle = (shape.min(0) + shape.max(0) + 1) / 2
            assert np.abs(middle - size / 2).max() <= CENTER_JITTER * size + 2, spec.name
