"""Bad input fails at start-up with one line naming the path and the DATASETS.md section."""
import os
import re
import shutil

import pytest

from datasets.synthetic import LAYOUTS

ALL_NAMES = sorted(LAYOUTS)
IMAGE_FOLDERS = {
    "OxfordPets": "images",
    "Caltech101": "101_ObjectCategories",
    "OxfordFlowers": "jpg",
    "Food101": "images",
    "FGVCAircraft": "images",
    "SUN397": "SUN397",
    "DescribableTextures": "images",
    "EuroSAT": "2750",
    "UCF101": "UCF-101-midframes",
    "ImageNet": "images/train",
    "ImageNetSketch": "images",
    "ImageNetA": "imagenet-a",
    "ImageNetR": "imagenet-r",
}


def one_line_error(error_type, build):
    with pytest.raises(error_type) as info:
        build()
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("name", ALL_NAMES)
def test_missing_root_names_the_root_and_section(name, tmp_path, build_reader):
    root = tmp_path / "no_such_root"
    message = one_line_error(FileNotFoundError, lambda: build_reader(str(root), name))
    assert message == f"Dataset root not found: {root} (DATASET.ROOT / --root) — see DATASETS.md#{name.lower()}"


@pytest.mark.parametrize("name", ALL_NAMES)
def test_missing_dataset_folder_names_the_folder(name, synthetic_dataset_factory, build_reader):
    data = synthetic_dataset_factory(name, n_classes=2)
    shutil.rmtree(data.dataset_dir)
    message = one_line_error(FileNotFoundError, lambda: build_reader(data.root, name))
    assert message == f"Dataset folder not found: {data.dataset_dir} — see DATASETS.md#{name.lower()}"


@pytest.mark.parametrize("name", sorted(IMAGE_FOLDERS))
def test_missing_image_folder_names_the_folder(name, synthetic_dataset_factory, build_reader):
    data = synthetic_dataset_factory(name, n_classes=2)
    image_dir = os.path.join(data.dataset_dir, IMAGE_FOLDERS[name])
    shutil.rmtree(image_dir)
    message = one_line_error(FileNotFoundError, lambda: build_reader(data.root, name))
    assert message == f"Image folder not found: {image_dir} — see DATASETS.md#{name.lower()}"


def test_missing_split_file_without_raw_annotations(synthetic_dataset_factory, build_reader):
    data = synthetic_dataset_factory("OxfordPets", n_classes=2)
    split_path = os.path.join(data.dataset_dir, "split_zhou_OxfordPets.json")
    os.remove(split_path)
    message = one_line_error(FileNotFoundError, lambda: build_reader(data.root, "OxfordPets"))
    trainval = os.path.join(data.dataset_dir, "annotations", "trainval.txt")
    assert message == (
        f"Split file not found: {split_path} (nor {trainval} to create it from) — see DATASETS.md#oxfordpets"
    )


def test_missing_image_listed_in_split_file(synthetic_dataset_factory, build_reader):
    data = synthetic_dataset_factory("Food101", n_classes=2)
    missing = os.path.join(data.dataset_dir, "images", "dish_01", "test_0001.jpg")
    os.remove(missing)
    message = one_line_error(FileNotFoundError, lambda: build_reader(data.root, "Food101"))
    assert message.startswith(f"Image not found: {missing} (listed in {data.dataset_dir}/split_zhou_Food101.json)")


@pytest.mark.parametrize("name, relative, what", [
    ("FGVCAircraft", "variants.txt", "Class list"),
    ("FGVCAircraft", "images_variant_val.txt", "Split file"),
    ("ImageNet", "classnames.txt", "Class-name file"),
    ("ImageNetV2", "classnames.txt", "Class-name file"),
    ("ImageNetA", "classnames.txt", "Class-name file"),
])
def test_missing_list_file_names_it(name, relative, what, synthetic_dataset_factory, build_reader):
    data = synthetic_dataset_factory(name, n_classes=2)
    path = os.path.join(data.dataset_dir, relative)
    os.remove(path)
    message = one_line_error(FileNotFoundError, lambda: build_reader(data.root, name))
    assert message == f"{what} not found: {path} — see DATASETS.md#{name.lower()}"


def test_imagenetv2_missing_label_folder(synthetic_dataset_factory, build_reader):
    data = synthetic_dataset_factory("ImageNetV2", n_classes=2)
    folder = os.path.join(data.dataset_dir, "imagenetv2-matched-frequency-format-val", "1")
    shutil.rmtree(folder)
    message = one_line_error(FileNotFoundError, lambda: build_reader(data.root, "ImageNetV2"))
    assert message == f"Image folder not found: {folder} — see DATASETS.md#imagenetv2"


def test_every_error_anchor_is_a_section_of_datasets_md():
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(repo, "DATASETS.md")) as f:
        headings = {re.sub(r"[^a-z0-9 -]", "", line[3:].strip().lower()).replace(" ", "-")
                    for line in f if line.startswith("## ")}
    assert {name.lower() for name in ALL_NAMES} <= headings
