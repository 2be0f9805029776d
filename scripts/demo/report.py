"""The demo's table and chart: Base, Novel (mean ± std over seeds) and HM of every method.

    python -m scripts.demo.report RUNS_DIR [ANCHOR_DIR] --markdown FILE --plot FILE.png --seeds 1 2 3

Reads the runs with the same collector as ``parse_test_res.py --table``; the chart shows all three
numbers, because a plug-in that trades Base for Novel looks the same as one that does not on HM alone.
The AnchorOPT stage-I runs, when given, add a row: the anchor prompts alone, which stage II ensembles
with on novel classes.
"""
import argparse
import sys

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from dassl.utils import atomic_write
from results.collect import collect_measurements
from results.files import write_text_atomic
from results.seed_runs import ResultsError
from results.tables import build_base_to_novel_tables

METHOD_ORDER = ("ZeroshotCLIP", "CoOp", "CoOp_ATP", "CoOp_AnchorOPT", "CoOp_Pretrain_Anchor")
LABELS = {"CoOp_Pretrain_Anchor": "stage-I anchor alone"}
METRICS = ("Base", "Novel", "HM")


def method_rows(tables):
    """[(method, {metric: (mean, std or None)})] of the demo's single dataset, in METHOD_ORDER."""
    rows = []
    for table in sorted(tables, key=lambda t: METHOD_ORDER.index(t.method) if t.method in METHOD_ORDER else 99):
        (row,) = table.rows
        if row.hm is None:
            raise ResultsError(f"{table.method} lacks a seed of {list(table.seeds)}: rerun the demo to finish it")
        rows.append((LABELS.get(table.method, table.method), {"Base": (row.base.mean, row.base.std), "Novel": (row.novel.mean, row.novel.std),
                                    "HM": (row.hm, None)}))
    return rows


def markdown_table(rows, seeds):
    lines = [f"Seeds {', '.join(map(str, seeds))}: Base and Novel are mean ± std over seeds, HM is the HM of the means.",
             "", "| Method | Base | Novel | HM |", "|---|---|---|---|"]
    for method, values in rows:
        cells = [f"{mean:.2f} ± {std:.2f}" if std is not None else f"{mean:.2f}" for mean, std in values.values()]
        lines.append(f"| {method} | {' | '.join(cells)} |")
    return "\n".join(lines) + "\n"


def draw_chart(rows, seeds):
    """Grouped bars: one group per metric, one bar per method, std over seeds as error bars."""
    figure = Figure(figsize=(7.0, 5.0))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    colors = colormaps["tab10"].colors
    positions = np.arange(len(METRICS))
    width = 0.8 / len(rows)
    for index, (method, values) in enumerate(rows):
        means = [values[metric][0] for metric in METRICS]
        errors = [values[metric][1] or 0.0 for metric in METRICS]
        offsets = positions - 0.4 + width * (index + 0.5)
        axes.bar(offsets, means, width=width, yerr=errors, capsize=3, label=method, color=colors[index % len(colors)])
        for offset, mean, error in zip(offsets, means, errors):
            axes.text(offset, mean + error + 1, f"{mean:.1f}", ha="center", va="bottom", fontsize=7)
    axes.set_xticks(positions)
    axes.set_xticklabels(METRICS)
    axes.set_ylabel("accuracy (%)")
    axes.set_ylim(0, 100)
    axes.set_title(f"CPU demo, procedural world, base-to-novel (seeds {', '.join(map(str, seeds))})")
    axes.legend(fontsize=8, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.08))
    figure.tight_layout()
    return figure


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("roots", nargs="+", help="the demo's runs folder, then (optional) its stage-I anchor folder")
    parser.add_argument("--markdown", required=True, help="where the table goes")
    parser.add_argument("--plot", required=True, help="where the chart (PNG) goes")
    parser.add_argument("--seeds", type=int, nargs="+", required=True, help="seeds every method must have")
    args = parser.parse_args(argv)
    try:
        measurements = [measurement for root in args.roots for measurement in collect_measurements(root)]
        if not measurements:
            raise ResultsError(f"No runs found under {' '.join(args.roots)}")
        rows = method_rows(build_base_to_novel_tables(measurements, args.seeds))
    except ResultsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    table = markdown_table(rows, args.seeds)
    write_text_atomic(args.markdown, table)
    figure = draw_chart(rows, args.seeds)
    atomic_write(args.plot, lambda handle: figure.savefig(handle, format="png", dpi=120), mode="wb")
    sys.stdout.write(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
