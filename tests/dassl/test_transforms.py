"""build_transform against torchvision pipelines written by hand from spec 4.5, on PIL input."""
import random

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import transforms as T

from dassl.config import get_cfg_default
from dassl.data import DatasetWrapper
from dassl.data.datasets import Datum
from dassl.data.transforms import build_transform
from dassl.data.transforms.transforms import Cutout, GaussianNoise, Random2DTranslation

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
SIZE = (24, 24)


def _clip_cfg(transforms=("random_resized_crop", "random_flip", "normalize")):
    """The input settings every shipped trainer config uses (spec 2.3), at a small size."""
    cfg = get_cfg_default()
    cfg.INPUT.SIZE = SIZE
    cfg.INPUT.INTERPOLATION = "bicubic"
    cfg.INPUT.PIXEL_MEAN = CLIP_MEAN
    cfg.INPUT.PIXEL_STD = CLIP_STD
    cfg.INPUT.TRANSFORMS = transforms
    return cfg


@pytest.fixture
def photo():
    """A non-square RGB image with structure, so crops, flips and resizes all change the output."""
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(40, 56, 3), dtype=np.uint8)
    pixels[:, :28] //= 3
    return Image.fromarray(pixels)


def _outputs(tfm, image, seeds=range(6)):
    results = []
    for seed in seeds:
        torch.manual_seed(seed)
        random.seed(seed)
        results.append(tfm(image))
    return results


def test_clip_train_pipeline_equals_hand_written_torchvision(photo):
    by_hand = T.Compose([
        T.RandomResizedCrop(SIZE, scale=(0.08, 1.0), interpolation=T.InterpolationMode.BICUBIC),
        T.RandomHorizontalFlip(p=0.5),
        T.ToTensor(),
        T.Normalize(CLIP_MEAN, CLIP_STD),
    ])
    ours = _outputs(build_transform(_clip_cfg(), is_train=True), photo)
    expected = _outputs(by_hand, photo)
    assert all(torch.equal(a, b) for a, b in zip(ours, expected))
    assert ours[0].shape == (3, *SIZE) and not torch.equal(ours[0], ours[1])


def test_train_order_is_fixed_whatever_the_config_order(photo, capsys):
    reordered = build_transform(_clip_cfg(("normalize", "random_flip", "random_resized_crop")), is_train=True)
    canonical = build_transform(_clip_cfg(), is_train=True)
    assert all(torch.equal(a, b) for a, b in zip(_outputs(reordered, photo), _outputs(canonical, photo)))
    lines = capsys.readouterr().out.splitlines()
    assert lines[:5] == [
        "Building transform_train",
        "+ random resized crop (size=(24, 24), scale=(0.08, 1.0))",
        "+ random flip",
        "+ to torch tensor of range [0, 1]",
        f"+ normalization (mean={CLIP_MEAN}, std={CLIP_STD})",
    ]


def test_clip_test_pipeline_resizes_shorter_edge_then_center_crops(photo, capsys):
    by_hand = T.Compose([
        T.Resize(24, interpolation=T.InterpolationMode.BICUBIC),
        T.CenterCrop(SIZE),
        T.ToTensor(),
        T.Normalize(CLIP_MEAN, CLIP_STD),
    ])
    ours = build_transform(_clip_cfg(), is_train=False)
    assert torch.equal(ours(photo), by_hand(photo))
    assert capsys.readouterr().out.splitlines() == [
        "Building transform_test",
        "+ resize the smaller edge to 24",
        "+ 24x24 center crop",
        "+ to torch tensor of range [0, 1]",
        f"+ normalization (mean={CLIP_MEAN}, std={CLIP_STD})",
    ]


def test_train_without_crop_resizes_to_exact_size(photo, capsys):
    ours = build_transform(_clip_cfg(("random_flip",)), is_train=True)
    by_hand = T.Compose([T.Resize(SIZE, interpolation=T.InterpolationMode.BICUBIC), T.RandomHorizontalFlip(), T.ToTensor()])
    assert all(torch.equal(a, b) for a, b in zip(_outputs(ours, photo), _outputs(by_hand, photo)))
    assert capsys.readouterr().out.splitlines()[1] == "+ resize to 24x24"


def test_no_transform_returns_none(capsys):
    cfg = _clip_cfg()
    cfg.INPUT.NO_TRANSFORM = True
    assert build_transform(cfg, is_train=True) is None
    assert capsys.readouterr().out == "Note: no transform is applied!\n"


def test_unknown_transform_name_is_rejected():
    with pytest.raises(AssertionError, match="random_flipp"):
        build_transform(_clip_cfg(("random_flipp",)), is_train=True)


def test_random_translation_draws_x_then_y_and_crops_the_enlarged_image(photo):
    random.seed(3)
    u, x_draw, y_draw = random.uniform(0, 1), random.uniform(0, 27 - 24), random.uniform(0, 27 - 24)
    assert u <= 0.5  # seed 3 takes the translation branch
    enlarged = photo.resize((27, 27), Image.BILINEAR)
    x1, y1 = int(round(x_draw)), int(round(y_draw))
    expected = np.asarray(enlarged.crop((x1, y1, x1 + 24, y1 + 24)))
    random.seed(3)
    assert np.array_equal(np.asarray(Random2DTranslation(24, 24)(photo)), expected)


def test_cutout_zeroes_the_clipped_square_around_numpy_draws():
    image = torch.ones(3, 10, 12)
    np.random.seed(0)
    y, x = np.random.randint(10), np.random.randint(12)
    np.random.seed(0)
    out = Cutout(n_holes=1, length=6)(image)
    expected = torch.ones(10, 12)
    expected[max(y - 3, 0): min(y + 3, 10), max(x - 3, 0): min(x + 3, 12)] = 0
    assert all(torch.equal(channel, expected) for channel in out)


def test_gaussian_noise_is_added_only_when_the_python_draw_is_at_most_half():
    image = torch.zeros(3, 4, 4)
    for seed in range(4):
        random.seed(seed)
        add_noise = random.uniform(0, 1) <= 0.5
        torch.manual_seed(seed)
        noise = torch.randn(image.size()) * 0.15 + 0.0
        random.seed(seed)
        torch.manual_seed(seed)
        out = GaussianNoise(0.0, 0.15)(image)
        assert torch.equal(out, noise if add_noise else image)


def test_wrapper_returns_the_batch_fields_and_k_augmentations(tmp_path, photo):
    path = str(tmp_path / "photo.png")
    photo.save(path)
    cfg = _clip_cfg()
    cfg.DATALOADER.K_TRANSFORMS = 2
    cfg.DATALOADER.RETURN_IMG0 = True
    item = DatasetWrapper(cfg, [Datum(impath=path, label=3, domain=1)], build_transform(cfg), is_train=True)[0]
    assert (item["label"], item["domain"], item["impath"], item["index"]) == (3, 1, path, 0)
    assert len(item["img"]) == 2 and item["img"][0].shape == (3, *SIZE)
    to_tensor = T.Compose([T.Resize(SIZE, interpolation=T.InterpolationMode.BICUBIC), T.ToTensor(),
                           T.Normalize(CLIP_MEAN, CLIP_STD)])
    assert torch.equal(item["img0"], to_tensor(photo))
