"""CLIP's own test-time image preprocessing (the trainers use the Dassl pipeline instead)."""
from torchvision.transforms import CenterCrop, Compose, InterpolationMode, Normalize, Resize, ToTensor

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def image_transform(resolution: int) -> Compose:
    """PIL image -> normalised tensor: bicubic resize of the shorter side, centre crop, RGB."""
    return Compose([
        Resize(resolution, interpolation=InterpolationMode.BICUBIC),
        CenterCrop(resolution),
        lambda image: image.convert("RGB"),
        ToTensor(),
        Normalize(CLIP_MEAN, CLIP_STD),
    ])
