"""Captions for pretraining the tiny CLIP, and the descriptions AnchorOPT stage I reads.

Pretraining captions name a random subset of a class's attributes ("a photo of a red shape.") so
the text encoder learns each word on its own rather than 24 whole sentences; that is what lets
the model score combinations it never saw. They also use the words "color", "texture" and
"shape", the attribute words the demo gives ATPrompt.
"""
from itertools import combinations

from .world import ATTRIBUTE_KINDS

# The last template puts the class name as far back as ATPrompt's and AnchorOPT's prompts do.
NAME_TEMPLATES = ("a photo of a {}.", "a {}.", "an image of a {}.", "a drawing of a {}.", "this is a photo of one {}.")


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


def caption_variants(spec):
    """Every pretraining caption of ``spec`` as ``(text, mentioned attribute kinds)``: each non-empty
    subset of its attributes, said with each name template and with the attribute words."""
    attributes = spec.attributes()
    variants = []
    for count in range(len(ATTRIBUTE_KINDS), 0, -1):
        for mentioned in map(frozenset, combinations(ATTRIBUTE_KINDS, count)):
            name = partial_name(attributes, mentioned)
            variants += [(template.format(name), mentioned) for template in NAME_TEMPLATES]
            variants.append((attribute_phrase(attributes, mentioned), mentioned))
    return variants


def class_descriptions(classes):
    """CuPL-style ``{classname: [sentences]}`` from each class's attributes (no LLM): the captions
    naming all three attributes, then those naming two. Only pretraining words appear, so the
    tiny CLIP knows every word of them."""
    descriptions = {}
    for spec in classes:
        variants = caption_variants(spec)
        full = [text for text, mentioned in variants if len(mentioned) == len(ATTRIBUTE_KINDS)]
        pairs = [text for text, mentioned in variants if len(mentioned) == len(ATTRIBUTE_KINDS) - 1]
        descriptions[spec.name] = full + pairs[::2]
    return descriptions
