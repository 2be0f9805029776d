"""Evaluation from cached image features, for trainers whose image encoder no prompt touches."""
import os
from contextlib import contextmanager

from ..config import config_extension, section

from .feature_cache import FeatureBatches, ImageFeatureCache, cache_key, tensor_checksum


@config_extension
def add_feature_cache_keys(cfg):
    feature_cache = section(cfg.TRAINER, "FEATURE_CACHE")
    # Folder of test-set image features shared by seeds, methods and runs ("" = off: encode every
    # evaluation); defaults to $CLIP_FEATURE_CACHE (scripts/sweep.py passes this key to all its jobs instead)
    feature_cache.DIR = os.environ.get("CLIP_FEATURE_CACHE", "")
    # Class text features encoded once per evaluation when prompts do not depend on the image
    # (False = once per test batch, as the original code does)
    cfg.TRAINER.TEXT_FEATURES_ONCE_PER_EVAL = True
    # Text features of frozen branches (the AnchorOPT anchor branch) encoded once per run; False = at
    # every training step and test batch, as the original code does (W-G10). Zero-shot weights, KgCoOp's
    # hand-crafted features and stage-I description features are encoded once per run upstream too, so
    # they have no per-use variant.
    cfg.TRAINER.CACHE_FROZEN_TEXT_FEATURES = True


class CachedTestFeatures:
    """Mixin: `test()` reads the split's image features from the disk cache instead of encoding images.

    While the cached features are served, `serving_cached_features` is True and the trainer's
    `encode_images` must return its input unchanged; every other part of inference runs as usual.
    """

    frozen_image_encoder = True  # False where prompts enter the image tower (MaPLe): features then change
    serving_cached_features = False

    def image_feature_cache(self):
        directory = self.cfg.TRAINER.FEATURE_CACHE.DIR
        if not directory or not self.frozen_image_encoder:
            return None
        return ImageFeatureCache(directory)

    def image_weights_checksum(self):
        if getattr(self, "_image_weights_checksum", None) is None:
            self._image_weights_checksum = tensor_checksum(self.clip_model.visual.state_dict())
        return self._image_weights_checksum

    def test(self, split=None, is_final=False):
        cache = self.image_feature_cache()
        if cache is None:
            return super().test(split=split, is_final=is_final)
        wanted = split or self.cfg.TEST.SPLIT
        loader_name = "val_loader" if wanted == "val" and self.val_loader is not None else "test_loader"
        loader = getattr(self, loader_name)
        key = cache_key(self.image_weights_checksum(), self.cfg.DATASET.NAME, loader_name,
                        loader.dataset.data_source, loader.dataset.transform)
        self.set_model_mode("eval")
        features, labels = cache.features(key, loader, self.encode_images, self.device)
        with self._serving(loader_name, FeatureBatches(features, labels, loader.batch_size)):
            return super().test(split=split, is_final=is_final)

    @contextmanager
    def _serving(self, loader_name, batches):
        loader = getattr(self, loader_name)
        setattr(self, loader_name, batches)
        self.serving_cached_features = True
        try:
            yield
        finally:
            self.serving_cached_features = False
            setattr(self, loader_name, loader)
