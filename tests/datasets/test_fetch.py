"""python -m datasets.fetch against a loopback server serving small archives in the real layouts."""
import os
from types import SimpleNamespace

import pytest
import torch

from dassl.data.datasets import DATASET_REGISTRY
from datasets import check
from datasets.fetch import __main__ as fetch_cli
from datasets.fetch.assets import fetch_anchors, fetch_descriptions
from datasets.fetch.install import install_dataset
from datasets.fetch.table import FetchError, load_table
from datasets.synthetic import make_synthetic_dataset
from tests.datasets.fetch_archives import (PACKERS, build_archives, publish, tar_bytes, tree_entries, url_path,
                                           with_our_checksums, zip_bytes)
from tests.fixtures.dataset_fixtures import make_dataset_cfg

TABLE = load_table()


@pytest.fixture
def plenty_of_space(monkeypatch):
    """The command-line tests use the real table, whose sizes are the real archives'."""
    monkeypatch.setattr("shutil.disk_usage", lambda path: SimpleNamespace(free=2**50))


def _prepare(key, tmp_path, server, **publish_options):
    data, archives = build_archives(key, tmp_path / "build")
    spec = with_our_checksums(TABLE.dataset(key), archives)
    publish(server, spec, data, archives, **publish_options)
    return data, archives, spec


@pytest.mark.parametrize("key", sorted(PACKERS))
def test_fetchedtree_entries_is_what_the_reader_reads(key, tmp_path, loopback_server):
    data, _, spec = _prepare(key, tmp_path, loopback_server)
    root = tmp_path / "data"
    assert install_dataset(spec, str(root), loopback_server.url) == "fetched"
    assert sorted(os.listdir(root)) == [spec.folder]  # no staging folder, no downloads left
    reader = DATASET_REGISTRY.get(data.name)(make_dataset_cfg(root, data.name))
    sizes = {"train": len(reader.train_x), "val": len(reader.val or []), "test": len(reader.test)}
    assert sizes == data.sizes
    assert reader.classnames == data.classnames
    assert install_dataset(spec, str(root), loopback_server.url) == "present"


def test_checksum_mismatch_names_url_and_sums_and_leaves_nothing(tmp_path, loopback_server):
    data, archives, spec = _prepare("dtd", tmp_path, loopback_server)
    path = url_path(spec.sources[0].files[0].urls[0])
    loopback_server.put(path, data=archives["dtd-r1.0.1.tar.gz"][:-10] + b"corrupted!")
    root = tmp_path / "data"
    with pytest.raises(FetchError) as error:
        install_dataset(spec, str(root), loopback_server.url)
    message = str(error.value)
    assert f"{loopback_server.url}{path}: md5 mismatch" in message
    assert f"expected {spec.sources[0].files[0].md5}, found " in message
    assert os.listdir(root) == []


def test_cut_transfer_resumes_on_the_next_run(tmp_path, loopback_server):
    data, archives = build_archives("dtd", tmp_path / "build")
    noise = tmp_path / "noise.bin"
    noise.write_bytes(os.urandom(3 * 2**20))  # gdown writes 512 KiB chunks: the cut must leave some
    entries = tree_entries(data.dataset_dir, "dtd") + [(str(noise), "dtd/imdb/noise.bin")]
    archives["dtd-r1.0.1.tar.gz"] = tar_bytes(entries)
    spec = with_our_checksums(TABLE.dataset("dtd"), archives)
    publish(loopback_server, spec, data, archives)
    path = url_path(spec.sources[0].files[0].urls[0])
    loopback_server.cut_once[path] = 2 * 2**20
    root = tmp_path / "data"
    with pytest.raises(FetchError):
        install_dataset(spec, str(root), loopback_server.url)
    [partial] = os.listdir(root / ".downloads" / "dtd")
    kept = os.path.getsize(root / ".downloads" / "dtd" / partial)
    assert partial.endswith(".part") and kept > 0 and not (root / "dtd").exists()
    assert install_dataset(spec, str(root), loopback_server.url) == "fetched"
    assert loopback_server.requests.count((path, f"bytes={kept}-")) == 1


