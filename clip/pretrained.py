"""Which OpenAI CLIP weights exist: model name -> download URL and SHA-256 digest."""
from typing import Dict, List, NamedTuple

_BASE_URL = "https://openaipublic.azureedge.net/clip/models"


class PretrainedWeights(NamedTuple):
    url: str
    sha256: str

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]


def _official(sha256: str, filename: str) -> PretrainedWeights:
    """OpenAI publishes each file under a folder named by its SHA-256."""
    return PretrainedWeights(f"{_BASE_URL}/{sha256}/{filename}", sha256)


PRETRAINED: Dict[str, PretrainedWeights] = {
    "RN50": _official("afeb0e10f9e5a86da6080e35cf09123aca3b358a0c3e3b6c78a7b63bc04b6762", "RN50.pt"),
    "RN101": _official("8fa8567bab74a42d41c5915025a8e4538c3bdbe8804a470a72f30b0d94fab599", "RN101.pt"),
    "RN50x4": _official("7e526bd135e493cef0776de27d5f42653e6b4c8bf9e0f653bb11773263205fdd", "RN50x4.pt"),
    "RN50x16": _official("52378b407f34354e150460fe41077663dd5b39c54cd0bfd2b27167a4a06ec9aa", "RN50x16.pt"),
    "RN50x64": _official("be1cfb55d75a9666199fb2206c106743da0f6468c9d327f3e0d0a543a9919d9c", "RN50x64.pt"),
    "ViT-B/32": _official("40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af", "ViT-B-32.pt"),
    "ViT-B/16": _official("5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f", "ViT-B-16.pt"),
    "ViT-L/14": _official("b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836", "ViT-L-14.pt"),
    "ViT-L/14@336px": _official("3035c92b350959924f9f00213499208652fc7ea050643e8b385c2dac08641f02",
                                "ViT-L-14-336px.pt"),
}

# OpenAI's public name -> URL table.
_MODELS: Dict[str, str] = {name: weights.url for name, weights in PRETRAINED.items()}


def available_models() -> List[str]:
    """Names accepted by `clip.load` (a local checkpoint path is accepted too)."""
    return list(PRETRAINED)
