"""Grouped bar chart of HM per dataset (and the Average) for each method.

Drawn on an explicit Agg canvas, so no display and no global matplotlib backend switch is needed.
An incomplete HM gets no bar but an `n/a` mark, so a missing run cannot pass for a low score.
"""
import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from dassl.utils import atomic_write


def hm_series(tables):
    """(group labels, {method: [HM or None per group]}) with the Average as the last group."""
    labels = [row.dataset for row in tables[0].rows] + ["Average"]
    series = {table.method: [row.hm for row in table.rows] + [table.average_hm.value] for table in tables}
    return labels, series


def draw_hm_bars(tables, title="Base-to-novel harmonic mean"):
    """The chart as a Figure; raises ValueError when there is nothing to plot."""
    if not tables or not tables[0].rows:
        raise ValueError("No base-to-novel results to plot")
    labels, series = hm_series(tables)
    # tab10 repeats after ten methods; a full sweep (baselines, ATP, AnchorOPT, ...) has more.
    colors = colormaps["tab10" if len(series) <= 10 else "tab20"].colors
    figure = Figure(figsize=(max(6.0, 0.9 * len(labels) * max(1, len(series)) ** 0.5 + 2), 4.5))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = np.arange(len(labels))
    width = 0.8 / len(series)
    for index, (method, values) in enumerate(series.items()):
        offsets = positions - 0.4 + width * (index + 0.5)
        heights = [np.nan if value is None else value for value in values]
        axes.bar(offsets, heights, width=width, label=method, color=colors[index % len(colors)])
        for offset, value in zip(offsets, values):
            if value is None:
                axes.text(offset, 1, "n/a", rotation=90, ha="center", va="bottom", fontsize=7)
    axes.set_xlim(-0.5, len(labels) - 0.5)  # groups with no bar at all (only n/a marks) stay in view
    axes.set_xticks(positions)
    axes.set_xticklabels(labels, rotation=30, ha="right")
    axes.set_ylabel("HM (%)")
    axes.set_ylim(0, 100)
    axes.set_title(title)
    axes.legend(fontsize=8, ncols=min(4, len(series)))
    figure.tight_layout()
    return figure


def plot_hm_bars(tables, path, title="Base-to-novel harmonic mean"):
    """Write the chart to `path` as PNG (atomically); raises ValueError when there is nothing to plot."""
    figure = draw_hm_bars(tables, title)
    atomic_write(path, lambda handle: figure.savefig(handle, format="png", dpi=120), mode="wb")
