"""UCF101, one middle frame per video."""
import os
import re

from dassl.data.datasets import DATASET_REGISTRY

from .annotations import read_text_lines
from .split_dataset import ListFileSplitDataset
from .splits import checked_datum


@DATASET_REGISTRY.register()
class UCF101(ListFileSplitDataset):
    dataset_dir = "ucf101"
    image_subdir = "UCF-101-midframes"
    split_name = "UCF101"

    def split_sources(self):
        list_dir = os.path.join(self.dataset_dir, "ucfTrainTestlist")
        return [os.path.join(list_dir, name) for name in ("classInd.txt", "trainlist01.txt", "testlist01.txt")]

    def read_class_labels(self, class_file):
        """Lines ``<1-based id> <action>``."""
        cname2lab = {}
        for line in read_text_lines(class_file):
            class_id, action = line.split(" ")
            cname2lab[action] = int(class_id) - 1
        return cname2lab

    def read_data(self, cname2lab, text_file):
        """Lines ``ApplyEyeMakeup/v_x.avi [id]`` -> ``Apply_Eye_Makeup/v_x.jpg``, class "Apply_Eye_Makeup"."""
        items = []
        for line in read_text_lines(text_file):
            action, filename = line.split(" ")[0].split("/")
            renamed_action = "_".join(re.findall("[A-Z][^A-Z]*", action))
            impath = os.path.join(self.image_dir, renamed_action, filename.replace(".avi", ".jpg"))
            items.append(checked_datum(impath, cname2lab[action], renamed_action, text_file))
        return items
