"""The 15 dataset readers (and the demo's ProceduralWorld); importing this package registers them in ``DATASET_REGISTRY``."""
from .caltech101 import Caltech101
from .dtd import DescribableTextures
from .eurosat import EuroSAT
from .fgvc_aircraft import FGVCAircraft
from .food101 import Food101
from .imagenet import ImageNet
from .imagenet_a import ImageNetA
from .imagenet_r import ImageNetR
from .imagenet_sketch import ImageNetSketch
from .imagenetv2 import ImageNetV2
from .oxford_flowers import OxfordFlowers
from .oxford_pets import OxfordPets
from .procedural_world import ProceduralWorld
from .stanford_cars import StanfordCars
from .sun397 import SUN397
from .ucf101 import UCF101

__all__ = [
    "Caltech101",
    "DescribableTextures",
    "EuroSAT",
    "FGVCAircraft",
    "Food101",
    "ImageNet",
    "ImageNetA",
    "ImageNetR",
    "ImageNetSketch",
    "ImageNetV2",
    "OxfordFlowers",
    "OxfordPets",
    "ProceduralWorld",
    "StanfordCars",
    "SUN397",
    "UCF101",
]
