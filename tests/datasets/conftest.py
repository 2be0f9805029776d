"""Helpers shared by the dataset tests: build a reader from a synthetic dataset."""
import pytest

import datasets  # noqa: F401  (registers the readers)
from dassl.data.datasets import DATASET_REGISTRY
from tests.fixtures.dataset_fixtures import make_dataset_cfg


@pytest.fixture
def build_reader():
    """``build_reader(data_or_root, name, **cfg_values)`` -> the reader instance."""

    def build(root, name, num_shots=-1, seed=1, subsample="all"):
        return DATASET_REGISTRY.get(name)(make_dataset_cfg(root, name, num_shots, seed, subsample))

    return build
