import hashlib
import os
import pathlib
import shutil

import pytest
import torch
from PIL import Image

import clip
from clip import clip as clip_module
from clip.checkpoint import read_state_dict
from clip.download import download
from clip.pretrained import PRETRAINED, PretrainedWeights
from clip.tiny import save_state_dict, tiny_vit_state_dict

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]


def sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


@pytest.fixture
def served_checkpoint(tmp_path, tiny_vit_checkpoint):
    """The tiny ViT published OpenAI-style at file://<server>/<sha256>/tiny.pt, registered as model 'tiny'."""
    digest = sha256(tiny_vit_checkpoint)
    published = tmp_path / "server" / digest / "tiny.pt"
    published.parent.mkdir(parents=True)
    shutil.copy(tiny_vit_checkpoint, published)
    return PretrainedWeights(published.as_uri(), digest)


def text_features(model):
    with torch.no_grad():
        return model.encode_text(clip.tokenize(["a photo of a dog."]))


def test_our_package_shadows_the_installed_openai_clip():
    assert pathlib.Path(clip.__file__).resolve().parent == REPO_ROOT / "clip"
    assert clip_module.load is clip.load and clip_module.tokenize is clip.tokenize


def test_models_table_names_urls_with_their_digest():
    assert clip.available_models()[:2] == ["RN50", "RN101"] and "ViT-B/16" in clip.available_models()
    url = clip._MODELS["ViT-B/16"]
    assert url.endswith("/5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f/ViT-B-16.pt")
    assert all(weights.url.split("/")[-2] == weights.sha256 for weights in PRETRAINED.values())


def test_load_path_gives_fp32_cpu_model_and_preprocess(tiny_vit_checkpoint):
    model, preprocess = clip.load(tiny_vit_checkpoint, device="cpu")
    assert model.dtype == torch.float32 and not model.training
    image = preprocess(Image.new("L", (50, 40), color=128))
    assert image.shape == (3, 32, 32)
    torch.testing.assert_close(image[:, 0, 0], (0.5020 - torch.tensor(clip.transform.CLIP_MEAN))
                               / torch.tensor(clip.transform.CLIP_STD), atol=1e-3, rtol=0)


def test_torchscript_archive_and_state_dict_give_the_same_model(tiny_vit_checkpoint,
                                                                 tiny_vit_torchscript_checkpoint):
    archive = read_state_dict(tiny_vit_torchscript_checkpoint)
    assert archive["input_resolution"].item() == 32
    from_state_dict, _ = clip.load(tiny_vit_checkpoint, device="cpu")
    from_archive, _ = clip.load(tiny_vit_torchscript_checkpoint, device="cpu")
    torch.testing.assert_close(text_features(from_archive), text_features(from_state_dict), rtol=0, atol=0)


def test_load_name_uses_verified_cache_without_download(tmp_path, monkeypatch, served_checkpoint):
    monkeypatch.setitem(PRETRAINED, "tiny", served_checkpoint._replace(url="file:///nonexistent/x/tiny.pt"))
    cache = tmp_path / "cache"
    cache.mkdir()
    shutil.copy(served_checkpoint.url.removeprefix("file://"), cache / "tiny.pt")
    model, _ = clip.load("tiny", device="cpu", download_root=str(cache))
    assert model.visual.input_resolution == 32


def test_load_name_downloads_into_cache(tmp_path, monkeypatch, served_checkpoint):
    monkeypatch.setitem(PRETRAINED, "tiny", served_checkpoint)
    cache = tmp_path / "cache"
    clip.load("tiny", device="cpu", download_root=str(cache))
    assert sorted(os.listdir(cache)) == ["tiny.pt"]
    assert sha256(cache / "tiny.pt") == served_checkpoint.sha256


def test_cache_dir_comes_from_environment(tmp_path, monkeypatch, served_checkpoint):
    monkeypatch.setenv("CLIP_CACHE_DIR", str(tmp_path / "env-cache"))
    path = clip._download(served_checkpoint.url)
    assert path == str(tmp_path / "env-cache" / "tiny.pt") and os.path.isfile(path)


def test_corrupt_cached_file_is_downloaded_again(tmp_path, served_checkpoint):
    (tmp_path / "tiny.pt").write_bytes(b"corrupt")
    with pytest.warns(UserWarning, match="does not match its SHA-256"):
        path = clip._download(served_checkpoint.url, str(tmp_path))
    assert sha256(path) == served_checkpoint.sha256


def test_bad_checksum_is_a_one_line_error_and_leaves_nothing(tmp_path, served_checkpoint):
    with pytest.raises(RuntimeError, match=r"tiny.pt has SHA-256 .* expected 0+; delete it and retry") as error:
        download(served_checkpoint.url, str(tmp_path / "cache"), "0" * 64)
    assert "\n" not in str(error.value)
    assert os.listdir(tmp_path / "cache") == []


def test_missing_file_offline_says_where_to_put_it(tmp_path):
    url = (tmp_path / "offline" / ("ab" * 32) / "ViT-B-16.pt").as_uri()
    target = tmp_path / "cache" / "ViT-B-16.pt"
    with pytest.raises(RuntimeError, match=f"put the file at {target}") as error:
        clip._download(url, str(tmp_path / "cache"))
    assert "\n" not in str(error.value) and os.listdir(tmp_path / "cache") == []


def test_target_that_is_not_a_file_is_rejected(tmp_path, served_checkpoint):
    (tmp_path / "tiny.pt").mkdir()
    with pytest.raises(RuntimeError, match="is not a regular file"):
        clip._download(served_checkpoint.url, str(tmp_path))


def test_unknown_model_name_lists_the_choices():
    with pytest.raises(RuntimeError, match=r"'ViT-X/99' not found: use one of \['RN50'"):
        clip.load("ViT-X/99", device="cpu")


def test_unreadable_checkpoint_names_the_file(tmp_path):
    path = tmp_path / "broken.pt"
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(RuntimeError, match=f"Cannot read CLIP checkpoint {path}"):
        clip.load(str(path), device="cpu")


def test_jit_models_are_refused(tiny_vit_checkpoint):
    with pytest.raises(ValueError, match="jit=False"):
        clip.load(tiny_vit_checkpoint, device="cpu", jit=True)


def test_save_state_dict_round_trips(tmp_path):
    state_dict = tiny_vit_state_dict(seed=5)
    path = save_state_dict(state_dict, str(tmp_path / "nested" / "model.pt"))
    loaded = read_state_dict(path)
    assert loaded.keys() == state_dict.keys()
    assert all(torch.equal(loaded[key], state_dict[key]) for key in state_dict)
