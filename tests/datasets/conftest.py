"""Helpers shared by the dataset tests: build a reader from a synthetic dataset."""
import os

import pytest

import datasets  # noqa: F401  (registers the readers)
from dassl.data.datasets import DATASET_REGISTRY
from tests.fixtures.dataset_fixtures import make_dataset_cfg


@pytest.fixture
def build_reader():
    """``build_reader(data_or_root, name, **cfg_values)`` -> the reader instance."""

    def build(root, name, num_shots=-1, seed=1, subsample="all", listing_order="filesystem"):
        return DATASET_REGISTRY.get(name)(make_dataset_cfg(root, name, num_shots, seed, subsample, listing_order))

    return build


@pytest.fixture
def reversed_listing(monkeypatch):
    """A file system whose directory listing order is reverse-alphabetical (real ones are arbitrary)."""
    real_listdir = os.listdir
    monkeypatch.setattr(os, "listdir", lambda path: sorted(real_listdir(path), reverse=True))
