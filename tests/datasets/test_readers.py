"""Every reader on its synthetic layout: names, sizes, base/new halves, few-shot draw and cache."""
import math
import os
import pickle
import random

import pytest

from datasets.synthetic import LAYOUTS, TEST_ONLY
from tests.fixtures.dataset_fixtures import make_synthetic_dataset

ALL_NAMES = sorted(LAYOUTS)
TRAINABLE = [name for name in ALL_NAMES if name not in TEST_ONLY]
N_CLASSES = 5


def relative_paths(items, root):
    return [os.path.relpath(item.impath, root) for item in items]


@pytest.mark.parametrize("name", ALL_NAMES)
def test_full_splits_have_the_layouts_class_names_and_sizes(name, synthetic_dataset_factory, build_reader):
    data = synthetic_dataset_factory(name, n_classes=N_CLASSES)
    reader = build_reader(data.root, name)
    assert reader.classnames == data.classnames
    assert reader.num_classes == N_CLASSES
    assert len(reader.train_x) == data.sizes["train"]
    assert len(reader.val or []) == data.sizes["val"]
    assert len(reader.test) == data.sizes["test"]
    assert reader.dataset_dir == data.dataset_dir
    assert os.path.isdir(reader.image_dir)


@pytest.mark.parametrize("name", TRAINABLE)
@pytest.mark.parametrize("subsample", ["base", "new"])
def test_base_and_new_halves_are_relabelled_from_zero(name, subsample, synthetic_dataset_factory, build_reader):
    data = synthetic_dataset_factory(name, n_classes=N_CLASSES)
    reader = build_reader(data.root, name, subsample=subsample)
    half = math.ceil(N_CLASSES / 2)
    expected = data.classnames[:half] if subsample == "base" else data.classnames[half:]
    assert reader.classnames == expected
    for split in (reader.train_x, reader.val, reader.test):
        assert sorted({item.label for item in split}) == list(range(len(expected)))
        assert all(item.classname == expected[item.label] for item in split)
    per_class_test = data.sizes["test"] // N_CLASSES
    assert len(reader.test) == per_class_test * len(expected)


@pytest.mark.parametrize("name", TRAINABLE)
def test_few_shot_keeps_k_train_and_min_k_4_val_per_class(name, synthetic_dataset_factory, build_reader):
    data = synthetic_dataset_factory(name, n_classes=N_CLASSES, train_per_class=6, val_per_class=5)
    reader = build_reader(data.root, name, num_shots=5, seed=3)
    assert len(reader.train_x) == 5 * N_CLASSES
    if name == "ImageNet":
        assert reader.val is reader.test and len(reader.test) == data.sizes["test"]
    else:
        assert len(reader.val) == 4 * N_CLASSES
        assert len(reader.test) == data.sizes["test"]
    assert os.path.isfile(os.path.join(data.dataset_dir, "split_fewshot", "shot_5-seed_3.pkl"))


@pytest.mark.parametrize("name", TRAINABLE)
def test_same_seed_draws_the_same_subset_in_a_fresh_folder(name, tmp_path, build_reader):
    """train.py seeds Python's ``random`` with SEED before the reader runs; nothing else draws."""
    draws = {}
    for copy, seed in (("a", 1), ("b", 1), ("c", 2)):
        data = make_synthetic_dataset(tmp_path / copy, name, n_classes=N_CLASSES)
        random.seed(seed)
        reader = build_reader(data.root, name, num_shots=2, seed=seed)
        draws[copy] = relative_paths(reader.train_x, data.root)
    assert draws["a"] == draws["b"]
    assert draws["a"] != draws["c"]


@pytest.mark.parametrize("name", TRAINABLE)
def test_second_build_reads_the_cached_subset(name, synthetic_dataset_factory, build_reader, capsys):
    data = synthetic_dataset_factory(name, n_classes=N_CLASSES)
    first = build_reader(data.root, name, num_shots=2, seed=7)
    cache = os.path.join(data.dataset_dir, "split_fewshot", "shot_2-seed_7.pkl")
    assert f"Saving preprocessed few-shot data to {cache}" in capsys.readouterr().out

    random.seed(12345)
    second = build_reader(data.root, name, num_shots=2, seed=7, subsample="base")
    out = capsys.readouterr().out
    assert f"Loading preprocessed few-shot data from {cache}" in out
    assert "Creating a" not in out
    first_base = [item.impath for item in first.train_x if item.label < math.ceil(N_CLASSES / 2)]
    assert [item.impath for item in second.train_x] == first_base


