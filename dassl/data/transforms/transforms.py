"""Dassl's named image transforms; the train pipeline order is fixed whatever the config order."""
import random

import numpy as np
import torch
from torchvision.transforms import (
    AutoAugment,
    AutoAugmentPolicy,
    CenterCrop,
    ColorJitter,
    Compose,
    GaussianBlur,
    InterpolationMode,
    Normalize,
    RandAugment,
    RandomApply,
    RandomCrop,
    RandomGrayscale,
    RandomHorizontalFlip,
    RandomResizedCrop,
    Resize,
    ToTensor,
)

AVAILABLE_TRANSFORMS = [
    "random_flip",
    "random_resized_crop",
    "normalize",
    "instance_norm",
    "random_crop",
    "random_translation",
    "center_crop",
    "cutout",
    "imagenet_policy",
    "cifar10_policy",
    "svhn_policy",
    "randaugment",
    "randaugment_fixmatch",
    "randaugment2",
    "gaussian_noise",
    "colorjitter",
    "randomgrayscale",
    "gaussian_blur",
]

INTERPOLATION_MODES = {
    "bilinear": InterpolationMode.BILINEAR,
    "bicubic": InterpolationMode.BICUBIC,
    "nearest": InterpolationMode.NEAREST,
}


class Random2DTranslation:
    """With probability p, enlarge by 1/8 (bilinear) and crop back to (H, W) at a random offset."""

    def __init__(self, height, width, p=0.5, interpolation=InterpolationMode.BILINEAR):
        self.height = height
        self.width = width
        self.p = p
        self.interpolation = interpolation

    def __call__(self, img):
        if random.uniform(0, 1) > self.p:
            return Resize((self.height, self.width), interpolation=self.interpolation)(img)
        new_width = int(round(self.width * 1.125))
        new_height = int(round(self.height * 1.125))
        resized = Resize((new_height, new_width), interpolation=self.interpolation)(img)
        x1 = int(round(random.uniform(0, new_width - self.width)))
        y1 = int(round(random.uniform(0, new_height - self.height)))
        return resized.crop((x1, y1, x1 + self.width, y1 + self.height))


class Cutout:
    """Zero ``n_holes`` square patches of side ``length`` (clipped at the border) on a CHW tensor."""

    def __init__(self, n_holes=1, length=16):
        self.n_holes = n_holes
        self.length = length

    def __call__(self, img):
        h, w = img.size(1), img.size(2)
        mask = np.ones((h, w), np.float32)
        half = self.length // 2
        for _ in range(self.n_holes):
            y = np.random.randint(h)
            x = np.random.randint(w)
            y1, y2 = np.clip(y - half, 0, h), np.clip(y + half, 0, h)
            x1, x2 = np.clip(x - half, 0, w), np.clip(x + half, 0, w)
            mask[y1:y2, x1:x2] = 0.0
        return img * torch.from_numpy(mask).expand_as(img)


class GaussianNoise:
    """With probability p add N(mean, std) noise to a tensor."""

    def __init__(self, mean=0, std=0.15, p=0.5):
        self.mean = mean
        self.std = std
        self.p = p

    def __call__(self, img):
        if random.uniform(0, 1) > self.p:
            return img
        return img + torch.randn(img.size()) * self.std + self.mean


class InstanceNormalization:
    """Per-channel standardisation of one CHW tensor (unbiased std)."""

    def __call__(self, img):
        c = img.size(0)
        flat = img.view(c, -1)
        mean = flat.mean(1).view(c, 1, 1)
        std = flat.std(1).view(c, 1, 1)
        return (img - mean) / (std + 1e-8)


def _not_available(name):
    raise NotImplementedError(
        f'Transform "{name}" is accepted for config compatibility but not implemented; remove it from INPUT.TRANSFORMS'
    )


def build_transform(cfg, is_train=True, choices=None):
    """Compose the train or test pipeline named by ``INPUT.TRANSFORMS`` (None if NO_TRANSFORM)."""
    if cfg.INPUT.NO_TRANSFORM:
        print("Note: no transform is applied!")
        return None
    if choices is None:
        choices = cfg.INPUT.TRANSFORMS
    for choice in choices:
        assert choice in AVAILABLE_TRANSFORMS, f'Unknown transform "{choice}" in INPUT.TRANSFORMS; choose from {AVAILABLE_TRANSFORMS}'
    normalize = Normalize(mean=cfg.INPUT.PIXEL_MEAN, std=cfg.INPUT.PIXEL_STD)
    if is_train:
        return _build_transform_train(cfg, choices, normalize)
    return _build_transform_test(cfg, choices, normalize)


