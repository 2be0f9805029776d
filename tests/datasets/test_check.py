"""python -m datasets.check on synthetic trees: complete, one image missing or truncated, absent."""
import os

from datasets import check
from datasets.synthetic import make_synthetic_dataset


def _dtd(tmp_path):
    return make_synthetic_dataset(tmp_path / "data", name="DescribableTextures", n_classes=3)


def test_complete_tree_exits_zero(tmp_path, capsys):
    data = _dtd(tmp_path)
    make_synthetic_dataset(data.root, name="FGVCAircraft", n_classes=3)
    assert check.main(["--root", data.root, "dtd", "fgvc_aircraft"]) == 0
    out = capsys.readouterr().out
    assert "dtd: complete — train 18, val 9, test 9" in out
    assert "fgvc_aircraft: complete — train 18, val 9, test 9" in out


def test_missing_and_truncated_images_are_named(tmp_path, capsys):
    data = _dtd(tmp_path)
    image_dir = os.path.join(data.dataset_dir, "images")
    os.remove(os.path.join(image_dir, "texture01", "train_0001.jpg"))
    truncated = os.path.join(image_dir, "texture00", "test_0000.jpg")
    with open(truncated, "rb") as handle:
        head = handle.read(300)
    with open(truncated, "wb") as handle:
        handle.write(head)
    assert check.main(["--root", data.root, "dtd"]) == 1
    out = capsys.readouterr().out
    assert "dtd: incomplete" in out and "2 listed image(s) missing or unreadable" in out
    assert "dtd/images/texture01/train_0001.jpg (missing)" in out
    assert "dtd/images/texture00/test_0000.jpg (unreadable:" in out
    assert "train: 17 readable images, expected 18" in out and "test: 8 readable images, expected 9" in out
    assert f"python -m datasets.fetch dtd --root {data.root}" in out


def test_absent_dataset_is_missing_with_the_fix(tmp_path, capsys):
    data = _dtd(tmp_path)
    assert check.main(["--root", data.root, "dtd", "eurosat"]) == 1
    out = capsys.readouterr().out
    assert f"eurosat: missing — {data.root}/eurosat does not exist — fix: python -m datasets.fetch eurosat" in out


def test_missing_split_file_is_incomplete(tmp_path, capsys):
    data = _dtd(tmp_path)
    os.remove(os.path.join(data.dataset_dir, "split_zhou_DescribableTextures.json"))
    assert check.main(["--root", data.root, "dtd"]) == 1
    assert "lacks split_zhou_DescribableTextures.json" in capsys.readouterr().out


def test_variant_count_compares_with_the_published_count(tmp_path, capsys):
    data = make_synthetic_dataset(tmp_path / "data", name="ImageNetR", n_classes=3)
    assert check.main(["--root", data.root, "imagenet_r"]) == 1
    assert "test: 9 readable images, expected 30000" in capsys.readouterr().out


def test_unreadable_split_file_is_incomplete(tmp_path, capsys):
    data = _dtd(tmp_path)
    with open(os.path.join(data.dataset_dir, "split_zhou_DescribableTextures.json"), "w") as handle:
        handle.write("{not json")
    assert check.main(["--root", data.root, "dtd"]) == 1
    assert "dtd: incomplete — cannot read the image list of" in capsys.readouterr().out
