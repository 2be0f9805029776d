"""DATALOADER.PER_SAMPLE_SEEDS: a training item's view depends on (SEED, epoch, index) only."""
import random

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from dassl.config import get_cfg_default
from dassl.data import DatasetWrapper, index_loader, set_loader_epoch
from dassl.data.datasets import Datum
from dassl.data.sample_seeds import sample_seed, seeded_randomness
from dassl.data.transforms import build_transform

# torchvision (torch generator) and Dassl's own transforms (`random`, NumPy) in one pipeline
TRANSFORMS = ("random_resized_crop", "random_flip", "random_translation", "cutout", "normalize")


@pytest.fixture
def items(tmp_path):
    """Six copies of one structured image: any difference between views comes from the random draws."""
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(40, 56, 3), dtype=np.uint8)
    path = str(tmp_path / "photo.png")
    Image.fromarray(pixels).save(path)
    return [Datum(impath=path, label=index % 3) for index in range(6)]


def wrapper(items, per_sample=True, seed=1):
    cfg = get_cfg_default()
    cfg.SEED = seed
    cfg.INPUT.SIZE = (24, 24)
    cfg.INPUT.TRANSFORMS = TRANSFORMS
    cfg.DATALOADER.PER_SAMPLE_SEEDS = per_sample
    return DatasetWrapper(cfg, items, build_transform(cfg, is_train=True), is_train=True)


def views_by_index(dataset, num_workers, epoch, shuffle_seed):
    """{index: image} of one shuffled pass, as a training epoch reads them."""
    torch.manual_seed(shuffle_seed)
    loader = DataLoader(dataset, batch_size=2, shuffle=True, num_workers=num_workers)
    set_loader_epoch(loader, epoch)
    views = {}
    for batch in loader:
        views.update(zip(batch["index"].tolist(), batch["img"]))
    return views


def test_views_are_the_same_for_zero_and_two_workers_and_any_order(items):
    dataset = wrapper(items)
    in_process = views_by_index(dataset, num_workers=0, epoch=3, shuffle_seed=0)
    in_workers = views_by_index(dataset, num_workers=2, epoch=3, shuffle_seed=7)
    assert sorted(in_process) == sorted(in_workers) == list(range(6))
    for index in range(6):
        assert torch.equal(in_process[index], in_workers[index])


def test_views_differ_between_items_epochs_and_seeds(items):
    dataset = wrapper(items)
    epoch_zero = views_by_index(dataset, 0, epoch=0, shuffle_seed=0)
    epoch_one = views_by_index(dataset, 0, epoch=1, shuffle_seed=0)
    other_seed = views_by_index(wrapper(items, seed=2), 0, epoch=0, shuffle_seed=0)
    assert not torch.equal(epoch_zero[0], epoch_zero[1])
    assert not torch.equal(epoch_zero[0], epoch_one[0])
    assert not torch.equal(epoch_zero[0], other_seed[0])


def test_an_item_leaves_the_global_random_streams_where_they_were(items):
    dataset = wrapper(items)
    torch.manual_seed(5), random.seed(5), np.random.seed(5)
    dataset[2]
    after_item = (torch.rand(3), random.random(), np.random.rand())
    torch.manual_seed(5), random.seed(5), np.random.seed(5)
    assert torch.equal(after_item[0], torch.rand(3))
    assert after_item[1:] == (random.random(), np.random.rand())


def test_off_by_default_the_transform_draws_from_the_global_stream(items):
    assert get_cfg_default().DATALOADER.PER_SAMPLE_SEEDS is False
    dataset = wrapper(items, per_sample=False)
    torch.manual_seed(0), random.seed(0), np.random.seed(0)
    first = dataset[0]["img"]
    torch.manual_seed(0), random.seed(0), np.random.seed(0)
    assert torch.equal(first, dataset[0]["img"])
    assert not torch.equal(dataset[0]["img"], dataset[0]["img"])  # the stream moved on


def test_the_view_is_the_transform_under_the_item_seed(items):
    dataset = wrapper(items)
    dataset.set_epoch(4)
    with seeded_randomness(sample_seed(1, 4, 5)):
        expected = dataset.transform(Image.open(items[5].impath).convert("RGB"))
    assert torch.equal(dataset[5]["img"], expected)


def test_sample_seed_depends_on_each_part():
    seeds = {sample_seed(1, 0, 0), sample_seed(2, 0, 0), sample_seed(1, 1, 0), sample_seed(1, 0, 1), sample_seed(-1, 0, 0)}
    assert len(seeds) == 5
    assert all(0 <= seed < 2**63 for seed in seeds)


def test_index_loader_follows_the_image_loader_order_without_reading_images(items, monkeypatch):
    dataset = wrapper(items)
    torch.manual_seed(0)
    images = DataLoader(dataset, batch_size=4, shuffle=True, drop_last=True)
    indices = index_loader(images)
    torch.manual_seed(3)
    image_order = [batch["index"].tolist() for batch in images]
    after_images = torch.rand(2)
    monkeypatch.setattr("dassl.data.data_manager.read_image", lambda path: pytest.fail(f"read {path}"))
    torch.manual_seed(3)
    assert [batch["index"].tolist() for batch in indices] == image_order
    assert torch.equal(torch.rand(2), after_images)
    assert len(indices) == len(images) == 1
