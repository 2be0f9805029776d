"""``Datum`` and ``DatasetBase``.

This module path and the ``_impath/_label/_domain/_classname`` attribute names are part of the
on-disk format: the few-shot caches pickle ``Datum`` objects by reference to this module.
"""
import os
import pickle
import random
from collections import defaultdict

from dassl.utils import atomic_write, check_isfile


class Datum:
    """One labelled image; the file must exist when it is created (fail fast, not in a DataLoader worker)."""

    def __init__(self, impath="", label=0, domain=0, classname=""):
        assert isinstance(impath, str)
        assert check_isfile(impath)
        self._impath = impath
        self._label = label
        self._domain = domain
        self._classname = classname

    @property
    def impath(self):
        return self._impath

    @property
    def label(self):
        return self._label

    @property
    def domain(self):
        return self._domain

    @property
    def classname(self):
        return self._classname

    def __repr__(self):
        return f"Datum(impath={self._impath!r}, label={self._label}, domain={self._domain}, classname={self._classname!r})"


class DatasetBase:
    """Holds the four splits and derives the class count and names from ``train_x``."""

    dataset_dir = ""
    domains = []

    def __init__(self, train_x=None, train_u=None, val=None, test=None):
        self._train_x = train_x
        self._train_u = train_u
        self._val = val
        self._test = test
        self._num_classes = self.get_num_classes(train_x)
        self._lab2cname, self._classnames = self.get_lab2cname(train_x)

    @property
    def train_x(self):
        return self._train_x

    @property
    def train_u(self):
        return self._train_u

    @property
    def val(self):
        return self._val

    @property
    def test(self):
        return self._test

    @property
    def lab2cname(self):
        return self._lab2cname

    @property
    def classnames(self):
        return self._classnames

    @property
    def num_classes(self):
        return self._num_classes

    @staticmethod
    def get_num_classes(data_source):
        """``max(label) + 1`` (not the number of distinct labels), as in Dassl."""
        return max(item.label for item in data_source) + 1

    @staticmethod
    def get_lab2cname(data_source):
        """Return ``({label: classname}, [classnames ordered by label])``."""
        pairs = {(item.label, item.classname) for item in data_source}
        mapping = {label: classname for label, classname in pairs}
        labels = sorted(mapping.keys())
        return mapping, [mapping[label] for label in labels]

    def check_input_domains(self, source_domains, target_domains):
        self.is_input_domain_valid(source_domains)
        self.is_input_domain_valid(target_domains)

    def is_input_domain_valid(self, input_domains):
        for domain in input_domains:
            if domain not in self.domains:
                raise ValueError(f"Input domain must belong to {self.domains}, but got [{domain}]")

    def download_data(self, url, dst, from_gdrive=True):
        raise NotImplementedError(f"Automatic download is not supported; download {url} to {dst} by hand")

    def generate_fewshot_dataset(self, *data_sources, num_shots=-1, repeat=False):
        """Draw ``num_shots`` items per label with Python's global ``random``.

        The calls (per source, per label in first-appearance order, ``random.sample`` /
        ``random.choices``) are exactly the original's, so a given seed yields the same subsets.
        """
        if num_shots < 1:
            return data_sources[0] if len(data_sources) == 1 else data_sources
        print(f"Creating a {num_shots}-shot dataset")
        outputs = []
        for data_source in data_sources:
            sampled = []
            for items in self.split_dataset_by_label(data_source).values():
                if len(items) >= num_shots:
                    chosen = random.sample(items, num_shots)
                elif repeat:
                    chosen = random.choices(items, k=num_shots)
                else:
                    chosen = items
                sampled.extend(chosen)
            outputs.append(sampled)
        return outputs[0] if len(outputs) == 1 else outputs

    @staticmethod
    def split_dataset_by_label(data_source):
        """``{label: [items]}`` in first-appearance order of labels, keeping item order."""
        output = defaultdict(list)
        for item in data_source:
            output[item.label].append(item)
        return output

    @staticmethod
    def split_dataset_by_domain(data_source):
        output = defaultdict(list)
        for item in data_source:
            output[item.domain].append(item)
        return output


_SAFE_BUILTINS = frozenset({"dict", "list", "tuple", "set", "frozenset", "str", "int", "float", "bool", "bytes", "object"})


class _DatumUnpickler(pickle.Unpickler):
    """Resolves only ``Datum`` and plain builtin containers, so a cache file cannot run code."""

    def find_class(self, module, name):
        if (module, name) == (__name__, "Datum"):
            return Datum
        if module == "builtins" and name in _SAFE_BUILTINS:
            return super().find_class(module, name)
        if (module, name) == ("copyreg", "_reconstructor"):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"Refusing to load global {module}.{name}: few-shot caches may only contain Datum objects"
        )


class _PathRerooter:
    """Maps stale absolute image paths onto ``dataset_root`` by the longest path suffix that exists there.

    The old->new prefix found for one file is tried first for the next, so large lists stay cheap.
    """

    def __init__(self, dataset_root, source):
        self.dataset_root = dataset_root
        self.source = source
        self._known_prefixes = []

    def __call__(self, impath):
        if os.path.isfile(impath):
            return impath
        for old_prefix, new_prefix in self._known_prefixes:
            if impath.startswith(old_prefix):
                candidate = new_prefix + impath[len(old_prefix):]
                if os.path.isfile(candidate):
                    return candidate
        parts = impath.replace("\\", "/").strip("/").split("/")
        for start in range(len(parts)):
            suffix = "/".join(parts[start:])
            candidate = os.path.join(self.dataset_root, *parts[start:])
            if os.path.isfile(candidate):
                old_prefix = impath[: len(impath) - len(suffix)]
                self._known_prefixes.insert(0, (old_prefix, candidate[: len(candidate) - len(suffix)]))
                return candidate
        raise FileNotFoundError(
            f'Image "{impath}" listed in {self.source} is not under {self.dataset_root}; '
            "check DATASET.ROOT or delete the cache file to regenerate it"
        )


def _reroot(datum, rerooter):
    datum._impath = rerooter(datum._impath)
    return datum


def load_fewshot_pickle(path, dataset_root):
    """Load a few-shot (or preprocessed) cache written by the original code or by us.

    Only ``Datum`` and builtin containers may appear in the file. Image paths that no longer
    exist are re-rooted under ``dataset_root`` (``DATASET.ROOT`` or the dataset folder); a path
    that cannot be found either way fails naming the file.
    """
    with open(path, "rb") as f:
        data = _DatumUnpickler(f).load()
    rerooter = _PathRerooter(dataset_root, path)
    return _map_datums(data, lambda datum: _reroot(datum, rerooter))


def _map_datums(data, fn):
    if isinstance(data, Datum):
        return fn(data)
    if isinstance(data, dict):
        return {key: _map_datums(value, fn) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(_map_datums(value, fn) for value in data)
    return data


def save_fewshot_pickle(data, path):
    """Write a cache the original code can read (``pickle.HIGHEST_PROTOCOL``), atomically."""
    atomic_write(path, lambda f: pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL), mode="wb")
