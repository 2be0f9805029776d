import json
import os

import pytest

from datasets.procedural_world import ProceduralWorld
from scripts.demo.dataset_writer import DESCRIPTIONS_FILE, DatasetSize, SPLIT_FILE, write_dataset
from scripts.demo.world import base_and_novel, world_classes

TINY = DatasetSize(train=2, val=1, test=1, image_size=16)


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("demo"))
    write_dataset(root, seed=1, size=TINY)
    return root


def test_split_file_lists_every_class_per_split(demo_root):
    with open(os.path.join(demo_root, "procedural_world", SPLIT_FILE)) as f:
        split = json.load(f)
    n_classes = len(world_classes())
    assert {key: len(value) for key, value in split.items()} == {"train": 2 * n_classes, "val": n_classes,
                                                                 "test": n_classes}
    first = world_classes()[0]
    assert split["train"][0] == [f"{first.folder}/train_0000.png", 0, first.name]


@pytest.mark.parametrize("subsample, half", [("base", 0), ("new", 1)])
def test_reader_splits_base_and_novel_combinations(demo_root, dataset_cfg, subsample, half):
    dataset = ProceduralWorld(dataset_cfg(demo_root, "ProceduralWorld", num_shots=2, seed=1, subsample=subsample))
    expected = [spec.name for spec in base_and_novel(world_classes())[half]]
    assert dataset.classnames == expected
    assert len(dataset.train_x) == 2 * len(expected)
    assert len(dataset.test) == len(expected)
    assert sorted({item.label for item in dataset.test}) == list(range(len(expected)))


def test_descriptions_cover_every_class(demo_root):
    with open(os.path.join(demo_root, "procedural_world", DESCRIPTIONS_FILE)) as f:
        descriptions = json.load(f)
    assert list(descriptions) == [spec.name for spec in world_classes()]


def test_rewriting_the_same_world_is_a_no_op_and_a_different_one_is_refused(demo_root):
    split_path = os.path.join(demo_root, "procedural_world", SPLIT_FILE)
    before = os.path.getmtime(split_path)
    write_dataset(demo_root, seed=1, size=TINY)
    assert os.path.getmtime(split_path) == before
    with pytest.raises(FileExistsError, match="different procedural world"):
        write_dataset(demo_root, seed=2, size=TINY)
