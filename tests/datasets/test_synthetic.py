"""The package's synthetic dataset builder (datasets/synthetic.py) on its own, outside the fixtures."""
import sys

import pytest

from datasets import synthetic


def test_raw_mat_annotations_without_scipy_name_the_missing_module(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.io", None)
    with pytest.raises(ModuleNotFoundError, match=r"needs scipy \(pip install scipy\)") as error:
        synthetic.make_synthetic_dataset(tmp_path, "OxfordFlowers", n_classes=2, with_split_file=False)
    assert error.value.name == "scipy"


def test_unknown_layout_lists_the_known_ones(tmp_path):
    with pytest.raises(KeyError, match="choose one of"):
        synthetic.make_synthetic_dataset(tmp_path, "NoSuchDataset")
