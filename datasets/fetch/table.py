"""The source table (``datasets/sources.yaml``) as objects, and where a location points today.

The table is data: URLs, checksums, sizes and layout recipes live there with their provenance;
this module only reads it and resolves ``hf://`` and ``--from`` locations.
"""
import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple
from urllib.parse import urlsplit

import yaml

from dassl.data.datasets import DATASET_REGISTRY

TABLE_FILE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sources.yaml")
MIRROR_ENV_VAR = "FETCH_FROM"


class FetchError(RuntimeError):
    """A fetch that cannot go on; the message names what failed and what to do."""


@dataclass(frozen=True)
class FileSpec:
    """One downloadable file: every URL serves the same bytes (same checksum)."""

    file: str
    urls: Tuple[str, ...]
    md5: Optional[str] = None
    sha256: Optional[str] = None
    size_mb: float = 0.0
    unpack: str = "extract"
    into: str = "."
    nested: Tuple[str, ...] = ()

    @property
    def checksum(self):
        """``(algorithm, hex digest)`` or None when no checksum is published."""
        if self.sha256:
            return "sha256", self.sha256
        if self.md5:
            return "md5", self.md5
        return None


@dataclass(frozen=True)
class Source:
    """One way to get a dataset: a set of files and how they unpack into the dataset folder."""

    label: str
    files: Tuple[FileSpec, ...]
    root: str = "."

    @property
    def size_mb(self):
        return sum(spec.size_mb for spec in self.files)


@dataclass(frozen=True)
class DatasetSpec:
    key: str
    reader: str
    expect: Tuple[str, ...]
    sources: Tuple[Source, ...] = ()
    extras: Tuple[FileSpec, ...] = ()
    counts: Dict[str, int] = field(default_factory=dict)
    steps: Tuple[str, ...] = ()

    @property
    def folder(self):
        """The reader's own folder name, so fetch and reader cannot disagree."""
        return DATASET_REGISTRY.get(self.reader).dataset_dir


def _file_spec(row):
    row = {key: value for key, value in row.items() if key != "from"}
    return FileSpec(**{**row, "urls": tuple(row["urls"]), "nested": tuple(row.get("nested", ()))})


def _dataset_spec(key, row):
    sources = tuple(
        Source(label=s["label"], root=s.get("root", "."), files=tuple(_file_spec(f) for f in s["files"]))
        for s in row.get("sources", ())
    )
    return DatasetSpec(
        key=key, reader=row["reader"], expect=tuple(row["expect"]), sources=sources,
        extras=tuple(_file_spec(f) for f in row.get("extras", ())), counts=dict(row.get("counts", {})),
        steps=tuple(row.get("steps", ())),
    )


@dataclass(frozen=True)
class SourceTable:
    datasets: Dict[str, DatasetSpec]
    upstream: str
    descriptions: Dict[str, Optional[str]]
    anchors: Dict[str, Optional[str]]

    def dataset(self, name):
        """A dataset by config stem (``dtd``) or reader name (``DescribableTextures``)."""
        for spec in self.datasets.values():
            if name in (spec.key, spec.reader):
                return spec
        raise FetchError(f"Unknown dataset {name!r}; choose from {', '.join(self.datasets)} (or all)")


def load_table(path=TABLE_FILE) -> SourceTable:
    with open(path, encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    return SourceTable(
        datasets={key: _dataset_spec(key, row) for key, row in raw["datasets"].items()},
        upstream=raw["upstream"],
        descriptions=dict(raw["descriptions"]),
        anchors=dict(raw["anchors"]),
    )


def mirror_prefix(option: Optional[str]) -> Optional[str]:
    """``--from`` wins over the ``FETCH_FROM`` environment variable; empty means the real hosts."""
    return option or os.environ.get(MIRROR_ENV_VAR) or None


def resolve(url: str, mirror: Optional[str] = None) -> str:
    """The URL to request: ``hf://`` made a Hub URL, then the host part replaced by ``mirror``."""
    if url.startswith("hf://"):
        from huggingface_hub import hf_hub_url

        owner, repo, filename = url[len("hf://"):].split("/", 2)
        url = hf_hub_url(f"{owner}/{repo}", filename)
    if not mirror:
        return url
    parts = urlsplit(url)
    return mirror.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")
