"""Shared start-up of the four test-only ImageNet variants.

They ignore NUM_SHOTS and SUBSAMPLE_CLASSES and have no val split: ``train_x = test = data``
(train_x only fixes the class names; nothing trains on it).
"""
import os

from dassl.data.datasets import DatasetBase

from .imagenet import ImageNet, read_class_folders
from .locations import dataset_root, require_dir, require_file


class ImageNetVariant(DatasetBase):
    """Subclasses set ``dataset_dir`` and the image sub-folders to accept, preferred first."""

    dataset_dir = ""
    image_subdirs = ()

    def __init__(self, cfg):
        anchor = type(self).__name__.lower()
        root = dataset_root(cfg, anchor)
        self.dataset_dir = require_dir(os.path.join(root, type(self).dataset_dir), "Dataset folder", anchor)
        candidates = [os.path.normpath(os.path.join(self.dataset_dir, sub)) for sub in self.image_subdirs]
        existing = [path for path in candidates if os.path.isdir(path)]
        self.image_dir = existing[0] if existing else require_dir(candidates[0], "Image folder", anchor)
        self.listing_order = cfg.DATASET.LISTING_ORDER
        self.classnames_file = require_file(
            os.path.join(self.dataset_dir, "classnames.txt"), "Class-name file", anchor
        )
        data = self.read_data(ImageNet.read_classnames(self.classnames_file))
        super().__init__(train_x=data, test=data)

    def read_data(self, classnames):
        return read_class_folders(self.image_dir, classnames, self.classnames_file, self.listing_order)
