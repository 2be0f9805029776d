import importlib.metadata
import random

import pytest
import torch

import clip
from clip import simple_tokenizer
from clip.simple_tokenizer import SimpleTokenizer, shared_tokenizer

# A broad sample of the class names of the 15 datasets (11 benchmarks + ImageNet variants).
CLASS_NAMES = [
    # ImageNet / -V2 / -Sketch / -A / -R
    "tench", "goldfish", "great white shark", "Afghan Hound", "Black-and-tan Coonhound", "jack-o'-lantern",
    "carousel", "St. Bernard", "Yorkshire Terrier", "spiny lobster", "T-shirt", "Christmas stocking",
    "ping-pong ball", "Granny Smith apple", "hen-of-the-woods mushroom", "yellow lady's slipper",
    # Caltech101
    "face", "leopard", "motorbike", "accordion", "airplane", "dalmatian", "garfield", "yin_yang", "water_lilly",
    # OxfordPets
    "Abyssinian", "american_bulldog", "great_pyrenees", "staffordshire_bull_terrier", "Bengal",
    # StanfordCars
    "2012 AM General Hummer SUV", "2012 Acura TL Type-S", "1993 Geo Metro Convertible",
    "2012 Mercedes-Benz SL-Class Coupe", "2007 Chevrolet Express Cargo Van",
    # OxfordFlowers
    "pink primrose", "hard-leaved pocket orchid", "canterbury bells", "sweet pea", "bird of paradise",
    "love in the mist", "columbine", "siam tulip", "mexican petunia", "bolero deep blue",
    # Food101
    "apple_pie", "baby_back_ribs", "crème brûlée", "eggs_benedict", "pho", "macarons", "takoyaki",
    # FGVCAircraft
    "707-320", "A300B4", "BAE 146-200", "Boeing 717", "CRJ-200", "DC-10", "F/A-18", "Falcon 2000", "Tu-154",
    # SUN397
    "abbey", "airport terminal", "apartment building outdoor", "bakery shop", "car interior backseat",
    "indoor volleyball court", "outdoor podium", "wine cellar barrel storage",
    # DTD
    "banded", "blotchy", "crosshatched", "potholed", "zigzagged",
    # EuroSAT (as rewritten by CoOp)
    "Annual Crop Land", "Herbaceous Vegetation Land", "Permanent Crop Land", "Sea or Lake",
    # UCF101
    "Apply_Eye_Makeup", "Band_Marching", "Playing_Daf", "Yo_Yo", "Handstand_Pushups",
    # unicode, punctuation, whitespace, HTML
    "café", "naïve façade", "Ångström", "日本語のテキスト", "emoji 🐶🐱", "it's what's they're we've I'm you'll he'd",
    "  multiple\tspaces\nand\r\nnewlines  ", "Hello &amp; goodbye &lt;3", "&amp;amp;", "x² ≠ ½", "ﬁne ligature",
    "«quoted» — dash…", "mojibake Ã©", "",
]


def test_vocabulary_size_and_special_ids():
    tokenizer = shared_tokenizer()
    assert len(tokenizer.encoder) == 49408
    assert tokenizer.encoder["<|startoftext|>"] == 49406
    assert tokenizer.encoder["<|endoftext|>"] == 49407


@pytest.mark.parametrize("text, ids", [
    ("a", [320]),
    ("X", [343]),
    ("a photo of a", [320, 1125, 539, 320]),
    ("a photo of a flower.", [320, 1125, 539, 320, 4055, 269]),
    ("a photo of a flower,", [320, 1125, 539, 320, 4055, 267]),
    ("Hello   WORLD &amp; it's", [3306, 1002, 261, 585, 568]),
    ("playfulness", [1222, 10526]),
])
def test_encode_known_values(text, ids):
    assert shared_tokenizer().encode(text) == ids


def test_class_names_encode_like_openai(reference_tokenizer):
    for name in CLASS_NAMES:
        assert shared_tokenizer().encode(name) == reference_tokenizer.encode(name), name


def test_random_strings_encode_and_decode_like_openai(reference_tokenizer):
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:'\"!?-_/&#()[]\t\néüßçñøΩЖ中文한🙂"
    generator = random.Random(0)
    texts = ["".join(generator.choice(alphabet) for _ in range(generator.randint(1, 40))) for _ in range(300)]
    for text in texts:
        ids = shared_tokenizer().encode(text)
        assert ids == reference_tokenizer.encode(text), text
        assert shared_tokenizer().decode(ids) == reference_tokenizer.decode(ids)


def test_tokenize_pads_with_sot_and_eot(reference_tokenizer):
    tokens = clip.tokenize(CLASS_NAMES[:5])
    assert tokens.shape == (5, 77) and tokens.dtype == torch.long
    for row, name in zip(tokens, CLASS_NAMES):
        ids = [49406] + reference_tokenizer.encode(name) + [49407]
        assert row.tolist() == ids + [0] * (77 - len(ids))


def test_tokenize_rejects_too_long_text():
    text = " ".join(["a"] * 76)
    with pytest.raises(RuntimeError, match="too long for context length 77"):
        clip.tokenize(text)


def test_tokenize_truncates_and_ends_with_eot():
    tokens = clip.tokenize(" ".join(["a"] * 76), truncate=True)
    assert tokens[0].tolist() == [49406] + [320] * 75 + [49407]


def test_tokenize_other_context_length():
    assert clip.tokenize("a photo", context_length=5).tolist() == [[49406, 320, 1125, 49407, 0]]


def test_missing_distribution_names_the_fix(monkeypatch):
    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(simple_tokenizer.importlib.metadata, "distribution", not_installed)
    with pytest.raises(RuntimeError, match="pip install openai-clip"):
        SimpleTokenizer()
