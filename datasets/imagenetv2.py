"""ImageNetV2 (matched frequency): folders named ``0``..``999`` by ImageNet label."""
import os

from dassl.data.datasets import DATASET_REGISTRY

from .imagenet_variant import ImageNetVariant
from .locations import require_dir
from .splits import checked_datum, list_images


@DATASET_REGISTRY.register()
class ImageNetV2(ImageNetVariant):
    dataset_dir = "imagenetv2"
    image_subdirs = ("imagenetv2-matched-frequency-format-val", "")

    def read_data(self, classnames):
        """Folder ``str(label)`` holds class ``label``, named by the label-th line of classnames.txt."""
        items = []
        for label, classname in enumerate(classnames.values()):
            class_dir = require_dir(os.path.join(self.image_dir, str(label)), "Image folder", "imagenetv2")
            for imname in list_images(class_dir, self.listing_order):
                items.append(checked_datum(os.path.join(class_dir, imname), label, classname, class_dir))
        return items
