"""Start-up shared by the ten readers with a fixed train/val/test split (all but the ImageNets).

Order of work, as in the original readers: read the split (or create and save it), take the
cached or freshly drawn few-shot subset, then keep the base or new half of the classes.
"""
import os

from dassl.data.datasets import DatasetBase
from dassl.utils import mkdir_if_missing

from .fewshot import fewshot_subset
from .locations import dataset_root, doc_ref, require_dir
from .splits import read_and_split_data, read_split, save_split, split_trainval, subsample_classes


class SplitDataset(DatasetBase):
    """Subclasses set the folder names and say how to create the split when its JSON is missing."""

    dataset_dir = ""
    image_subdir = ""
    split_name = None

    def __init__(self, cfg):
        anchor = self.docs_anchor()
        root = dataset_root(cfg, anchor)
        self.dataset_dir = require_dir(os.path.join(root, type(self).dataset_dir), "Dataset folder", anchor)
        image_dir = os.path.normpath(os.path.join(self.dataset_dir, self.image_subdir))
        self.image_dir = require_dir(image_dir, "Image folder", anchor)
        if self.split_name is not None:
            self.split_path = os.path.join(self.dataset_dir, f"split_zhou_{self.split_name}.json")
        self.split_fewshot_dir = os.path.join(self.dataset_dir, "split_fewshot")
        mkdir_if_missing(self.split_fewshot_dir)
        self.listing_order = cfg.DATASET.LISTING_ORDER

        train, val, test = self.load_split()
        train, val = fewshot_subset(self, cfg, train, val)
        train, val, test = subsample_classes(train, val, test, subsample=cfg.DATASET.SUBSAMPLE_CLASSES)
        super().__init__(train_x=train, val=val, test=test)

    @classmethod
    def docs_anchor(cls):
        return cls.__name__.lower()

    @property
    def path_prefix(self):
        """The folder that paths in the split JSON are relative to."""
        return self.image_dir

    def load_split(self):
        if os.path.exists(self.split_path):
            return read_split(self.split_path, self.path_prefix)
        for path in self.split_sources():
            if not os.path.exists(path):
                raise FileNotFoundError(
                    f"Split file not found: {self.split_path} (nor {path} to create it from) — "
                    f"{doc_ref(self.docs_anchor())}"
                )
        train, val, test = self.create_split()
        save_split(train, val, test, self.split_path, self.path_prefix)
        return train, val, test

    def split_sources(self):
        """Files the fallback split creation reads; all must exist when the split JSON does not."""
        return []

    def create_split(self):
        """Build ``(train, val, test)`` from the raw annotations; draws from Python's ``random``."""
        raise NotImplementedError(f"{type(self).__name__} has no fallback for a missing split file")


class FolderSplitDataset(SplitDataset):
    """A folder-per-class tree whose missing split is made by ``read_and_split_data``."""

    ignored_folders = ()
    renamed_classes = None

    def split_sources(self):
        return [self.image_dir]

    def create_split(self):
        return read_and_split_data(
            self.image_dir, ignored=self.ignored_folders, new_cnames=self.renamed_classes,
            listing_order=self.listing_order,
        )


class ListFileSplitDataset(SplitDataset):
    """Raw annotations as (class list, train list, test list) files; a missing split draws val from train."""

    def create_split(self):
        class_file, train_file, test_file = self.split_sources()
        cname2lab = self.read_class_labels(class_file)
        trainval = self.read_data(cname2lab, train_file)
        test = self.read_data(cname2lab, test_file)
        train, val = split_trainval(trainval)
        return train, val, test

    def read_class_labels(self, class_file):
        """``{class key: label}`` from the class list file."""
        raise NotImplementedError

    def read_data(self, cname2lab, text_file):
        """The Datum items one list file names."""
        raise NotImplementedError
