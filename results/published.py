"""The papers' numbers shipped in `published/*.csv`, keyed by our trainer names.

When a (method, dataset) appears twice (DePT: ATPrompt paper vs upstream README), the first row of
the file wins; the file lists the paper first.
"""
import csv
import os
from dataclasses import dataclass, field

BASE_TO_NOVEL_FILE = "base_to_novel.csv"
TRANSFER_FILE = "transfer.csv"
DEFAULT_FOLDER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "published")


@dataclass(frozen=True)
class PublishedBaseToNovel:
    base: float
    novel: float
    hm: float | None
    source: str


@dataclass(frozen=True)
class Published:
    """`base_to_novel[(method, dataset)]`, `transfer[(table, method, dataset)] -> accuracy`."""

    base_to_novel: dict = field(default_factory=dict)
    transfer: dict = field(default_factory=dict)


def _optional_float(text, path, line_number, column):
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{path}:{line_number}: column {column!r} must be a number, got {text!r}") from None


def _rows(path, columns):
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = set(columns) - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing columns {sorted(missing)}; expected header {','.join(columns)}")
        for line_number, row in enumerate(reader, start=2):
            yield line_number, row


def load_published(folder=DEFAULT_FOLDER):
    """Read both CSV files of `folder`; a missing file just leaves its part empty."""
    published = Published()
    path = os.path.join(folder, BASE_TO_NOVEL_FILE)
    if os.path.exists(path):
        for line_number, row in _rows(path, ["method", "dataset", "base", "novel", "hm", "source"]):
            key = (row["method"], row["dataset"])
            if key not in published.base_to_novel:
                published.base_to_novel[key] = PublishedBaseToNovel(
                    base=_optional_float(row["base"], path, line_number, "base"),
                    novel=_optional_float(row["novel"], path, line_number, "novel"),
                    hm=_optional_float(row["hm"], path, line_number, "hm"),
                    source=row["source"],
                )
    path = os.path.join(folder, TRANSFER_FILE)
    if os.path.exists(path):
        for line_number, row in _rows(path, ["table", "method", "dataset", "accuracy", "source"]):
            key = (row["table"], row["method"], row["dataset"])
            published.transfer.setdefault(key, _optional_float(row["accuracy"], path, line_number, "accuracy"))
    return published
