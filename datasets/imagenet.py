"""ImageNet (ILSVRC-2012): ``images/train`` for training, ``images/val`` as both val and test.

Reading 1.28M file names is slow, so the Datum lists are cached in ``preprocessed.pkl`` (the
original's file, readable both ways). Only ``train`` is reduced to a few-shot subset.
"""
import os
from collections import OrderedDict

from dassl.data.datasets import DATASET_REGISTRY, DatasetBase, load_fewshot_pickle, save_fewshot_pickle
from dassl.utils import listdir_nohidden, mkdir_if_missing

from .annotations import read_text_lines
from .fewshot import fewshot_subset
from .locations import dataset_root, require_dir, require_file
from .splits import checked_datum, list_images, subsample_classes


def read_class_folders(folder, classnames, classnames_file, listing_order="filesystem"):
    """One class per sub-folder, labelled by position in the sorted folder names.

    Images come in ``listing_order`` (``splits.list_images``); for ImageNet this order is saved in
    preprocessed.pkl and decides which images a seeded few-shot draw picks.
    """
    wnids = sorted(name for name in listdir_nohidden(folder) if os.path.isdir(os.path.join(folder, name)))
    items = []
    for label, wnid in enumerate(wnids):
        if wnid not in classnames:
            raise KeyError(f"Folder {os.path.join(folder, wnid)} has no line in {classnames_file}")
        class_dir = os.path.join(folder, wnid)
        for imname in list_images(class_dir, listing_order):
            items.append(checked_datum(os.path.join(class_dir, imname), label, classnames[wnid], class_dir))
    return items


@DATASET_REGISTRY.register()
class ImageNet(DatasetBase):
    dataset_dir = "imagenet"

    def __init__(self, cfg):
        anchor = "imagenet"
        root = dataset_root(cfg, anchor)
        self.dataset_dir = require_dir(os.path.join(root, type(self).dataset_dir), "Dataset folder", anchor)
        self.image_dir = os.path.join(self.dataset_dir, "images")
        self.preprocessed = os.path.join(self.dataset_dir, "preprocessed.pkl")
        self.split_fewshot_dir = os.path.join(self.dataset_dir, "split_fewshot")
        mkdir_if_missing(self.split_fewshot_dir)
        self.listing_order = cfg.DATASET.LISTING_ORDER

        if os.path.exists(self.preprocessed):
            preprocessed = load_fewshot_pickle(self.preprocessed, self.dataset_dir)
            train, test = preprocessed["train"], preprocessed["test"]
        else:
            classnames_file = os.path.join(self.dataset_dir, "classnames.txt")
            classnames = self.read_classnames(require_file(classnames_file, "Class-name file", anchor))
            train = self.read_data(classnames, "train")
            test = self.read_data(classnames, "val")
            save_fewshot_pickle({"train": train, "test": test}, self.preprocessed)

        train, _ = fewshot_subset(self, cfg, train)
        train, test = subsample_classes(train, test, subsample=cfg.DATASET.SUBSAMPLE_CLASSES)
        super().__init__(train_x=train, val=test, test=test)

    @staticmethod
    def read_classnames(text_file):
        """``{wnid: class name}`` in file order, from lines ``<wnid> <name, possibly with spaces>``."""
        classnames = OrderedDict()
        for line in read_text_lines(text_file):
            wnid, *name_words = line.split(" ")
            classnames[wnid] = " ".join(name_words)
        return classnames

    def read_data(self, classnames, split_dir):
        folder = require_dir(os.path.join(self.image_dir, split_dir), "Image folder", "imagenet")
        return read_class_folders(
            folder, classnames, os.path.join(self.dataset_dir, "classnames.txt"), self.listing_order
        )
