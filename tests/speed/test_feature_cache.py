"""The disk cache of test-set image features: keys, atomic publication, reuse and batching."""
import os
from types import SimpleNamespace

import pytest
import torch

from trainers.parts.feature_cache import FeatureBatches, ImageFeatureCache, cache_key, tensor_checksum


def items(*pairs):
    return [SimpleNamespace(impath=path, label=label) for path, label in pairs]


def loader_of(images, labels, batch_size):
    return [{"img": images[i:i + batch_size], "label": labels[i:i + batch_size]} for i in range(0, len(labels), batch_size)]


BASE_KEY = dict(weights_checksum="w", dataset_name="Caltech101", split="test_loader",
                items=items(("a.jpg", 0), ("b.jpg", 1)), transform="Resize(224)")


def test_tensor_checksum_sees_values_dtype_and_names():
    state = {"w": torch.arange(4.0)}
    assert tensor_checksum(state) == tensor_checksum({"w": torch.arange(4.0)})
    assert tensor_checksum(state) != tensor_checksum({"w": torch.arange(4.0) + 1e-6})
    assert tensor_checksum(state) != tensor_checksum({"w": torch.arange(4.0).half()})
    assert tensor_checksum(state) != tensor_checksum({"v": torch.arange(4.0)})


@pytest.mark.parametrize("field, value", [
    ("weights_checksum", "other"),
    ("dataset_name", "OxfordPets"),
    ("split", "val_loader"),
    ("items", items(("a.jpg", 0))),
    ("items", items(("a.jpg", 1), ("b.jpg", 0))),
    ("transform", "Resize(256)"),
])
def test_cache_key_changes_with_every_input(field, value):
    assert cache_key(**BASE_KEY) == cache_key(**dict(BASE_KEY))
    assert cache_key(**{**BASE_KEY, field: value}) != cache_key(**BASE_KEY)


def test_features_are_encoded_once_then_read_back_equal(tmp_path):
    images, labels = torch.randn(5, 3), torch.tensor([0, 1, 2, 0, 1])
    projection = torch.randn(3, 4)
    calls = []

    def encode(batch):
        calls.append(len(batch))
        return batch @ projection

    cache = ImageFeatureCache(str(tmp_path / "cache"))
    first, first_labels = cache.features("k", loader_of(images, labels, 2), encode, "cpu")
    assert calls == [2, 2, 1]
    again, again_labels = ImageFeatureCache(str(tmp_path / "cache")).features("k", loader_of(images, labels, 2), encode, "cpu")
    assert calls == [2, 2, 1]
    torch.testing.assert_close(first, images @ projection)
    assert torch.equal(again, first) and torch.equal(again_labels, labels) and torch.equal(first_labels, labels)


def test_store_leaves_no_partial_file_and_replaces_atomically(tmp_path):
    cache = ImageFeatureCache(str(tmp_path))
    cache.store("k", torch.zeros(2, 3), torch.tensor([0, 1]))
    cache.store("k", torch.ones(2, 3), torch.tensor([1, 0]))
    assert os.listdir(tmp_path) == ["k.pt"]
    assert torch.equal(cache.load("k")["features"], torch.ones(2, 3))


def test_failed_write_leaves_nothing_behind(tmp_path):
    cache = ImageFeatureCache(str(tmp_path))
    with pytest.raises(AttributeError):
        cache.store("k", "not a tensor", torch.tensor([0]))
    assert os.listdir(tmp_path) == []
    assert cache.load("k") is None


def test_feature_batches_follow_the_loader_batch_size():
    features, labels = torch.randn(5, 4), torch.arange(5)
    batches = list(FeatureBatches(features, labels, 2))
    assert len(FeatureBatches(features, labels, 2)) == 3
    assert [len(b["label"]) for b in batches] == [2, 2, 1]
    assert torch.equal(torch.cat([b["img"] for b in batches]), features)


def test_feature_batches_reject_mismatched_lengths():
    with pytest.raises(ValueError, match="delete the cache entry"):
        FeatureBatches(torch.randn(3, 4), torch.arange(2), 2)


def race_for_one_entry(directory, seed, rounds, results):
    """A concurrent run: store its own (same-content) entry again and again while reading it back."""
    torch.manual_seed(0)
    features, labels = torch.randn(64, 32), torch.arange(64)
    cache = ImageFeatureCache(directory)
    for _ in range(rounds):
        try:
            cache.store("k", features, labels)
            entry = cache.load("k")
        except Exception as error:  # a torn file fails to unpickle: report it instead of dying silently
            results.put(f"writer {seed}: {error!r}")
            return
        if not (torch.equal(entry["features"], features) and torch.equal(entry["labels"], labels)):
            results.put(f"writer {seed} read a torn entry")
            return
    results.put("ok")


def test_concurrent_writers_and_readers_never_see_a_partial_entry(tmp_path):
    import multiprocessing

    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [context.Process(target=race_for_one_entry, args=(str(tmp_path), seed, 30, results))
               for seed in range(4)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert outcomes == ["ok"] * 4
    assert os.listdir(tmp_path) == ["k.pt"]
