"""The shared split helpers against hand-computed uses of Python's ``random``."""
import json
import os
import pickle
import random

import pytest

from dassl.data.datasets import Datum
from datasets import DescribableTextures, OxfordPets
from datasets import splits
from datasets.synthetic import write_image


@pytest.fixture
def image_pool(tmp_path):
    """Ten images per label for labels 0..4, listed label-interleaved (first appearance 2, 0, 4, 1, 3)."""
    order = [2, 0, 4, 1, 3]
    items = []
    for index in range(10):
        for label in order:
            path = tmp_path / "pool" / f"c{label}" / f"{index}.jpg"
            write_image(str(path), label, index, size=8)
            items.append(Datum(impath=str(path), label=label, classname=f"class{label}"))
    return items


def test_split_trainval_shuffles_each_class_in_first_appearance_order(image_pool):
    random.seed(5)
    train, val = splits.split_trainval(image_pool, p_val=0.2)

    random.seed(5)
    expected_train, expected_val = [], []
    for label in (2, 0, 4, 1, 3):
        indices = [i for i, item in enumerate(image_pool) if item.label == label]
        random.shuffle(indices)
        expected_val += [image_pool[i].impath for i in indices[:2]]
        expected_train += [image_pool[i].impath for i in indices[2:]]
    assert [item.impath for item in val] == expected_val
    assert [item.impath for item in train] == expected_train


@pytest.mark.parametrize("listing_order, image_order", [("filesystem", ["img9", "img8"]), ("sorted", ["img0", "img1"])])
def test_read_and_split_data_shuffles_listed_images_of_sorted_classes_50_20_30(
    listing_order, image_order, tmp_path, reversed_listing
):
    image_dir = tmp_path / "images"
    for folder in ("beta", "Alpha", "gamma"):
        for index in range(10):
            write_image(str(image_dir / folder / f"img{index}.jpg"), 0, index, size=8)
    random.seed(3)
    train, val, test = DescribableTextures.read_and_split_data(
        str(image_dir), new_cnames={"gamma": "Gamma Ray"}, listing_order=listing_order
    )

    random.seed(3)
    expected = {"train": [], "val": [], "test": []}
    for label, folder in enumerate(["Alpha", "beta", "gamma"]):
        names = sorted(f"img{index}.jpg" for index in range(10))
        names = names[::-1] if listing_order == "filesystem" else names
        assert [name[:4] for name in names[:2]] == image_order
        paths = [os.path.join(str(image_dir / folder), name) for name in names]
        random.shuffle(paths)
        expected["train"] += [(p, label) for p in paths[:5]]
        expected["val"] += [(p, label) for p in paths[5:7]]
        expected["test"] += [(p, label) for p in paths[7:]]
    for split, items in (("train", train), ("val", val), ("test", test)):
        assert [(item.impath, item.label) for item in items] == expected[split]
    assert {item.classname for item in test} == {"Alpha", "beta", "Gamma Ray"}


def test_unknown_listing_order_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="DATASET.LISTING_ORDER"):
        splits.list_images(str(tmp_path), "alphabetical")


def make_labelled(tmp_path, labels):
    path = tmp_path / "one.jpg"
    write_image(str(path), 0, 0, size=8)
    return [Datum(impath=str(path), label=label, classname=f"c{label}") for label in labels]


def test_subsample_base_keeps_first_ceil_half_of_47_labels(tmp_path, capsys):
    items = make_labelled(tmp_path, range(47))
    (base,) = OxfordPets.subsample_classes(items, subsample="base")
    assert [item.label for item in base] == list(range(24))
    assert capsys.readouterr().out == "SUBSAMPLE BASE CLASSES!\n"


def test_subsample_new_relabels_24_to_46_from_zero(tmp_path, capsys):
    items = make_labelled(tmp_path, reversed(range(47)))
    train, test = OxfordPets.subsample_classes(items, items[:5], subsample="new")
    assert [(item.label, item.classname) for item in train] == [(y - 24, f"c{y}") for y in reversed(range(24, 47))]
    assert [item.label for item in test] == [22, 21, 20, 19, 18]
    assert capsys.readouterr().out == "SUBSAMPLE NEW CLASSES!\n"


def test_subsample_takes_its_classes_from_the_first_list_only(tmp_path):
    train, test = OxfordPets.subsample_classes(
        make_labelled(tmp_path, [0, 5, 9]), make_labelled(tmp_path, [0, 1, 5, 9]), subsample="new"
    )
    assert [item.impath for item in train] == [train[0].impath] and [item.label for item in train] == [0]
    assert [item.label for item in test] == [0]


