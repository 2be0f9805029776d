"""Oracles for the CLIP tests: OpenAI's model.py and simple_tokenizer.py from the installed
`openai-clip` distribution, loaded by file path under private names (its package is never imported)."""
import importlib.metadata
import importlib.util

import pytest
import torch

from clip.build import build_model
from clip.tiny import tiny_resnet_state_dict, tiny_vit_state_dict


def load_reference_module(filename: str, module_name: str):
    distribution = importlib.metadata.distribution("openai-clip")
    path = next(distribution.locate_file(file) for file in distribution.files if file.name == filename)
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def reference_model_module():
    return load_reference_module("model.py", "openai_reference_clip_model")


@pytest.fixture(scope="session")
def reference_tokenizer():
    return load_reference_module("simple_tokenizer.py", "openai_reference_simple_tokenizer").SimpleTokenizer()


def model_pair(state_dict, reference_model_module, half=False):
    """(ours, OpenAI's) built from the same checkpoint, in fp32 as on CPU or (`half`) in the fp16 layout."""
    ours = build_model(state_dict)
    reference = reference_model_module.build_model(dict(state_dict))
    if half:
        return ours, reference
    return ours.float(), reference.float()


@pytest.fixture(scope="session")
def vit_pair(reference_model_module):
    return model_pair(tiny_vit_state_dict(vision_layers=3, text_layers=3, seed=1), reference_model_module)


@pytest.fixture(scope="session")
def half_vit_pair(reference_model_module):
    return model_pair(tiny_vit_state_dict(seed=1), reference_model_module, half=True)


@pytest.fixture(scope="session")
def half_resnet_pair(reference_model_module):
    return model_pair(tiny_resnet_state_dict(seed=2), reference_model_module, half=True)


@pytest.fixture(scope="session")
def resnet_pair(reference_model_module):
    return model_pair(tiny_resnet_state_dict(vision_layers=(1, 2, 1, 1), seed=2), reference_model_module)


def random_images(model, count: int = 3, seed: int = 0) -> torch.Tensor:
    size = model.visual.input_resolution
    return torch.randn(count, 3, size, size, generator=torch.Generator().manual_seed(seed))