@pytest.mark.parametrize("name", TEST_ONLY)
def test_test_only_variants_ignore_shots_and_subsampling(name, synthetic_dataset_factory, build_reader):
    data = synthetic_dataset_factory(name, n_classes=N_CLASSES)
    reader = build_reader(data.root, name, num_shots=1, subsample="base")
    assert reader.classnames == data.classnames
    assert reader.val is None
    assert reader.train_x is reader.test and len(reader.test) == data.sizes["test"]
    assert not os.path.exists(os.path.join(data.dataset_dir, "split_fewshot"))


def test_imagenet_a_labels_follow_its_own_folders_not_imagenet(synthetic_dataset_factory, build_reader):
    data = synthetic_dataset_factory("ImageNetA", n_classes=3)
    reader = build_reader(data.root, "ImageNetA")
    assert reader.lab2cname == {0: "imagenet class 1", 1: "imagenet class 3", 2: "imagenet class 5"}


def test_imagenetv2_reads_folders_straight_under_the_dataset_folder(synthetic_dataset_factory, build_reader):
    data = synthetic_dataset_factory("ImageNetV2", n_classes=3)
    nested = os.path.join(data.dataset_dir, "imagenetv2-matched-frequency-format-val")
    for label in os.listdir(nested):
        os.rename(os.path.join(nested, label), os.path.join(data.dataset_dir, label))
    os.rmdir(nested)
    reader = build_reader(data.root, "ImageNetV2")
    assert reader.image_dir == data.dataset_dir
    assert len(reader.test) == data.sizes["test"]


def test_imagenet_sketch_accepts_the_sketch_folder_of_the_code(synthetic_dataset_factory, build_reader):
    data = synthetic_dataset_factory("ImageNetSketch", n_classes=3)
    os.rename(os.path.join(data.dataset_dir, "images"), os.path.join(data.dataset_dir, "sketch"))
    reader = build_reader(data.root, "ImageNetSketch")
    assert reader.image_dir == os.path.join(data.dataset_dir, "sketch")
    assert reader.classnames == data.classnames


def test_imagenet_caches_its_lists_in_preprocessed_pkl(synthetic_dataset_factory, build_reader):
    data = synthetic_dataset_factory("ImageNet", n_classes=3)
    first = build_reader(data.root, "ImageNet")
    os.remove(os.path.join(data.dataset_dir, "classnames.txt"))
    second = build_reader(data.root, "ImageNet")
    assert [item.impath for item in second.train_x] == [item.impath for item in first.train_x]
    assert second.classnames == data.classnames


@pytest.mark.parametrize("listing_order", ["filesystem", "sorted"])
def test_imagenet_lists_and_draws_images_in_the_listing_order(
    listing_order, synthetic_dataset_factory, build_reader, reversed_listing
):
    data = synthetic_dataset_factory("ImageNet", n_classes=2)
    full = build_reader(data.root, "ImageNet", listing_order=listing_order)
    names = [os.path.basename(item.impath) for item in full.train_x if item.label == 0]
    assert names == sorted(names, reverse=listing_order == "filesystem")

    os.remove(os.path.join(data.dataset_dir, "preprocessed.pkl"))
    random.seed(2)
    drawn = build_reader(data.root, "ImageNet", num_shots=2, seed=2, listing_order=listing_order)
    random.seed(2)
    expected = [path for label in (0, 1) for path in random.sample(
        [item.impath for item in full.train_x if item.label == label], 2)]
    assert [item.impath for item in drawn.train_x] == expected


def test_unseeded_few_shot_draw_warns(synthetic_dataset_factory, build_reader):
    data = synthetic_dataset_factory("Food101", n_classes=2)
    with pytest.warns(UserWarning, match=r"NUM_SHOTS=2 with SEED=-1: the few-shot draw is unseeded"):
        build_reader(data.root, "Food101", num_shots=2, seed=-1)
    assert os.path.isfile(os.path.join(data.dataset_dir, "split_fewshot", "shot_2-seed_-1.pkl"))


def test_cache_missing_val_fails_naming_the_file(synthetic_dataset_factory, build_reader):
    data = synthetic_dataset_factory("Food101", n_classes=2)
    build_reader(data.root, "Food101", num_shots=2, seed=1)
    cache = os.path.join(data.dataset_dir, "split_fewshot", "shot_2-seed_1.pkl")
    with open(cache, "rb") as f:
        content = pickle.load(f)
    with open(cache, "wb") as f:
        pickle.dump({"train": content["train"]}, f)
    with pytest.raises(ValueError, match=f"Few-shot cache {cache} lacks"):
        build_reader(data.root, "Food101", num_shots=2, seed=1)
