"""Markdown and CSV renderings of the tables, with the published numbers beside ours."""
import csv
import io

from results.datasets import BASE_TO_NOVEL, CROSS_DATASET_TARGETS, DOMAIN_GENERALIZATION_TARGETS
from results.tables import CROSS_DATASET, DOMAIN_GENERALIZATION

MISSING = "—"
_TRANSFER_TITLES = {
    CROSS_DATASET: "Cross-dataset transfer",
    DOMAIN_GENERALIZATION: "Domain generalisation",
}
_FULL_TARGETS = {CROSS_DATASET: tuple(CROSS_DATASET_TARGETS), DOMAIN_GENERALIZATION: tuple(DOMAIN_GENERALIZATION_TARGETS)}
CSV_COLUMNS = ["table", "method", "dataset", "metric", "mean", "std", "found", "expected", "status", "published"]


def _number(value):
    return MISSING if value is None else f"{value:.2f}"


def cell_text(cell):
    """`76.47 ± 0.12`, or `n/a (2/3 seeds, 1 unfinished)` when a seed is missing, `—` when none exists."""
    if cell.complete:
        return f"{cell.mean:.2f} ± {cell.std:.2f}"
    if not cell.values and not cell.unfinished:
        return MISSING
    unfinished = f", {cell.unfinished} unfinished" if cell.unfinished else ""
    return f"n/a ({len(cell.values)}/{cell.expected} seeds{unfinished})"


def average_text(average):
    if average.value is not None:
        return f"{average.value:.2f}"
    return f"n/a ({average.complete_count}/{average.expected} datasets)"


def _seeds_text(seeds):
    seeded = [str(seed) for seed in seeds if seed >= 0]
    return f"seeds {', '.join(seeded)}" if seeded else "no seed"


def _markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _published_text(entry):
    if entry is None:
        return MISSING
    return " / ".join(_number(value) for value in (entry.base, entry.novel, entry.hm))


def _delta_text(ours, entry):
    if ours is None or entry is None or entry.hm is None:
        return MISSING
    return f"{ours - entry.hm:+.2f}"


def _published_average(table, published):
    """The paper's 11-dataset average, shown only beside our average over the same 11 datasets."""
    if tuple(row.dataset for row in table.rows) != tuple(BASE_TO_NOVEL):
        return None
    return published.base_to_novel.get((table.method, "Average"))


def base_to_novel_markdown(table, published):
    """One method's Base / Novel / HM per dataset, its Average row, and the paper's numbers if known."""
    entries = {row.dataset: published.base_to_novel.get((table.method, row.dataset)) for row in table.rows}
    average_entry = _published_average(table, published)
    show_published = any(entries.values()) or average_entry is not None
    header = ["Dataset", "Base", "Novel", "HM"] + (["Published B / N / HM", "Δ HM"] if show_published else [])
    rows = []
    for row in table.rows:
        line = [row.dataset, cell_text(row.base), cell_text(row.novel), _number(row.hm)]
        if show_published:
            line += [_published_text(entries[row.dataset]), _delta_text(row.hm, entries[row.dataset])]
        rows.append(line)
    average_hm = table.average_hm
    line = ["**Average**", average_text(table.average_base), average_text(table.average_novel), average_text(average_hm)]
    if show_published:
        line += [_published_text(average_entry), _delta_text(average_hm.value, average_entry)]
    rows.append(line)
    title = f"### {table.method}: base-to-novel ({_seeds_text(table.seeds)})"
    return title + "\n\n" + _markdown_table(header, rows)


def transfer_markdown(table, published):
    """Methods as rows, source then targets as columns, each method followed by its published row."""
    header = ["Method"] + list(table.columns) + ["Average"]
    full_targets = table.targets == _FULL_TARGETS[table.kind]
    rows = []
    for row in table.rows:
        rows.append([f"{row.method} ({_seeds_text(row.seeds)})"]
                    + [cell_text(row.cell(dataset)) for dataset in table.columns]
                    + [average_text(row.average(table.targets))])
        paper = [published.transfer.get((table.kind, row.method, dataset)) for dataset in table.columns]
        paper_average = published.transfer.get((table.kind, row.method, "Average")) if full_targets else None
        if any(value is not None for value in paper + [paper_average]):
            rows.append([f"{row.method} (published)"] + [_number(value) for value in paper] + [_number(paper_average)])
    title = f"### {_TRANSFER_TITLES[table.kind]} (source {table.source}, all classes)"
    return title + "\n\n" + _markdown_table(header, rows)


def render_markdown(base_to_novel_tables, transfer_tables, published):
    sections = [base_to_novel_markdown(table, published) for table in base_to_novel_tables]
    sections += [transfer_markdown(table, published) for table in transfer_tables]
    return "\n\n".join(sections) + "\n"


def _format(value):
    return "" if value is None else repr(float(value))


def _cell_record(table, method, dataset, metric, cell, published_value):
    return [table, method, dataset, metric, _format(cell.mean), _format(cell.std), len(cell.values), cell.expected,
            "ok" if cell.complete else "incomplete", _format(published_value)]


def _average_record(table, method, metric, average, published_value):
    return [table, method, "Average", metric, _format(average.value), "", average.complete_count, average.expected,
            "ok" if average.value is not None else "incomplete", _format(published_value)]


def _base_to_novel_records(table, published):
    for row in table.rows:
        entry = published.base_to_novel.get((table.method, row.dataset))
        yield _cell_record("base_to_novel", table.method, row.dataset, "base", row.base, entry and entry.base)
        yield _cell_record("base_to_novel", table.method, row.dataset, "novel", row.novel, entry and entry.novel)
        found = min(len(row.base.values), len(row.novel.values))
        yield ["base_to_novel", table.method, row.dataset, "hm", _format(row.hm), "", found, row.base.expected,
               "ok" if row.hm is not None else "incomplete", _format(entry and entry.hm)]
    entry = _published_average(table, published)
    yield _average_record("base_to_novel", table.method, "base", table.average_base, entry and entry.base)
    yield _average_record("base_to_novel", table.method, "novel", table.average_novel, entry and entry.novel)
    yield _average_record("base_to_novel", table.method, "hm", table.average_hm, entry and entry.hm)


def _transfer_records(table, published):
    for row in table.rows:
        for dataset in table.columns:
            paper = published.transfer.get((table.kind, row.method, dataset))
            yield _cell_record(table.kind, row.method, dataset, "accuracy", row.cell(dataset), paper)
        paper_average = published.transfer.get((table.kind, row.method, "Average"))
        if table.targets != _FULL_TARGETS[table.kind]:
            paper_average = None
        yield _average_record(table.kind, row.method, "accuracy", row.average(table.targets), paper_average)


def render_csv(base_to_novel_tables, transfer_tables, published):
    """Long format, one row per (table, method, dataset, metric), full precision."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for table in base_to_novel_tables:
        writer.writerows(_base_to_novel_records(table, published))
    for table in transfer_tables:
        writer.writerows(_transfer_records(table, published))
    return buffer.getvalue()
