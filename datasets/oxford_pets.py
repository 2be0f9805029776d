"""Oxford-IIIT Pets. Its class also carries the split helpers as static methods, where the
original readers and trainers call them (``OxfordPets.read_split`` and so on)."""
import os

from dassl.data.datasets import DATASET_REGISTRY

from . import splits
from .annotations import read_text_lines
from .split_dataset import SplitDataset


@DATASET_REGISTRY.register()
class OxfordPets(SplitDataset):
    dataset_dir = "oxford_pets"
    image_subdir = "images"
    split_name = "OxfordPets"

    read_split = staticmethod(splits.read_split)
    save_split = staticmethod(splits.save_split)
    split_trainval = staticmethod(splits.split_trainval)
    subsample_classes = staticmethod(splits.subsample_classes)

    @property
    def anno_dir(self):
        return os.path.join(self.dataset_dir, "annotations")

    def split_sources(self):
        return [os.path.join(self.anno_dir, "trainval.txt"), os.path.join(self.anno_dir, "test.txt")]

    def create_split(self):
        trainval = self.read_data("trainval.txt")
        test = self.read_data("test.txt")
        train, val = splits.split_trainval(trainval)
        return train, val, test

    def read_data(self, split_file):
        """Lines ``<image name> <class id> <species> <breed id>``; the breed is the name minus its index."""
        filepath = os.path.join(self.anno_dir, split_file)
        items = []
        for line in read_text_lines(filepath):
            imname, class_id, _species, _breed_id = line.split(" ")
            breed = "_".join(imname.split("_")[:-1]).lower()
            impath = os.path.join(self.image_dir, imname + ".jpg")
            items.append(splits.checked_datum(impath, int(class_id) - 1, breed, filepath))
        return items
