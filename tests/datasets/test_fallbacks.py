"""Split creation from raw annotations when ``split_zhou_*.json`` is missing."""
import os
import random
import sys

import pytest

from tests.fixtures.dataset_fixtures import make_synthetic_dataset

N_CLASSES = 4
SPLIT_FILES = {
    "OxfordPets": "split_zhou_OxfordPets.json",
    "SUN397": "split_zhou_SUN397.json",
    "UCF101": "split_zhou_UCF101.json",
    "Caltech101": "split_zhou_Caltech101.json",
    "Food101": "split_zhou_Food101.json",
    "DescribableTextures": "split_zhou_DescribableTextures.json",
    "EuroSAT": "split_zhou_EuroSAT.json",
    "StanfordCars": "split_zhou_StanfordCars.json",
    "OxfordFlowers": "split_zhou_OxfordFlowers.json",
}
TRAINVAL_SPLIT = ("OxfordPets", "SUN397", "UCF101", "StanfordCars")


def build_without_split(tmp_path, name, build_reader, seed=4, copy="data"):
    data = make_synthetic_dataset(
        tmp_path / copy, name, n_classes=N_CLASSES, train_per_class=6, val_per_class=4, test_per_class=3,
        with_split_file=False,
    )
    random.seed(seed)
    return data, build_reader(data.root, name)


@pytest.mark.parametrize("name", sorted(SPLIT_FILES))
def test_missing_split_is_created_saved_and_then_read(name, tmp_path, build_reader, capsys):
    data, created = build_without_split(tmp_path, name, build_reader)
    split_path = os.path.join(data.dataset_dir, SPLIT_FILES[name])
    assert f"Saved split to {split_path}" in capsys.readouterr().out
    assert created.classnames == data.classnames

    if name in TRAINVAL_SPLIT:
        sizes = (8, 2, 3)
    else:
        sizes = (6, 3, 4)
    assert (len(created.train_x), len(created.val), len(created.test)) == tuple(n * N_CLASSES for n in sizes)

    reread = build_reader(data.root, name)
    assert f"Reading split from {split_path}" in capsys.readouterr().out
    for a, b in ((created.train_x, reread.train_x), (created.val, reread.val), (created.test, reread.test)):
        assert [(d.impath, d.label, d.classname) for d in a] == [(d.impath, d.label, d.classname) for d in b]


@pytest.mark.parametrize("name", ["OxfordPets", "Caltech101"])
def test_created_split_depends_only_on_the_seed(name, tmp_path, build_reader):
    def relative_val(copy, seed):
        data, reader = build_without_split(tmp_path, name, build_reader, seed=seed, copy=copy)
        return [os.path.relpath(d.impath, data.root) for d in reader.val]

    assert relative_val("a", 4) == relative_val("b", 4)
    assert relative_val("a2", 4) != relative_val("c", 5)


def test_caltech_fallback_skips_background_and_easy_faces(tmp_path, build_reader):
    _, reader = build_without_split(tmp_path, "Caltech101", build_reader)
    folders = {os.path.basename(os.path.dirname(d.impath)) for d in reader.train_x + reader.val + reader.test}
    assert folders == {"Faces", "Leopards", "Motorbikes", "accordion"}
    assert reader.classnames == ["face", "leopard", "motorbike", "accordion"]


@pytest.mark.parametrize("name, mat_files", [
    ("StanfordCars", ["devkit/cars_train_annos.mat", "cars_test_annos_withlabels.mat", "devkit/cars_meta.mat"]),
    ("OxfordFlowers", ["imagelabels.mat", "cat_to_name.json"]),
])
def test_mat_fallback_without_scipy_names_the_fix(name, mat_files, synthetic_dataset_factory, build_reader,
                                                  monkeypatch):
    data = synthetic_dataset_factory(name, n_classes=N_CLASSES)
    os.remove(os.path.join(data.dataset_dir, SPLIT_FILES[name]))
    for relative in mat_files:
        path = os.path.join(data.dataset_dir, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "a").close()
    monkeypatch.setitem(sys.modules, "scipy.io", None)
    with pytest.raises(ImportError, match=r"needs scipy \(pip install scipy\)"):
        build_reader(data.root, name)
