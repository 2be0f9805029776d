"""Base-to-novel and transfer tables built from measurements, with the papers' averaging rules.

Per dataset, Base and Novel are means over seeds and HM is the harmonic mean of those two means;
the Average row averages the per-dataset Base and Novel means and takes the HM of these averages
(so Average HM is not the mean of the per-dataset HMs). A cell lacking any expected seed, or an
Average lacking any dataset, has no value: it is shown as incomplete, never averaged over less.
"""
from dataclasses import dataclass

import numpy as np

from results.datasets import (
    CROSS_DATASET_SOURCE, CROSS_DATASET_TARGETS, DOMAIN_GENERALIZATION_TARGETS, paper_order,
)
from results.stats import SeedCell, harmonic_mean

CROSS_DATASET = "cross_dataset"
DOMAIN_GENERALIZATION = "domain_generalization"
_TRANSFER_TARGETS = {CROSS_DATASET: CROSS_DATASET_TARGETS, DOMAIN_GENERALIZATION: DOMAIN_GENERALIZATION_TARGETS}


@dataclass(frozen=True)
class Average:
    """Mean over datasets; `value` is None unless all `expected` datasets are complete."""

    value: float | None
    complete_count: int
    expected: int


@dataclass(frozen=True)
class BaseToNovelRow:
    dataset: str
    base: SeedCell
    novel: SeedCell

    @property
    def hm(self):
        if self.base.complete and self.novel.complete:
            return harmonic_mean(self.base.mean, self.novel.mean)
        return None


@dataclass(frozen=True)
class BaseToNovelTable:
    method: str
    seeds: tuple
    rows: tuple

    def _average_of(self, attribute):
        cells = [getattr(row, attribute) for row in self.rows]
        complete = [cell.mean for cell in cells if cell.complete]
        value = float(np.mean(complete)) if complete and len(complete) == len(cells) else None
        return Average(value, len(complete), len(cells))

    @property
    def average_base(self):
        return self._average_of("base")

    @property
    def average_novel(self):
        return self._average_of("novel")

    @property
    def average_hm(self):
        base, novel = self.average_base, self.average_novel
        value = None if base.value is None or novel.value is None else harmonic_mean(base.value, novel.value)
        complete_count = sum(row.hm is not None for row in self.rows)
        return Average(value, complete_count, len(self.rows))


@dataclass(frozen=True)
class TransferRow:
    method: str
    seeds: tuple
    cells: tuple

    def cell(self, dataset):
        return dict(self.cells)[dataset]

    def average(self, targets):
        target_cells = [self.cell(dataset) for dataset in targets]
        complete = [cell.mean for cell in target_cells if cell.complete]
        value = float(np.mean(complete)) if complete and len(complete) == len(target_cells) else None
        return Average(value, len(complete), len(target_cells))


@dataclass(frozen=True)
class TransferTable:
    """Source accuracy and target accuracies of ImageNet-trained models (`SUBSAMPLE_CLASSES all`)."""

    kind: str
    source: str
    targets: tuple
    rows: tuple

    @property
    def columns(self):
        return (self.source,) + self.targets


def _expected_seeds(measurements, seeds):
    """The seeds a method should have: `seeds` if given (seeded methods only), else every seed seen."""
    seen = sorted({measurement.seed for measurement in measurements})
    if seeds and any(seed >= 0 for seed in seen):
        return tuple(seeds)
    return tuple(seen)


def _cell(measurements, dataset, split, expected):
    matching = [m for m in measurements if m.dataset == dataset and m.split == split and m.seed in expected]
    values = tuple(m.accuracy for m in matching if m.accuracy is not None)
    return SeedCell(values=values, expected=len(expected), unfinished=len(matching) - len(values))


def _by_method(measurements, method_order):
    methods = sorted({m.method for m in measurements},
                     key=lambda name: (method_order.index(name) if name in method_order else len(method_order), name))
    return [(method, [m for m in measurements if m.method == method]) for method in methods]


def build_base_to_novel_tables(measurements, seeds=None, method_order=()):
    """One table per method over every dataset that any method has base/novel runs for."""
    split_measurements = [m for m in measurements if m.split in ("base", "new")]
    datasets = paper_order({m.dataset for m in split_measurements})
    tables = []
    for method, own in _by_method(split_measurements, list(method_order)):
        expected = _expected_seeds(own, seeds)
        rows = tuple(
            BaseToNovelRow(dataset, _cell(own, dataset, "base", expected), _cell(own, dataset, "new", expected))
            for dataset in datasets
        )
        tables.append(BaseToNovelTable(method, expected, rows))
    return tables


def build_transfer_table(measurements, kind, seeds=None, method_order=()):
    """Cross-dataset or domain-generalisation table, or None when no target of that kind was run."""
    all_class = [m for m in measurements if m.split == "all"]
    targets = tuple(d for d in _TRANSFER_TARGETS[kind] if any(m.dataset == d for m in all_class))
    if not targets:
        return None
    columns = (CROSS_DATASET_SOURCE,) + targets
    rows = []
    for method, own in _by_method(all_class, list(method_order)):
        if not any(m.dataset in targets for m in own):
            continue
        expected = _expected_seeds(own, seeds)
        cells = tuple((dataset, _cell(own, dataset, "all", expected)) for dataset in columns)
        rows.append(TransferRow(method, expected, cells))
    return TransferTable(kind, CROSS_DATASET_SOURCE, targets, tuple(rows))
