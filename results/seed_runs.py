"""The original `parse_test_res.py` report: one experiment folder of seed runs -> mean and spread.

Output lines are byte-compatible with the original. Deliberate differences: plain files among the
seed folders are ignored, and a seed folder without `log.txt` or a folder yielding nothing is a
clear error (`ResultsError`) instead of a bare assert.
"""
import os

import numpy as np

from results.logs import LOG_NAME, last_metric_after_signal, metric_pattern
from results.stats import ci95, population_std


class ResultsError(Exception):
    """A results folder that cannot be summarised; the message names the path and the fix."""


def _sorted_visible_entries(directory):
    return sorted(name for name in os.listdir(directory) if not name.startswith("."))


def summarize_experiment(directory, keyword="accuracy", end_signal="Finish training", use_ci95=False, emit=print):
    """Print the per-seed and average lines for `directory`; return `{keyword: mean}`."""
    if not os.path.isdir(directory):
        raise ResultsError(f"Not a folder: {directory}")
    pattern = metric_pattern(keyword)
    emit("===")
    emit(f"Parsing files in {directory}")
    found = []
    for name in _sorted_visible_entries(directory):
        entry = os.path.join(directory, name)
        if not os.path.isdir(entry):
            continue
        log_path = os.path.join(entry, LOG_NAME)
        if not os.path.isfile(log_path):
            raise ResultsError(f"No {LOG_NAME} in {entry}: the run is missing; rerun it or move the folder out")
        with open(log_path, encoding="utf-8", errors="replace") as handle:
            value = last_metric_after_signal(handle, pattern, end_signal)
        if value is not None:
            found.append((log_path, value))
    if not found:
        raise ResultsError(f"Nothing found in {directory} (no '{keyword}' result after a '{end_signal}' line)")
    for log_path, value in found:
        emit(f"file: {log_path}. {keyword}: {value:.1f}%. ")
    values = [value for _, value in found]
    mean = float(np.mean(values))
    spread = ci95(values) if use_ci95 else population_std(values)
    emit(f"* average {keyword}: {mean:.1f}% +- {spread:.1f}%")
    emit("===")
    return {keyword: mean}


def summarize_experiments(directory, keyword="accuracy", end_signal="Finish training", use_ci95=False, emit=print):
    """`--multi-exp`: every visible entry of `directory` is an experiment folder; print the mean of means."""
    if not os.path.isdir(directory):
        raise ResultsError(f"Not a folder: {directory}")
    means = [
        summarize_experiment(os.path.join(directory, name), keyword, end_signal, use_ci95, emit)[keyword]
        for name in _sorted_visible_entries(directory)
    ]
    emit("Average performance")
    emit(f"* {keyword}: {np.mean(means):.1f}%")
    return {keyword: float(np.mean(means))}
