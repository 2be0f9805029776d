"""Seed statistics with the papers' conventions."""
import math
from dataclasses import dataclass

import numpy as np


def harmonic_mean(base, novel):
    """HM = 2BN / (B + N); 0 when both are 0."""
    return 0.0 if base + novel == 0 else 2 * base * novel / (base + novel)


def population_std(values):
    """np.std with ddof=0, the spread the original parse_test_res.py prints."""
    return float(np.std(values))


def ci95(values):
    """1.96 * std / sqrt(n), the original tool's `--ci95` spread."""
    return 1.96 * population_std(values) / math.sqrt(len(values))


@dataclass(frozen=True)
class SeedCell:
    """Accuracies of the finished seeds of one (method, dataset, split), against the seeds expected."""

    values: tuple
    expected: int
    unfinished: int = 0

    @property
    def complete(self):
        return self.expected > 0 and len(self.values) == self.expected

    @property
    def mean(self):
        return float(np.mean(self.values)) if self.values else None

    @property
    def std(self):
        return population_std(self.values) if self.values else None
