"""SUN397."""
import os

from dassl.data.datasets import DATASET_REGISTRY

from .annotations import read_text_lines
from .split_dataset import ListFileSplitDataset
from .splits import checked_datum


@DATASET_REGISTRY.register()
class SUN397(ListFileSplitDataset):
    dataset_dir = "sun397"
    image_subdir = "SUN397"
    split_name = "SUN397"

    def split_sources(self):
        return [os.path.join(self.dataset_dir, name) for name in ("ClassName.txt", "Training_01.txt", "Testing_01.txt")]

    def read_class_labels(self, class_file):
        class_keys = [line[1:] for line in read_text_lines(class_file)]
        return {key: label for label, key in enumerate(class_keys)}

    def read_data(self, cname2lab, text_file):
        """Lines ``/b/bow_window/indoor/sun_x.jpg``; the class is shown as "indoor bow_window"."""
        items = []
        for line in read_text_lines(text_file):
            imname = line[1:]
            class_key = os.path.dirname(imname)
            classname = " ".join(class_key.split("/")[1:][::-1])
            impath = os.path.join(self.image_dir, imname)
            items.append(checked_datum(impath, cname2lab[class_key], classname, text_file))
        return items