def test_first_location_missing_uses_the_next(tmp_path, loopback_server):
    _, _, spec = _prepare("eurosat", tmp_path, loopback_server, url_index=1)
    root = tmp_path / "data"
    assert install_dataset(spec, str(root), loopback_server.url) == "fetched"
    first, second = (url_path(url) for url in spec.sources[0].files[0].urls)
    requested = [path for path, _ in loopback_server.requests]
    assert requested.index(first) < requested.index(second)


def test_official_source_missing_uses_the_authors_hub_copy(tmp_path, loopback_server):
    data, _ = build_archives("dtd", tmp_path / "build")
    archives = {"dtd.zip": zip_bytes(tree_entries(data.dataset_dir, "dtd"))}
    spec = with_our_checksums(TABLE.dataset("dtd"), archives)
    publish(loopback_server, spec, data, archives, source_index=1, extras=False)
    root = tmp_path / "data"
    assert install_dataset(spec, str(root), loopback_server.url) == "fetched"
    reader = DATASET_REGISTRY.get(data.name)(make_dataset_cfg(root, data.name))
    assert len(reader.train_x) == data.sizes["train"]
    requested = [path for path, _ in loopback_server.requests]
    hub_copy = "/zhengli97/prompt_learning_dataset/resolve/main/dtd.zip"
    assert requested == [url_path(spec.sources[0].files[0].urls[0]), hub_copy]


def test_every_source_failing_gives_one_error_naming_each(tmp_path, loopback_server):
    spec = TABLE.dataset("dtd")
    with pytest.raises(FetchError) as error:
        install_dataset(spec, str(tmp_path / "data"), loopback_server.url)
    message = str(error.value)
    for source in spec.sources:
        assert f"  {source.label}: " in message
        for file_spec in source.files:
            assert f"{loopback_server.url}{url_path(file_spec.urls[0])}: 404" in message


def test_disk_space_short_refuses_to_start(tmp_path, loopback_server, monkeypatch):
    spec = TABLE.dataset("sun397")
    monkeypatch.setattr("shutil.disk_usage", lambda path: SimpleNamespace(free=10 * 2**30))
    with pytest.raises(FetchError, match=r"sun397: needs about 72.3 GB free .* only 10.0 GB free"):
        install_dataset(spec, str(tmp_path / "data"), loopback_server.url)
    assert loopback_server.requests == []


def test_command_line_fetch_then_check(tmp_path, loopback_server, capsys, plenty_of_space):
    _prepare("fgvc_aircraft", tmp_path, loopback_server)
    root = str(tmp_path / "data")
    assert fetch_cli.main(["fgvc_aircraft", "--root", root, "--from", loopback_server.url]) == 0
    assert "fgvc_aircraft: fetched" in capsys.readouterr().out
    assert check.main(["--root", root, "fgvc_aircraft"]) == 0


def test_environment_variable_sets_the_mirror(tmp_path, loopback_server, monkeypatch, plenty_of_space):
    _prepare("fgvc_aircraft", tmp_path, loopback_server)
    monkeypatch.setenv("FETCH_FROM", loopback_server.url)
    assert fetch_cli.main(["fgvc_aircraft", "--root", str(tmp_path / "data")]) == 0


