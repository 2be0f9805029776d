"""Captions for pretraining the tiny CLIP, and the descriptions AnchorOPT stage I reads.

Pretraining captions name a random subset of a class's attributes ("a photo of a red object.") so
the text encoder learns each word on its own rather than 24 whole sentences; that is what lets
the model score combinations it never saw. Half of them also name the attributes with the words
the prompt learners use: "a red circle. its color is red, its shape is a circle." and "the color and
shape of a red circle.", so "color", "texture" and "shape" mean the attribute kinds (the words
ATPrompt anchors its prompts on) and "... of <class>" is a context the tiny CLIP knows (AnchorOPT's
anchor prompt is "X of <class>."). An unmentioned shape reads "object", never "shape".
"""
from itertools import combinations

from .world import ATTRIBUTE_KINDS

# The last template puts the class name as far back as ATPrompt's and AnchorOPT's prompts do.
NAME_TEMPLATES = ("a photo of a {}.", "a {}.", "an image of a {}.", "a drawing of a {}.", "this is a photo of one {}.")
UNNAMED_SHAPE = "object"


def class_caption(spec):
    """The caption of a class with every attribute named: the zero-shot template's sentence."""
    return NAME_TEMPLATES[0].format(spec.name)


def partial_name(attributes, mentioned):
    """The class name with unmentioned attributes dropped; a dropped shape reads "object"."""
    words = [attributes[kind] for kind in ATTRIBUTE_KINDS if kind in mentioned and kind != "shape"]
    words.append(attributes["shape"] if "shape" in mentioned else UNNAMED_SHAPE)
    return " ".join(words)


def kinds_in_order(mentioned):
    return [kind for kind in ATTRIBUTE_KINDS if kind in mentioned]


def attribute_statements(attributes, mentioned):
    """"a red circle. its color is red, its shape is a circle.": each mentioned attribute by its kind."""
    values = {kind: f"a {attributes[kind]}" if kind == "shape" else attributes[kind] for kind in mentioned}
    statements = ", ".join(f"its {kind} is {values[kind]}" for kind in kinds_in_order(mentioned))
    return f"a {partial_name(attributes, mentioned)}. {statements}."


def attribute_kinds_of(attributes, mentioned):
    """"the color and shape of a red circle.": the attribute words before the name, as in the prompts."""
    kinds = kinds_in_order(mentioned)
    listed = kinds[0] if len(kinds) == 1 else f"{', '.join(kinds[:-1])} and {kinds[-1]}"
    return f"the {listed} of a {partial_name(attributes, mentioned)}."


def attribute_captions(attributes, mentioned):
    return [attribute_statements(attributes, mentioned), attribute_kinds_of(attributes, mentioned)]


def mention_subsets(minimum=1):
    """Non-empty subsets of the attribute kinds, largest first."""
    return [frozenset(subset) for count in range(len(ATTRIBUTE_KINDS), minimum - 1, -1)
            for subset in combinations(ATTRIBUTE_KINDS, count)]


def caption_variants(spec, max_mentioned=len(ATTRIBUTE_KINDS)):
    """Every pretraining caption of ``spec`` as ``(text, mentioned attribute kinds)``: each non-empty
    subset of at most ``max_mentioned`` of its attributes, said with each name template and with the
    attribute words."""
    attributes = spec.attributes()
    variants = []
    for mentioned in mention_subsets():
        if len(mentioned) > max_mentioned:
            continue
        name = partial_name(attributes, mentioned)
        variants += [(template.format(name), mentioned) for template in NAME_TEMPLATES]
        variants += [(text, mentioned) for text in attribute_captions(attributes, mentioned)]
    return variants


def class_descriptions(classes):
    """CuPL-style ``{classname: [sentences]}`` from each class's attributes (no LLM): sentences that
    describe the attributes (all three, then each pair), then plain captions of the class. Only
    pretraining sentences appear, so the tiny CLIP knows every word of them."""
    descriptions = {}
    for spec in classes:
        attributes = spec.attributes()
        described = [text for mentioned in mention_subsets(minimum=len(ATTRIBUTE_KINDS) - 1)
                     for text in attribute_captions(attributes, mentioned)]
        descriptions[spec.name] = described + [template.format(spec.name) for template in NAME_TEMPLATES]
    return descriptions
