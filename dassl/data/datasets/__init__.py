from .base_dataset import DatasetBase, Datum, load_fewshot_pickle, save_fewshot_pickle
from .build import DATASET_REGISTRY, build_dataset
