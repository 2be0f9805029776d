"""Small copies of the real download archives, built from synthetic datasets, served on the loopback.

Each packer rebuilds the internal layout of the official archive(s) of one dataset (top folders,
nested archives, loose files) from a ``datasets.synthetic`` tree; ``publish`` puts them, and the
extras (split files, class names), where the table's URLs point once the host is replaced.
"""
import dataclasses
import hashlib
import io
import os
import tarfile
import zipfile
from urllib.parse import urlsplit

from datasets.fetch.table import resolve
from datasets.synthetic import make_synthetic_dataset


def tree_entries(folder, arc_prefix, skip=()):
    """``[(path, arcname)]`` for every file under ``folder``, renamed under ``arc_prefix``."""
    entries = []
    for directory, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, folder)
            if not any(relative.startswith(prefix) for prefix in skip):
                entries.append((path, f"{arc_prefix}/{relative}".lstrip("/")))
    return sorted(entries, key=lambda entry: entry[1])


def tar_bytes(entries, mode="w:gz"):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as bundle:
        for path, arcname in entries:
            bundle.add(path, arcname)
    return buffer.getvalue()


def zip_bytes(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for path, arcname in entries:
            if isinstance(path, bytes):
                bundle.writestr(arcname, path)
            else:
                bundle.write(path, arcname)
    return buffer.getvalue()


def _split(name):
    return (f"split_zhou_{name}.json",)


def _caltech(d):
    inner = tar_bytes(tree_entries(os.path.join(d, "101_ObjectCategories"), "101_ObjectCategories"))
    return {"caltech-101.zip": zip_bytes([(inner, "caltech-101/101_ObjectCategories.tar.gz"),
                                          (b"annotations", "caltech-101/Annotations.tar")])}


def _pets(d):
    os.makedirs(os.path.join(d, "annotations"), exist_ok=True)
    with open(os.path.join(d, "annotations", "trainval.txt"), "w") as handle:
        handle.write("unused\n")
    return {"images.tar.gz": tar_bytes(tree_entries(os.path.join(d, "images"), "images")),
            "annotations.tar.gz": tar_bytes(tree_entries(os.path.join(d, "annotations"), "annotations"))}


def _flowers(d):
    return {"102flowers.tgz": tar_bytes(tree_entries(os.path.join(d, "jpg"), "jpg")), "imagelabels.mat": b"MATLAB 5.0"}


def _aircraft(d):
    return {"fgvc-aircraft-2013b.tar.gz": tar_bytes(tree_entries(d, "fgvc-aircraft-2013b/data"))}


def _dtd(d):
    return {"dtd-r1.0.1.tar.gz": tar_bytes(tree_entries(d, "dtd", skip=_split("DescribableTextures")))}


def _eurosat(d):
    return {"EuroSAT.zip": zip_bytes(tree_entries(os.path.join(d, "2750"), "2750"))}


def _ucf(d):
    return {"UCF-101-midframes.zip": zip_bytes(tree_entries(os.path.join(d, "UCF-101-midframes"), "UCF-101-midframes"))}


def _imagenet_a(d):
    return {"imagenet-a.tar": tar_bytes(tree_entries(os.path.join(d, "imagenet-a"), "imagenet-a"), mode="w")}


def _food(d):
    return {"food-101.tar.gz": tar_bytes(tree_entries(d, "food-101", skip=_split("Food101")))}


def _sun(d):
    return {"SUN397.tar.gz": tar_bytes(tree_entries(os.path.join(d, "SUN397"), "SUN397"))}


def _imagenetv2(d):
    folder = "imagenetv2-matched-frequency-format-val"
    return {"imagenetv2-matched-frequency.tar.gz": tar_bytes(tree_entries(os.path.join(d, folder), folder))}


def _sketch(d):
    return {"ImageNet-Sketch.zip": zip_bytes(tree_entries(os.path.join(d, "images"), "sketch"))}


def _imagenet_r(d):
    return {"imagenet-r.tar": tar_bytes(tree_entries(os.path.join(d, "imagenet-r"), "imagenet-r"), mode="w")}


def _prepared(folder):
    """The authors' Hub zips: one top folder holding the finished dataset, split file included."""
    return lambda d: {f"{folder}.zip": zip_bytes(tree_entries(d, folder))}



# table key -> (reader name, packer of the first source in sources.yaml)
PACKERS = {
    "caltech101": ("Caltech101", _caltech),
    "oxford_pets": ("OxfordPets", _pets),
    "oxford_flowers": ("OxfordFlowers", _flowers),
    "fgvc_aircraft": ("FGVCAircraft", _aircraft),
    "dtd": ("DescribableTextures", _dtd),
    "eurosat": ("EuroSAT", _eurosat),
    "ucf101": ("UCF101", _ucf),
    "imagenet_a": ("ImageNetA", _imagenet_a),
    "stanford_cars": ("StanfordCars", _prepared("stanford_cars")),
    "food101": ("Food101", _food),
    "sun397": ("SUN397", _sun),
    "imagenetv2": ("ImageNetV2", _imagenetv2),
    "imagenet_sketch": ("ImageNetSketch", _sketch),
    "imagenet_r": ("ImageNetR", _imagenet_r),
}


def url_path(url):
    return urlsplit(resolve(url)).path


def build_archives(key, workdir, n_classes=3):
    """``(synthetic dataset, {file name: archive bytes})`` for dataset ``key``."""
    reader, packer = PACKERS[key]
    data = make_synthetic_dataset(os.path.join(workdir, "original"), name=reader, n_classes=n_classes,
                                  train_per_class=2, val_per_class=1, test_per_class=1)
    return data, packer(data.dataset_dir)


def digest(data, algorithm):
    return hashlib.new(algorithm, data).hexdigest()


def with_our_checksums(spec, archives):
    """The table's spec with the published checksum and size of each file in ``archives`` replaced by ours;
    files the tests do not build (other sources' archives) weigh nothing, so the space check never
    depends on the machine's free disk."""

    def ours(file_spec):
        if file_spec.file not in archives:
            return dataclasses.replace(file_spec, size_mb=0.0)
        data = archives[file_spec.file]
        algorithm = (file_spec.checksum or (None,))[0]
        checksum = {algorithm: digest(data, algorithm)} if algorithm else {}
        return dataclasses.replace(file_spec, size_mb=len(data) / 2**20, **checksum)

    sources = tuple(dataclasses.replace(s, files=tuple(map(ours, s.files))) for s in spec.sources)
    return dataclasses.replace(spec, sources=sources)


def publish(server, spec, data, archives, source_index=0, url_index=0, extras=True):
    """Serve the archives at the paths of the source's URLs (``url_index``-th URL) and the extras."""
    for file_spec in spec.sources[source_index].files:
        server.put(url_path(file_spec.urls[url_index]), data=archives[file_spec.file])
    if extras:
        for extra in spec.extras:
            server.put(url_path(extra.urls[0]), os.path.join(data.dataset_dir, extra.file))