def test_subsample_all_returns_the_inputs_unchanged(tmp_path):
    items = make_labelled(tmp_path, [0, 1])
    result = OxfordPets.subsample_classes(items, items, subsample="all")
    assert result[0] is items and result[1] is items


def test_subsample_rejects_unknown_choice(tmp_path):
    with pytest.raises(ValueError, match="SUBSAMPLE_CLASSES must be one of"):
        OxfordPets.subsample_classes(make_labelled(tmp_path, [0]), subsample="novel")


def test_save_split_writes_relative_forward_slash_paths_that_read_back(image_pool, tmp_path, capsys):
    prefix = str(tmp_path / "pool")
    split_file = str(tmp_path / "split.json")
    OxfordPets.save_split(image_pool[:3], image_pool[3:4], image_pool[4:6], split_file, prefix)
    with open(split_file) as f:
        raw = json.load(f)
    assert sorted(raw) == ["test", "train", "val"]
    assert raw["train"][0] == ["c2/0.jpg", 2, "class2"]

    train, val, test = OxfordPets.read_split(split_file, prefix)
    assert [(d.impath, d.label, d.classname) for d in train + val + test] == [
        (d.impath, d.label, d.classname) for d in image_pool[:6]
    ]
    assert capsys.readouterr().out.splitlines() == [f"Saved split to {split_file}", f"Reading split from {split_file}"]


def test_fewshot_draw_is_random_sample_per_label_in_first_appearance_order(synthetic_dataset_factory, build_reader):
    data = synthetic_dataset_factory("DescribableTextures", n_classes=4)
    full = build_reader(data.root, "DescribableTextures")
    random.seed(11)
    reader = build_reader(data.root, "DescribableTextures", num_shots=3, seed=11)

    random.seed(11)
    expected_train = []
    for label in range(4):
        expected_train += random.sample([d.impath for d in full.train_x if d.label == label], 3)
    expected_val = []
    for label in range(4):
        expected_val += random.sample([d.impath for d in full.val if d.label == label], 3)
    assert [d.impath for d in reader.train_x] == expected_train
    assert [d.impath for d in reader.val] == expected_val


def test_fewshot_cache_holds_original_labels_of_all_classes_as_datum_pickles(
    synthetic_dataset_factory, build_reader
):
    data = synthetic_dataset_factory("EuroSAT", n_classes=4)
    build_reader(data.root, "EuroSAT", num_shots=2, seed=1, subsample="new")
    cache = os.path.join(data.dataset_dir, "split_fewshot", "shot_2-seed_1.pkl")
    with open(cache, "rb") as f:
        raw = f.read()
    assert b"dassl.data.datasets.base_dataset" in raw and b"_impath" in raw
    content = pickle.loads(raw)
    assert sorted(content) == ["train", "val"]
    assert [d.label for d in content["train"]] == [0, 0, 1, 1, 2, 2, 3, 3]
    assert all(os.path.isabs(d.impath) for d in content["train"])


def test_legacy_cache_with_foreign_absolute_paths_is_rerooted(synthetic_dataset_factory, build_reader):
    data = synthetic_dataset_factory("Caltech101", n_classes=4)
    fresh = build_reader(data.root, "Caltech101", num_shots=2, seed=1)
    cache = os.path.join(data.dataset_dir, "split_fewshot", "shot_2-seed_1.pkl")
    with open(cache, "rb") as f:
        content = pickle.load(f)
    for item in content["train"] + content["val"]:
        item._impath = item.impath.replace(data.root, "/mnt/elsewhere/prompt_learning")
    with open(cache, "wb") as f:
        pickle.dump(content, f, protocol=pickle.HIGHEST_PROTOCOL)

    reloaded = build_reader(data.root, "Caltech101", num_shots=2, seed=1)
    assert [d.impath for d in reloaded.train_x] == [d.impath for d in fresh.train_x]


def test_helpers_stay_reachable_where_upstream_calls_them():
    assert OxfordPets.read_split is splits.read_split
    assert OxfordPets.save_split is splits.save_split
    assert OxfordPets.split_trainval is splits.split_trainval
    assert OxfordPets.subsample_classes is splits.subsample_classes
    assert DescribableTextures.read_and_split_data is splits.read_and_split_data
