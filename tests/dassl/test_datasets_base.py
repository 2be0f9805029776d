import os
import pickle
import random

import pytest

from dassl.data.datasets import DatasetBase, Datum, load_fewshot_pickle, save_fewshot_pickle


def _make_items(tmp_path, labels):
    items = []
    for i, label in enumerate(labels):
        path = tmp_path / f"img{i}.jpg"
        path.write_bytes(b"")
        items.append(Datum(impath=str(path), label=label, classname=f"c{label}"))
    return items


def test_fewshot_draw_equals_per_label_random_sample(tmp_path):
    items = _make_items(tmp_path, [2, 0, 2, 1, 0, 2, 0, 1, 2])
    random.seed(1)
    dataset = DatasetBase.__new__(DatasetBase)
    drawn = dataset.generate_fewshot_dataset(items, num_shots=2)
    random.seed(1)
    by_label = {2: [items[0], items[2], items[5], items[8]], 0: [items[1], items[4], items[6]], 1: [items[3], items[7]]}
    expected = [x for label in (2, 0, 1) for x in random.sample(by_label[label], 2)]
    assert drawn == expected


def test_fewshot_keeps_all_items_of_small_classes_and_handles_several_sources(tmp_path):
    items = _make_items(tmp_path, [0, 0, 0, 1])
    dataset = DatasetBase.__new__(DatasetBase)
    train, val = dataset.generate_fewshot_dataset(items, items, num_shots=2)
    assert [x.label for x in train] == [0, 0, 1] and [x.label for x in val] == [0, 0, 1]


def test_dataset_properties_come_from_train_x(tmp_path):
    items = _make_items(tmp_path, [3, 1])
    dataset = DatasetBase(train_x=items, test=items[:1])
    assert dataset.num_classes == 4
    assert dataset.lab2cname == {1: "c1", 3: "c3"}
    assert dataset.classnames == ["c1", "c3"]


def test_datum_requires_existing_file(tmp_path):
    with pytest.warns(UserWarning, match="No file found"), pytest.raises(AssertionError):
        Datum(impath=str(tmp_path / "missing.jpg"))


def _write_legacy_pickle(path, impaths):
    """Same bytes as the original: class reference + ``__dict__``, stale absolute paths, no __init__ run."""
    datums = []
    for i, impath in enumerate(impaths):
        datum = Datum.__new__(Datum)
        datum.__dict__.update({"_impath": impath, "_label": i, "_domain": 0, "_classname": f"c{i}"})
        datums.append(datum)
    with open(path, "wb") as f:
        pickle.dump({"train": datums, "val": datums[:1]}, f, protocol=5)


def test_legacy_pickle_loads_and_reroots_paths(tmp_path):
    new_root = tmp_path / "data"
    (new_root / "dtd" / "images" / "banded").mkdir(parents=True)
    (new_root / "dtd" / "images" / "banded" / "a.jpg").write_bytes(b"")
    (new_root / "dtd" / "images" / "banded" / "b.jpg").write_bytes(b"")
    old = "/old/machine/datasets/dtd/images/banded/"
    pkl = tmp_path / "shot_1-seed_1.pkl"
    _write_legacy_pickle(pkl, [old + "a.jpg", old + "b.jpg"])
    data = load_fewshot_pickle(str(pkl), str(new_root))
    assert all(isinstance(d, Datum) for d in data["train"])
    assert [d.impath for d in data["train"]] == [str(new_root / "dtd/images/banded/a.jpg"), str(new_root / "dtd/images/banded/b.jpg")]
    assert [(d.label, d.domain, d.classname) for d in data["train"]] == [(0, 0, "c0"), (1, 0, "c1")]
    assert data["val"][0].impath == data["train"][0].impath


def test_unresolvable_path_fails_naming_image_and_cache(tmp_path):
    pkl = tmp_path / "shot_1-seed_1.pkl"
    _write_legacy_pickle(pkl, ["/old/dtd/images/missing.jpg"])
    with pytest.raises(FileNotFoundError, match="missing.jpg.*shot_1-seed_1.pkl"):
        load_fewshot_pickle(str(pkl), str(tmp_path))


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_restricted_unpickler_rejects_other_globals(tmp_path):
    pkl = tmp_path / "evil.pkl"
    pkl.write_bytes(pickle.dumps({"train": [_Evil()]}))
    with pytest.raises(pickle.UnpicklingError, match="Refusing to load global"):
        load_fewshot_pickle(str(pkl), str(tmp_path))


def test_our_cache_has_original_class_path_and_attributes(tmp_path):
    items = _make_items(tmp_path, [0])
    pkl = tmp_path / "cache.pkl"
    save_fewshot_pickle({"train": items, "val": items}, str(pkl))
    raw = pkl.read_bytes()
    assert b"dassl.data.datasets.base_dataset" in raw and b"Datum" in raw
    loaded = pickle.loads(raw)
    assert set(vars(loaded["train"][0])) == {"_impath", "_label", "_domain", "_classname"}