def test_descriptions_are_checked_by_checksum_or_format(tmp_path, loopback_server):
    upstream_path = url_path(TABLE.upstream)
    loopback_server.put(f"{upstream_path}/templates/ucf_prompts_full.json", data=b'{"Apply Eye Makeup": ["a"]}')
    loopback_server.put(f"{upstream_path}/templates/cal_prompts_full.json", data=b'{"face": ["a"]}')
    loopback_server.put(f"{upstream_path}/templates/sun_prompts_full.json", data=b"<html>not json</html>")
    destination = tmp_path / "templates"
    [path] = fetch_descriptions(TABLE, str(destination), loopback_server.url, {"ucf_prompts_full.json"})
    assert path == str(destination / "ucf_prompts_full.json")
    with pytest.raises(FetchError, match="sha256 mismatch .* expected aaec2434"):
        fetch_descriptions(TABLE, str(destination), loopback_server.url, {"cal_prompts_full.json"})
    with pytest.raises(FetchError, match="is not JSON"):
        fetch_descriptions(TABLE, str(destination), loopback_server.url, {"sun_prompts_full.json"})
    assert sorted(os.listdir(destination)) == ["ucf_prompts_full.json"]


def test_anchors_land_where_stage_two_looks(tmp_path, loopback_server):
    served = tmp_path / "anchor.pth.tar"
    torch.save({"state_dict": {"anchor_ctx_1": torch.zeros(1, 512, dtype=torch.float16)}}, served)
    relative = "FGVCAircraft/anchor_prompt_learner/model.pth.tar"
    loopback_server.put(f"{url_path(TABLE.upstream)}/anchor_weights/{relative}-20", str(served))  # upstream's name
    [path] = fetch_anchors(TABLE, str(tmp_path / "anchor_weights"), loopback_server.url, {"FGVCAircraft"})
    assert path == str(tmp_path / "anchor_weights" / relative)
    assert torch.load(path)["state_dict"]["anchor_ctx_1"].shape == (1, 512)


def test_imagenet_prints_the_manual_steps(tmp_path, loopback_server, capsys):
    extra = TABLE.dataset("imagenet").extras[0]
    loopback_server.put(url_path(extra.urls[0]), data=b"n01440764 tench\n")
    root = str(tmp_path / "data")
    assert fetch_cli.main(["imagenet", "--root", root, "--from", loopback_server.url]) == 1
    out = capsys.readouterr().out
    assert "needs an account" in out and f"mkdir -p {root}/imagenet/images/train" in out
    assert (tmp_path / "data" / "imagenet" / "classnames.txt").read_text() == "n01440764 tench\n"


def test_existing_folder_without_split_gets_only_the_split(tmp_path, loopback_server):
    data, _, spec = _prepare("dtd", tmp_path, loopback_server)
    root = tmp_path / "data"
    make_synthetic_dataset(root, name="DescribableTextures", n_classes=3, train_per_class=2, val_per_class=1,
                           test_per_class=1)
    split = root / "dtd" / "split_zhou_DescribableTextures.json"
    split.unlink()
    assert install_dataset(spec, str(root), loopback_server.url) == "fetched"
    assert split.read_bytes() == open(os.path.join(data.dataset_dir, split.name), "rb").read()
    assert [path for path, _ in loopback_server.requests] == [url_path(spec.extras[0].urls[0])]


def test_one_failing_dataset_does_not_stop_the_others(tmp_path, loopback_server, capsys, plenty_of_space):
    _prepare("fgvc_aircraft", tmp_path, loopback_server)
    root = str(tmp_path / "data")
    assert fetch_cli.main(["eurosat", "fgvc_aircraft", "--root", root, "--from", loopback_server.url]) == 1
    captured = capsys.readouterr()
    assert "fgvc_aircraft: fetched" in captured.out
    assert "error: eurosat: no source worked" in captured.err and "not complete: eurosat" in captured.err


def test_anchor_that_is_not_a_checkpoint_is_refused(tmp_path, loopback_server):
    loopback_server.put(f"{url_path(TABLE.upstream)}/anchor_weights/UCF101/anchor_prompt_learner/model.pth.tar",
                        data=b"version https://git-lfs.github.com/spec/v1\n")
    with pytest.raises(FetchError, match="is not a torch checkpoint"):
        fetch_anchors(TABLE, str(tmp_path / "anchor_weights"), loopback_server.url, {"UCF101"})
    assert list((tmp_path / "anchor_weights").rglob("*.tar")) == []
