"""Builds the dataset, transforms and the four loaders a trainer reads."""
import torch
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import Compose, Normalize, Resize, ToTensor

from dassl.utils import read_image

from .datasets import build_dataset
from .sample_seeds import sample_seed, seeded_randomness
from .samplers import build_sampler
from .transforms import INTERPOLATION_MODES, build_transform


def build_data_loader(
    cfg,
    sampler_type="SequentialSampler",
    data_source=None,
    batch_size=64,
    n_domain=0,
    n_ins=2,
    tfm=None,
    is_train=True,
    dataset_wrapper=None,
    class_names=None,
):
    """A DataLoader over ``data_source``; training drops the last partial batch only if a full one exists.

    ``class_names`` is accepted (and unused) for compatibility with the vendored signature.
    """
    sampler = build_sampler(sampler_type, cfg=cfg, data_source=data_source, batch_size=batch_size, n_domain=n_domain, n_ins=n_ins)
    wrapper = dataset_wrapper or DatasetWrapper
    loader = DataLoader(
        wrapper(cfg, data_source, transform=tfm, is_train=is_train),
        batch_size=batch_size,
        sampler=sampler,
        num_workers=cfg.DATALOADER.NUM_WORKERS,
        drop_last=is_train and len(data_source) >= batch_size,
        pin_memory=torch.cuda.is_available() and cfg.USE_CUDA,
    )
    if len(loader) == 0:
        split = "train" if is_train else "test/val"
        raise ValueError(
            f"Empty {split} loader for dataset {cfg.DATASET.NAME} ({len(data_source)} items, batch size {batch_size}); "
            "check the dataset files and DATALOADER.*.BATCH_SIZE"
        )
    return loader


class DataManager:
    """Dataset + loaders; the dataset is built before the transforms so reader messages log first."""

    def __init__(self, cfg, custom_tfm_train=None, custom_tfm_test=None, dataset_wrapper=None):
        dataset = build_dataset(cfg)
        if custom_tfm_train is None:
            tfm_train = build_transform(cfg, is_train=True)
        else:
            print("* Using custom transform for training")
            tfm_train = custom_tfm_train
        if custom_tfm_test is None:
            tfm_test = build_transform(cfg, is_train=False)
        else:
            print("* Using custom transform for testing")
            tfm_test = custom_tfm_test

        loader_x_cfg = cfg.DATALOADER.TRAIN_X
        self.train_loader_x = self._build_train_loader(cfg, loader_x_cfg, dataset.train_x, tfm_train, dataset_wrapper)
        self.train_loader_u = None
        if dataset.train_u:
            loader_u_cfg = loader_x_cfg if cfg.DATALOADER.TRAIN_U.SAME_AS_X else cfg.DATALOADER.TRAIN_U
            self.train_loader_u = self._build_train_loader(
                cfg, loader_u_cfg, dataset.train_u, tfm_train, dataset_wrapper
            )
        self.val_loader = None
        if dataset.val:
            self.val_loader = self._build_test_loader(cfg, dataset.val, tfm_test, dataset_wrapper)
        self.test_loader = self._build_test_loader(cfg, dataset.test, tfm_test, dataset_wrapper)

        self._num_classes = dataset.num_classes
        self._num_source_domains = len(cfg.DATASET.SOURCE_DOMAINS)
        self._lab2cname = dataset.lab2cname
        self.dataset = dataset
        if cfg.VERBOSE:
            self.show_dataset_summary(cfg)

    @staticmethod
    def _build_train_loader(cfg, loader_cfg, data_source, tfm, dataset_wrapper):
        return build_data_loader(
            cfg,
            sampler_type=loader_cfg.SAMPLER,
            data_source=data_source,
            batch_size=loader_cfg.BATCH_SIZE,
            n_domain=loader_cfg.N_DOMAIN,
            n_ins=loader_cfg.N_INS,
            tfm=tfm,
            is_train=True,
            dataset_wrapper=dataset_wrapper,
        )

    @staticmethod
    def _build_test_loader(cfg, data_source, tfm, dataset_wrapper):
        return build_data_loader(
            cfg,
            sampler_type=cfg.DATALOADER.TEST.SAMPLER,
            data_source=data_source,
            batch_size=cfg.DATALOADER.TEST.BATCH_SIZE,
            tfm=tfm,
            is_train=False,
            dataset_wrapper=dataset_wrapper,
        )

    @property
    def num_classes(self):
        return self._num_classes

    @property
    def num_source_domains(self):
        return self._num_source_domains

    @property
    def lab2cname(self):
        return self._lab2cname

    def show_dataset_summary(self, cfg):
        dataset_name = cfg.DATASET.NAME
        rows = [["Dataset", dataset_name]]
        if cfg.DATASET.SOURCE_DOMAINS:
            rows.append(["Source", cfg.DATASET.SOURCE_DOMAINS])
        if cfg.DATASET.TARGET_DOMAINS:
            rows.append(["Target", cfg.DATASET.TARGET_DOMAINS])
        rows.append(["# classes", f"{self.num_classes:,}"])
        rows.append(["# train_x", f"{len(self.dataset.train_x):,}"])
        if self.dataset.train_u:
            rows.append(["# train_u", f"{len(self.dataset.train_u):,}"])
        if self.dataset.val:
            rows.append(["# val", f"{len(self.dataset.val):,}"])
        rows.append(["# test", f"{len(self.dataset.test):,}"])
        print(format_simple_table(rows))


