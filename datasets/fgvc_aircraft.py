"""FGVC-Aircraft (variants). No split JSON: the three official list files are read on every run."""
import os

from dassl.data.datasets import DATASET_REGISTRY

from .annotations import read_text_lines
from .locations import require_file
from .split_dataset import SplitDataset
from .splits import checked_datum


@DATASET_REGISTRY.register()
class FGVCAircraft(SplitDataset):
    dataset_dir = "fgvc_aircraft"
    image_subdir = "images"

    def load_split(self):
        variants_file = require_file(os.path.join(self.dataset_dir, "variants.txt"), "Class list", self.docs_anchor())
        cname2lab = {name: label for label, name in enumerate(read_text_lines(variants_file))}
        return tuple(self.read_data(cname2lab, f"images_variant_{split}.txt") for split in ("train", "val", "test"))

    def read_data(self, cname2lab, split_file):
        """Lines ``<image id> <variant name, which may contain spaces>``."""
        filepath = require_file(os.path.join(self.dataset_dir, split_file), "Split file", self.docs_anchor())
        items = []
        for line in read_text_lines(filepath):
            image_id, *name_words = line.split(" ")
            classname = " ".join(name_words)
            impath = os.path.join(self.image_dir, image_id + ".jpg")
            items.append(checked_datum(impath, cname2lab[classname], classname, filepath))
        return items
