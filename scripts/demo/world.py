"""The procedural world: which classes exist, which are held out, and how an image of one looks.

A class is one (colour, texture, shape) combination, named like "red striped circle". The novel
classes are combinations the prompt learners never see and the tiny CLIP never sees named in full
(its captions name at most two of their attributes), built only from attribute values and pairs
that the base classes use, so novel accuracy measures composition.
"""
from dataclasses import dataclass
from itertools import product

import numpy as np

COLORS = {
    "red": (215, 40, 40),
    "green": (40, 160, 60),
    "blue": (40, 80, 215),
    "yellow": (225, 200, 30),
}
TEXTURES = ("plain", "striped", "dotted")
SHAPES = ("circle", "square", "triangle", "cross")
ATTRIBUTE_KINDS = ("color", "texture", "shape")

BACKGROUND_GRAY = 190
PAPER_WHITE = 250
# Shapes stay near the centre: a 2-layer ViT on an 8 px patch grid cannot learn shape when the
# outline falls anywhere in the patches (shape was then the attribute it got wrong half the time).
CENTER_JITTER = 0.06


@dataclass(frozen=True)
class ClassSpec:
    """One class of the world; ``label`` is its label in the written dataset."""

    label: int
    color: str
    texture: str
    shape: str

    @property
    def name(self):
        return f"{self.color} {self.texture} {self.shape}"

    @property
    def folder(self):
        return self.name.replace(" ", "_")

    def attributes(self):
        return dict(zip(ATTRIBUTE_KINDS, (self.color, self.texture, self.shape)))


def is_novel(color_index, texture_index, shape_index):
    """Hold out the combinations with an odd index sum: half of them, and every value and every
    pair of values still occurs among the base ones."""
    return (color_index + texture_index + shape_index) % 2 == 1


def world_classes(colors=tuple(COLORS), textures=TEXTURES, shapes=SHAPES):
    """All combinations, base ones first, so the shared base/new split (first ceil(n/2) labels)
    gives exactly the base combinations."""
    combos = list(product(enumerate(colors), enumerate(textures), enumerate(shapes)))
    base = [c for c in combos if not is_novel(c[0][0], c[1][0], c[2][0])]
    novel = [c for c in combos if is_novel(c[0][0], c[1][0], c[2][0])]
    if len(base) != len(novel):
        raise ValueError(
            f"{len(colors)} colours x {len(textures)} textures x {len(shapes)} shapes do not split in "
            "equal halves; use an even count for at least one attribute"
        )
    return [
        ClassSpec(label, color, texture, shape)
        for label, ((_, color), (_, texture), (_, shape)) in enumerate(base + novel)
    ]


def base_and_novel(classes):
    half = len(classes) // 2
    return classes[:half], classes[half:]


def shape_mask(shape, size, center, radius, angle):
    """Boolean ``size x size`` mask of one shape, rotated by ``angle`` radians about its centre."""
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    dx, dy = xs - center[0], ys - center[1]
    cos, sin = np.cos(angle), np.sin(angle)
    u, v = cos * dx + sin * dy, -sin * dx + cos * dy
    if shape == "circle":
        return u * u + v * v <= radius * radius
    if shape == "square":
        half = radius * 0.8
        return (np.abs(u) <= half) & (np.abs(v) <= half)
    if shape == "triangle":
        top, bottom = -radius, radius * 0.75
        half_width = (v - top) / (bottom - top) * radius
        return (v >= top) & (v <= bottom) & (np.abs(u) <= half_width)
    if shape == "cross":
        arm = radius * 0.35
        return ((np.abs(u) <= arm) & (np.abs(v) <= radius)) | ((np.abs(v) <= arm) & (np.abs(u) <= radius))
    raise ValueError(f"Unknown shape {shape!r}; expected one of {SHAPES}")


def texture_mask(texture, size, period, phase):
    """Where the colour goes inside a shape; elsewhere the shape shows white paper."""
    ys, xs = np.mgrid[0:size, 0:size]
    if texture == "plain":
        return np.ones((size, size), dtype=bool)
    if texture == "striped":
        return ((xs + ys + phase) // (period // 2)) % 2 == 0
    if texture == "dotted":
        return (((xs + phase) % period) < period // 2) & (((ys + phase) % period) < period // 2)
    raise ValueError(f"Unknown texture {texture!r}; expected one of {TEXTURES}")


def render(spec, rng, size=32):
    """An RGB uint8 image of ``spec`` with jittered placement, scale, rotation and colour."""
    radius = rng.uniform(0.28, 0.36) * size
    center = size / 2 + rng.uniform(-CENTER_JITTER, CENTER_JITTER, size=2) * size
    angle = rng.uniform(-0.2, 0.2)
    period = 4 if size <= 48 else 6
    inside = shape_mask(spec.shape, size, center, radius, angle)
    colored = inside & texture_mask(spec.texture, size, period, int(rng.integers(period)))

    image = np.full((size, size, 3), BACKGROUND_GRAY, dtype=np.float32)
    image += rng.normal(0.0, 4.0, size=(size, size, 1))
    image[inside] = PAPER_WHITE
    color = np.asarray(COLORS[spec.color], dtype=np.float32) + rng.normal(0.0, 12.0, size=3)
    image[colored] = color
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def image_rng(seed, split, label, index):
    """A generator per image, so any one image can be rebuilt without rendering the others."""
    split_code = {"train": 0, "val": 1, "test": 2, "pretrain": 3}[split]
    return np.random.default_rng([seed, split_code, label, index])
