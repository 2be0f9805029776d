import csv
import io

from results.datasets import BASE_TO_NOVEL
from results.published import Published, PublishedBaseToNovel
from results.render import base_to_novel_markdown, cell_text, render_csv, transfer_markdown
from results.stats import SeedCell
from results.tables import CROSS_DATASET, build_base_to_novel_tables, build_transfer_table
from tests.results.test_tables import _measure, _two_dataset_measurements

PUBLISHED = Published(
    base_to_novel={("CoOp", "DTD"): PublishedBaseToNovel(79.44, 41.18, 54.24, "paper"),
                   ("CoOp", "Average"): PublishedBaseToNovel(82.69, 63.22, 71.66, "paper")},
    transfer={(CROSS_DATASET, "CoCoOp", "DTD"): 45.73},
)


def test_cell_text_marks_complete_partial_and_absent_cells():
    assert cell_text(SeedCell((80.0, 82.0), 2)) == "81.00 ± 1.00"
    assert cell_text(SeedCell((80.0,), 3, unfinished=1)) == "n/a (1/3 seeds, 1 unfinished)"
    assert cell_text(SeedCell((), 3)) == "—"


def test_base_to_novel_markdown_rows_with_published_and_delta():
    (table,) = build_base_to_novel_tables(_two_dataset_measurements())
    lines = base_to_novel_markdown(table, PUBLISHED).splitlines()
    assert lines[0] == "### CoOp: base-to-novel (seeds 1, 2)"
    assert lines[2] == "| Dataset | Base | Novel | HM | Published B / N / HM | Δ HM |"
    assert lines[4] == "| DTD | 81.00 ± 1.00 | 42.00 ± 2.00 | 55.32 | 79.44 / 41.18 / 54.24 | +1.08 |"
    assert lines[5] == "| EuroSAT | 91.00 ± 1.00 | 65.00 ± 5.00 | 75.83 | — | — |"
    assert lines[6] == "| **Average** | 86.00 | 53.50 | 65.96 | — | — |"


def test_published_average_and_delta_only_beside_an_average_over_all_eleven_datasets():
    measurements = [_measure("CoOp", dataset, split, 1, accuracy)
                    for dataset in BASE_TO_NOVEL for split, accuracy in (("base", 80.0), ("new", 60.0))]
    (table,) = build_base_to_novel_tables(measurements)
    last = base_to_novel_markdown(table, PUBLISHED).splitlines()[-1]
    assert last == "| **Average** | 80.00 | 60.00 | 68.57 | 82.69 / 63.22 / 71.66 | -3.09 |"


def test_markdown_without_published_numbers_has_four_columns():
    (table,) = build_base_to_novel_tables(_two_dataset_measurements())
    assert base_to_novel_markdown(table, Published()).splitlines()[2] == "| Dataset | Base | Novel | HM |"


def test_incomplete_average_says_how_many_datasets_are_complete():
    measurements = [m for m in _two_dataset_measurements() if m.dataset == "DTD" or m.split == "base"]
    (table,) = build_base_to_novel_tables(measurements)
    last = base_to_novel_markdown(table, Published()).splitlines()[-1]
    assert last == "| **Average** | 86.00 | n/a (1/2 datasets) | n/a (1/2 datasets) |"


def test_transfer_markdown_puts_published_row_under_ours():
    measurements = [_measure("CoCoOp", dataset, "all", 1, accuracy) for dataset, accuracy in
                    [("ImageNet", 71.0), ("DTD", 45.0)]]
    table = build_transfer_table(measurements, CROSS_DATASET)
    lines = transfer_markdown(table, PUBLISHED).splitlines()
    assert lines[2] == "| Method | ImageNet | DTD | Average |"
    assert lines[4] == "| CoCoOp (seeds 1) | 71.00 ± 0.00 | 45.00 ± 0.00 | 45.00 |"
    assert lines[5] == "| CoCoOp (published) | — | 45.73 | — |"


def test_csv_long_format_has_full_precision_and_status():
    measurements = _two_dataset_measurements() + [_measure("CoOp", "DTD", "base", 3, 81.5)]
    tables = build_base_to_novel_tables(measurements, seeds=[1, 2, 3])
    rows = list(csv.DictReader(io.StringIO(render_csv(tables, [], PUBLISHED))))
    dtd_base = next(r for r in rows if r["dataset"] == "DTD" and r["metric"] == "base")
    assert float(dtd_base["mean"]) == (80.0 + 82.0 + 81.5) / 3
    assert (dtd_base["found"], dtd_base["expected"], dtd_base["status"], dtd_base["published"]) == \
        ("3", "3", "ok", "79.44")
    dtd_novel = next(r for r in rows if r["dataset"] == "DTD" and r["metric"] == "novel")
    assert (dtd_novel["found"], dtd_novel["status"]) == ("2", "incomplete")
    average_hm = next(r for r in rows if r["dataset"] == "Average" and r["metric"] == "hm")
    assert (average_hm["mean"], average_hm["status"], average_hm["published"]) == ("", "incomplete", "")
