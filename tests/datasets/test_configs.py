"""The dataset config files keep the original names and values."""
import os

import pytest
import yaml

from dassl.data.datasets import DATASET_REGISTRY
from datasets.synthetic import LAYOUTS, REPO_ROOT


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_config_file_names_the_registered_reader_with_16_shots(name):
    config_file = os.path.join(REPO_ROOT, "configs", "datasets", f"{LAYOUTS[name][0]}.yaml")
    with open(config_file) as f:
        config = yaml.safe_load(f)
    assert config == {"DATASET": {"NAME": name, "NUM_SHOTS": 16}}
    assert DATASET_REGISTRY.get(name).__name__ == name
