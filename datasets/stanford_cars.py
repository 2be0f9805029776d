"""Stanford Cars. Split paths are relative to the dataset folder (``cars_train/...``, ``cars_test/...``)."""
import os

from dassl.data.datasets import DATASET_REGISTRY

from .annotations import load_mat
from .split_dataset import SplitDataset
from .splits import checked_datum, split_trainval


@DATASET_REGISTRY.register()
class StanfordCars(SplitDataset):
    dataset_dir = "stanford_cars"
    image_subdir = ""
    split_name = "StanfordCars"

    @property
    def path_prefix(self):
        return self.dataset_dir

    def split_sources(self):
        return [
            os.path.join(self.dataset_dir, "devkit", "cars_train_annos.mat"),
            os.path.join(self.dataset_dir, "cars_test_annos_withlabels.mat"),
            os.path.join(self.dataset_dir, "devkit", "cars_meta.mat"),
        ]

    def create_split(self):
        trainval_annos, test_annos, meta = self.split_sources()
        trainval = self.read_data("cars_train", trainval_annos, meta)
        test = self.read_data("cars_test", test_annos, meta)
        train, val = split_trainval(trainval)
        return train, val, test

    def read_data(self, image_folder, anno_file, meta_file):
        """Class names get their trailing year moved to the front: "Tesla Model S 2012" -> "2012 Tesla Model S"."""
        annotations = load_mat(anno_file)["annotations"][0]
        class_names = load_mat(meta_file)["class_names"][0]
        items = []
        for annotation in annotations:
            label = int(annotation["class"][0, 0]) - 1
            words = str(class_names[label][0]).split(" ")
            classname = " ".join([words[-1]] + words[:-1])
            impath = os.path.join(self.dataset_dir, image_folder, str(annotation["fname"][0]))
            items.append(checked_datum(impath, label, classname, anno_file))
        return items
