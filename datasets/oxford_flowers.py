"""Oxford Flowers 102."""
import os
from collections import defaultdict

from dassl.data.datasets import DATASET_REGISTRY
from dassl.utils import read_json

from .annotations import load_mat
from .split_dataset import SplitDataset
from .splits import split_shuffled_class


@DATASET_REGISTRY.register()
class OxfordFlowers(SplitDataset):
    dataset_dir = "oxford_flowers"
    image_subdir = "jpg"
    split_name = "OxfordFlowers"

    @property
    def label_file(self):
        return os.path.join(self.dataset_dir, "imagelabels.mat")

    @property
    def lab2cname_file(self):
        return os.path.join(self.dataset_dir, "cat_to_name.json")

    def split_sources(self):
        return [self.label_file, self.lab2cname_file]

    def create_split(self):
        return self.read_data()

    def read_data(self, p_trn=0.5, p_val=0.2):
        """Image i (0-based) is ``image_{i+1:05d}.jpg``; per class, shuffled then split 50/20/30."""
        lab2cname = read_json(self.lab2cname_file)
        impaths_by_label = defaultdict(list)
        for index, label in enumerate(load_mat(self.label_file)["labels"][0]):
            impaths_by_label[int(label)].append(os.path.join(self.image_dir, f"image_{index + 1:05d}.jpg"))

        print("Splitting data into 50% train, 20% val, and 30% test")
        train, val, test = [], [], []
        for label, impaths in impaths_by_label.items():
            split_shuffled_class(
                impaths, label - 1, lab2cname[str(label)], p_trn, p_val, train, val, test, self.label_file
            )
        return train, val, test
