"""Disk cache of test-set image features for methods that leave CLIP's image encoder untouched.

A frozen image encoder gives the same features for the same images whatever prompt is learned, so
one encoding of a test set serves every seed, method and run. An entry is keyed by everything the
features depend on: a checksum of the image tower's weights (dtype included), the dataset, the split,
the exact item list (which covers the class subset and its label order) and the test transform.
Writers publish a finished file by atomic rename, so concurrent runs never read half an entry; two
runs racing on one key both write the same content and the last rename wins.
"""
import hashlib
import os
import tempfile

import torch

CACHE_FORMAT = 1  # bump when the stored layout changes, so stale entries are never read


def tensor_checksum(state_dict):
    """sha256 over the names, dtypes, shapes and bytes of a state dict's tensors."""
    digest = hashlib.sha256()
    for name in sorted(state_dict):
        tensor = state_dict[name].detach().cpu().contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.view(-1).view(torch.uint8).numpy())  # hashed in place: no copy of the bytes
    return digest.hexdigest()


def items_checksum(items):
    """sha256 over the (image path, label) list of a split, in loader order."""
    digest = hashlib.sha256()
    for item in items:
        digest.update(f"{item.impath}\t{item.label}\n".encode())
    return digest.hexdigest()


def cache_key(weights_checksum, dataset_name, split, items, transform, **view):
    """The file name of one entry: a digest of every input the features depend on.

    `view` names what else picks the images' views (a training entry's seed, epoch and precision).
    """
    parts = [f"format={CACHE_FORMAT}", f"weights={weights_checksum}", f"dataset={dataset_name}",
             f"split={split}", f"items={items_checksum(items)}", f"transform={transform!r}",
             *(f"{name}={view[name]!r}" for name in sorted(view))]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class ImageFeatureCache:
    """Folder of `<key>.pt` files, each `{"features": [N, E], "labels": [N]}` in loader order."""

    def __init__(self, directory):
        self.directory = directory

    def path(self, key):
        return os.path.join(self.directory, f"{key}.pt")

    def load(self, key):
        """The stored entry, or None when there is none yet."""
        path = self.path(key)
        if not os.path.isfile(path):
            return None
        return torch.load(path, map_location="cpu", weights_only=True)

    def store(self, key, features, labels):
        """Publish an entry atomically: write a private temporary file, then rename it into place."""
        os.makedirs(self.directory, exist_ok=True)
        handle, partial = tempfile.mkstemp(prefix=f".{key}.", suffix=".partial", dir=self.directory)
        try:
            with os.fdopen(handle, "wb") as f:
                torch.save({"features": features.detach().cpu(), "labels": labels.detach().cpu()}, f)
            os.replace(partial, self.path(key))
        except BaseException:
            if os.path.exists(partial):
                os.remove(partial)
            raise

    def features(self, key, loader, encode, device):
        """(features, labels) of every batch of `loader`, read from disk or encoded once and stored.

        `encode(images)` maps a batch of images to features; returned tensors live on `device`.
        """
        entry = self.load(key)
        if entry is None:
            entry = encode_loader(loader, encode, device)
            self.store(key, entry["features"], entry["labels"])
        return entry["features"].to(device), entry["labels"].to(device)


@torch.no_grad()
def encode_loader(loader, encode, device):
    features, labels = [], []
    for batch in loader:
        features.append(encode(batch["img"].to(device)).cpu())
        labels.append(batch["label"].cpu())
    return {"features": torch.cat(features), "labels": torch.cat(labels)}


class FeatureBatches:
    """Iterable of `{"img": features, "label": labels}` batches: a test loader that skips decoding images."""

    def __init__(self, features, labels, batch_size):
        if len(features) != len(labels):
            raise ValueError(f"{len(features)} cached features for {len(labels)} labels; delete the cache entry")
        self.features = features
        self.labels = labels
        self.batch_size = batch_size

    def __len__(self):
        return (len(self.labels) + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        for start in range(0, len(self.labels), self.batch_size):
            stop = start + self.batch_size
            yield {"img": self.features[start:stop], "label": self.labels[start:stop]}