def format_simple_table(rows):
    """Two-column table in tabulate's headerless "simple" style (what the original logs show)."""
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    rule = "  ".join("-" * w for w in widths)
    body = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join([rule, *body, rule])


def set_loader_epoch(loader, epoch):
    """Tell a loader's dataset the epoch its per-sample augmentation seeds use (workers copy it at iter())."""
    dataset = getattr(loader, "dataset", None)
    if hasattr(dataset, "set_epoch"):
        dataset.set_epoch(epoch)


class DatasetWrapper(Dataset):
    """Turns Datums into the batch dict (img, label, domain, impath, index) the trainers expect."""

    def __init__(self, cfg, data_source, transform=None, is_train=False):
        self.cfg = cfg
        self.data_source = data_source
        self.transform = transform
        self.is_train = is_train
        self.per_sample_seeds = is_train and cfg.DATALOADER.PER_SAMPLE_SEEDS
        self.epoch = 0
        self.k_tfm = cfg.DATALOADER.K_TRANSFORMS if is_train else 1
        self.return_img0 = cfg.DATALOADER.RETURN_IMG0
        if self.k_tfm > 1 and transform is None:
            raise ValueError(f"Cannot augment the image {self.k_tfm} times because transform is None")
        to_tensor = [Resize(cfg.INPUT.SIZE, interpolation=INTERPOLATION_MODES[cfg.INPUT.INTERPOLATION]), ToTensor()]
        if "normalize" in cfg.INPUT.TRANSFORMS:
            to_tensor.append(Normalize(mean=cfg.INPUT.PIXEL_MEAN, std=cfg.INPUT.PIXEL_STD))
        self.to_tensor = Compose(to_tensor)

    def __len__(self):
        return len(self.data_source)

    def set_epoch(self, epoch):
        self.epoch = epoch

    def __getitem__(self, idx):
        if not self.per_sample_seeds:
            return self._load(idx)
        with seeded_randomness(sample_seed(self.cfg.SEED, self.epoch, idx)):
            return self._load(idx)

    def _load(self, idx):
        item = self.data_source[idx]
        output = {"label": item.label, "domain": item.domain, "impath": item.impath, "index": idx}
        img0 = read_image(item.impath)
        if self.transform is None:
            output["img"] = img0
        elif isinstance(self.transform, (list, tuple)):
            for i, tfm in enumerate(self.transform):
                output["img" if i == 0 else f"img{i + 1}"] = self._transform_image(tfm, img0)
        else:
            output["img"] = self._transform_image(self.transform, img0)
        if self.return_img0:
            output["img0"] = self.to_tensor(img0)
        return output

    def _transform_image(self, tfm, img0):
        images = [tfm(img0) for _ in range(self.k_tfm)]
        return images[0] if len(images) == 1 else images


class ItemIndices(Dataset):
    """The labels and indices of a DatasetWrapper's items, without opening an image (a cached-feature epoch)."""

    def __init__(self, images):
        self.data_source = images.data_source

    def __len__(self):
        return len(self.data_source)

    def __getitem__(self, idx):
        item = self.data_source[idx]
        return {"label": item.label, "domain": item.domain, "index": idx}


def index_loader(loader):
    """A loader over `loader`'s items in the same order (same sampler, batches, global random draws), images left unread."""
    return DataLoader(ItemIndices(loader.dataset), batch_size=loader.batch_size, sampler=loader.sampler,
                      num_workers=0, drop_last=loader.drop_last)
