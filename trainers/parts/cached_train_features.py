"""Training from cached image features, for trainers whose image encoder no prompt touches.

With DATALOADER.PER_SAMPLE_SEEDS every training view is a function of (SEED, epoch, item), so the frozen
tower gives the same features of an epoch's views to every method of a sweep: the first run to train
that epoch stores them, later runs read them and open no image at all. Their loader then yields only
item indices, drawn by the same sampler (so the same order and the same global random draws), which
makes training from the cache the same computation as training from the images.
"""
import torch

from dassl.config import ConfigError
from dassl.data import index_loader, set_loader_epoch
from dassl.engine.distributed import is_distributed, sum_over_ranks
from dassl.utils import is_main_process

from ..config import config_extension, config_finalizer, section
from .amp import precision_autocast
from .feature_cache import ImageFeatureCache, cache_key


@config_extension
def add_training_cache_key(cfg):
    # Also cache the image features of every training view in FEATURE_CACHE.DIR (one entry per dataset,
    # shots, seed and epoch) and train later methods from them; needs DATALOADER.PER_SAMPLE_SEEDS
    # (False = encode the training images at every step)
    section(cfg.TRAINER, "FEATURE_CACHE").TRAIN = False


@config_finalizer
def check_training_cache(cfg):
    if not cfg.TRAINER.FEATURE_CACHE.TRAIN:
        return
    if not cfg.DATALOADER.PER_SAMPLE_SEEDS:
        raise ConfigError("TRAINER.FEATURE_CACHE.TRAIN needs DATALOADER.PER_SAMPLE_SEEDS True (without it a "
                          "training view depends on the run's random stream and cannot be shared)")
    if not cfg.TRAINER.FEATURE_CACHE.DIR:
        raise ConfigError("TRAINER.FEATURE_CACHE.TRAIN needs a cache folder: set TRAINER.FEATURE_CACHE.DIR "
                          "(or $CLIP_FEATURE_CACHE)")
    if cfg.DATALOADER.K_TRANSFORMS != 1:
        raise ConfigError(f"TRAINER.FEATURE_CACHE.TRAIN caches one view per item: set DATALOADER.K_TRANSFORMS 1, "
                          f"not {cfg.DATALOADER.K_TRANSFORMS}")


class EpochViews:
    """Features of one epoch's training views in item order, filled batch by batch."""

    def __init__(self, count):
        self.features = None
        self.seen = torch.zeros(count, dtype=torch.bool)

    def add(self, indices, features):
        features = features.detach().cpu()
        if self.features is None:
            self.features = features.new_zeros(len(self.seen), features.shape[-1])
        self.features[indices] = features
        self.seen[indices] = True

    def merged_over_ranks(self):
        """Every rank's views (each sees a shard; a padded shard repeats an item with the same features)."""
        if not is_distributed():
            return self.features, self.seen
        counts = sum_over_ranks(self.seen.float())
        total = sum_over_ranks(self.features.float() * self.seen[:, None])
        return (total / counts.clamp(min=1)[:, None]).to(self.features.dtype), counts > 0


class CachedTrainFeatures:
    """Mixin: with TRAINER.FEATURE_CACHE.TRAIN, an epoch trains from its stored view features if present,
    else from the images, storing their features at the end of the epoch.

    Uses the trainer's `frozen_image_encoder`, `encode_image_tower(images)`, `image_weights_checksum()`,
    `precision` and `serving_cached_features` (set while training reads features, so `encode_images`
    passes them through).
    """

    caches_training_features = True  # False where training reads more than the train loader's batches
    training_cache = None
    epoch_views = None

    def build_data_loader(self):
        super().build_data_loader()
        if not self.cfg.TRAINER.FEATURE_CACHE.TRAIN:
            return
        check_training_cache(self.cfg)
        if not (self.frozen_image_encoder and self.caches_training_features):
            print(f"TRAINER.FEATURE_CACHE.TRAIN does not apply to {type(self).__name__}: its training encodes images")
            return
        self.training_cache = ImageFeatureCache(self.cfg.TRAINER.FEATURE_CACHE.DIR)
        self.image_train_loader = self.train_loader_x
        self.index_train_loader = index_loader(self.train_loader_x)

    @property
    def training_items(self):
        return self.image_train_loader.dataset.data_source

    def training_labels(self):
        return torch.tensor([item.label for item in self.training_items])

    def training_cache_key(self):
        images = self.image_train_loader.dataset
        return cache_key(self.image_weights_checksum(), self.cfg.DATASET.NAME, "train_x", images.data_source,
                         images.transform, seed=self.cfg.SEED, epoch=self.epoch, precision=self.precision)

    def before_epoch(self):
        super().before_epoch()
        if self.training_cache is None:
            return
        set_loader_epoch(self.image_train_loader, self.epoch)
        key = self.training_cache_key()
        entry = self.training_cache.load(key)
        if entry is None:
            print(f"Training views of epoch {self.epoch + 1}: encoding, then caching in {self.training_cache.path(key)}")
            self.epoch_views = EpochViews(len(self.training_items))
            self.train_loader_x = self.image_train_loader
        else:
            print(f"Training views of epoch {self.epoch + 1}: cached features {self.training_cache.path(key)}")
            self.epoch_features = self.checked_features(entry, key).to(self.device)
            self.train_loader_x = self.index_train_loader
        self.train_loader = self.train_loader_x
        self.serving_cached_features = True

    def checked_features(self, entry, key):
        labels = self.training_labels()
        if len(entry["features"]) != len(labels) or not torch.equal(entry["labels"], labels):
            raise ValueError(f"Training feature cache entry {self.training_cache.path(key)} does not match the "
                             f"{len(labels)} training items; delete it")
        return entry["features"]

    def parse_batch_train(self, batch):
        labels = batch["label"].to(self.device)
        if self.training_cache is None:
            return batch["img"].to(self.device), labels
        if "img" not in batch:
            return self.epoch_features[batch["index"].to(self.device)], labels
        features = self.encode_training_views(batch["img"].to(self.device))
        self.epoch_views.add(batch["index"], features)
        return features, labels

    @torch.no_grad()
    def encode_training_views(self, images):
        with precision_autocast(self.precision, self.device):
            return self.encode_image_tower(images)

    def after_epoch(self):
        if self.training_cache is not None:
            self.serving_cached_features = False
            if self.epoch_views is not None:
                self.store_epoch_views()
        super().after_epoch()

    def store_epoch_views(self):
        """Publish the epoch's features; views no batch used (a dropped last batch) are encoded here."""
        features, seen = self.epoch_views.merged_over_ranks()
        missing = (~seen).nonzero().flatten().tolist()
        images = self.image_train_loader.dataset
        batch_size = self.image_train_loader.batch_size
        for start in range(0, len(missing), batch_size):
            indices = missing[start:start + batch_size]
            views = torch.stack([images[index]["img"] for index in indices]).to(self.device)
            features[indices] = self.encode_training_views(views).cpu()
        if is_main_process():
            self.training_cache.store(self.training_cache_key(), features, self.training_labels())
        self.epoch_views = None
