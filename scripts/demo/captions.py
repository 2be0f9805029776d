"""Captions for pretraining the tiny CLIP, and the descriptions AnchorOPT stage I reads.

Pretraining captions name a random subset of a class's attributes ("a photo of a red shape.") so
the text encoder learns each word on its own rather than 24 whole sentences; that is what lets
the model score combinations it never saw. They also use the words "color", "texture" and
"shape", the attribute words the demo gives ATPrompt.
"""
from .world import ATTRIBUTE_KINDS

NAME_TEMPLATES = ("a photo of a {}.", "a {}.", "an image of a {}.", "a drawing of a {}.")
FULL_CAPTION_PROBABILITY = 0.5
ATTRIBUTE_PHRASE_PROBABILITY = 0.3

DESCRIPTION_TEMPLATES = (
    "a {color} {texture} {shape}.",
    "a photo of a {color} {texture} {shape}.",
    "a {shape} with {color} color and {texture} texture.",
    "a {shape} shape painted {color}.",
    "a {texture} {shape} in {color}.",
    "the {shape} has a {texture} texture.",
    "a {color} {shape} on a gray background.",
    "a {texture} pattern of {color} color.",
    "a drawing of a {color} {shape}.",
    "an image of a {texture} {color} {shape}.",
)


def class_caption(spec):
    """The caption of a class with every attribute named: the zero-shot template's sentence."""
    return NAME_TEMPLATES[0].format(spec.name)


def partial_name(attributes, mentioned):
    """The class name with unmentioned attributes dropped; a dropped shape reads "shape"."""
    words = [attributes[kind] for kind in ATTRIBUTE_KINDS if kind in mentioned and kind != "shape"]
    words.append(attributes["shape"] if "shape" in mentioned else "shape")
    return " ".join(words)


def attribute_phrase(attributes, mentioned):
    """The same content said with the attribute words: "a circle with red color and striped texture"."""
    head = attributes["shape"] if "shape" in mentioned else "shape"
    parts = [f"{attributes[kind]} {kind}" for kind in ("color", "texture") if kind in mentioned]
    return f"a {head} with {' and '.join(parts)}." if parts else f"a {head}."


def sample_caption(spec, rng):
    """A random caption of ``spec``; returns ``(text, mentioned attribute kinds)``."""
    attributes = spec.attributes()
    if rng.random() < FULL_CAPTION_PROBABILITY:
        mentioned = set(ATTRIBUTE_KINDS)
    else:
        count = int(rng.integers(1, len(ATTRIBUTE_KINDS)))
        mentioned = set(rng.choice(ATTRIBUTE_KINDS, size=count, replace=False).tolist())
    if rng.random() < ATTRIBUTE_PHRASE_PROBABILITY:
        return attribute_phrase(attributes, mentioned), mentioned
    template = NAME_TEMPLATES[int(rng.integers(len(NAME_TEMPLATES)))]
    return template.format(partial_name(attributes, mentioned)), mentioned


def class_descriptions(classes):
    """CuPL-style ``{classname: [sentences]}`` built from each class's attributes (no LLM)."""
    return {
        spec.name: [template.format(**spec.attributes()) for template in DESCRIPTION_TEMPLATES]
        for spec in classes
    }