def _build_transform_train(cfg, choices, normalize):
    print("Building transform_train")
    tfm = []
    interp_mode = INTERPOLATION_MODES[cfg.INPUT.INTERPOLATION]
    height, width = cfg.INPUT.SIZE
    if "random_crop" not in choices and "random_resized_crop" not in choices:
        print(f"+ resize to {height}x{width}")
        tfm.append(Resize(cfg.INPUT.SIZE, interpolation=interp_mode))
    if "random_translation" in choices:
        print("+ random translation")
        tfm.append(Random2DTranslation(height, width))
    if "random_crop" in choices:
        print(f"+ random crop (padding = {cfg.INPUT.CROP_PADDING})")
        tfm.append(RandomCrop(cfg.INPUT.SIZE, padding=cfg.INPUT.CROP_PADDING))
    if "random_resized_crop" in choices:
        size, scale = cfg.INPUT.SIZE, cfg.INPUT.RRCROP_SCALE
        print(f"+ random resized crop (size={size}, scale={scale})")
        tfm.append(RandomResizedCrop(size, scale=scale, interpolation=interp_mode))
    if "random_flip" in choices:
        print("+ random flip")
        tfm.append(RandomHorizontalFlip())
    for name, policy in (
        ("imagenet_policy", AutoAugmentPolicy.IMAGENET),
        ("cifar10_policy", AutoAugmentPolicy.CIFAR10),
        ("svhn_policy", AutoAugmentPolicy.SVHN),
    ):
        if name in choices:
            print(f"+ {name.replace('_', ' ')}")
            tfm.append(AutoAugment(policy))
    if "randaugment" in choices:
        n, m = cfg.INPUT.RANDAUGMENT_N, cfg.INPUT.RANDAUGMENT_M
        print(f"+ randaugment (n={n}, m={m})")
        tfm.append(RandAugment(num_ops=n, magnitude=m, num_magnitude_bins=31))
    for name in ("randaugment_fixmatch", "randaugment2"):
        if name in choices:
            _not_available(name)
    if "colorjitter" in choices:
        b, c, s, h = (cfg.INPUT.COLORJITTER_B, cfg.INPUT.COLORJITTER_C, cfg.INPUT.COLORJITTER_S, cfg.INPUT.COLORJITTER_H)
        print(f"+ color jitter (brightness={b}, contrast={c}, saturation={s}, hue={h})")
        tfm.append(ColorJitter(brightness=b, contrast=c, saturation=s, hue=h))
    if "randomgrayscale" in choices:
        print("+ random gray scale")
        tfm.append(RandomGrayscale(p=cfg.INPUT.RGS_P))
    if "gaussian_blur" in choices:
        print(f"+ gaussian blur (kernel={cfg.INPUT.GB_K})")
        tfm.append(RandomApply([GaussianBlur(cfg.INPUT.GB_K)], p=cfg.INPUT.GB_P))
    print("+ to torch tensor of range [0, 1]")
    tfm.append(ToTensor())
    if "cutout" in choices:
        n, length = cfg.INPUT.CUTOUT_N, cfg.INPUT.CUTOUT_LEN
        print(f"+ cutout (n_holes={n}, length={length})")
        tfm.append(Cutout(n, length))
    _append_normalizations(cfg, choices, normalize, tfm)
    if "gaussian_noise" in choices:
        print(f"+ gaussian noise (mean={cfg.INPUT.GN_MEAN}, std={cfg.INPUT.GN_STD})")
        tfm.append(GaussianNoise(cfg.INPUT.GN_MEAN, cfg.INPUT.GN_STD))
    if "instance_norm" in choices:
        print("+ instance normalization")
        tfm.append(InstanceNormalization())
    return Compose(tfm)


def _append_normalizations(cfg, choices, normalize, tfm):
    if "normalize" in choices:
        print(f"+ normalization (mean={cfg.INPUT.PIXEL_MEAN}, std={cfg.INPUT.PIXEL_STD})")
        tfm.append(normalize)


def _build_transform_test(cfg, choices, normalize):
    print("Building transform_test")
    interp_mode = INTERPOLATION_MODES[cfg.INPUT.INTERPOLATION]
    height, width = cfg.INPUT.SIZE
    print(f"+ resize the smaller edge to {max(cfg.INPUT.SIZE)}")
    tfm = [Resize(max(cfg.INPUT.SIZE), interpolation=interp_mode)]
    print(f"+ {height}x{width} center crop")
    tfm.append(CenterCrop(cfg.INPUT.SIZE))
    print("+ to torch tensor of range [0, 1]")
    tfm.append(ToTensor())
    _append_normalizations(cfg, choices, normalize, tfm)
    if "instance_norm" in choices:
        print("+ instance normalization")
        tfm.append(InstanceNormalization())
    return Compose(tfm)
