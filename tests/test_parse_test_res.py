"""The CLI: original seed-folder report (byte format) and the table mode end to end."""
import csv
import io
import os

import pytest

import parse_test_res
from tests.results.log_fixtures import (
    UPSTREAM_EVAL_EXCERPT, UPSTREAM_TRAIN_EXCERPT, run_log_text, write_base_to_novel_run, write_log,
)


def _seed_folder(root, accuracies):
    for seed, accuracy in enumerate(accuracies, start=1):
        run_dir = os.path.join(root, f"seed{seed}")
        write_log(run_dir, run_log_text("CoOp", "dtd", "DescribableTextures", seed, "base", accuracy, run_dir,
                                        val_accuracies=[10.0, 20.0]))
    return root


def test_original_report_lines_are_byte_compatible(tmp_path, capsys):
    root = _seed_folder(str(tmp_path / "exp"), [70.0, 72.5, 74.0])
    assert parse_test_res.main([root]) == 0
    assert capsys.readouterr().out == (
        f"===\nParsing files in {root}\n"
        f"file: {root}/seed1/log.txt. accuracy: 70.0%. \n"
        f"file: {root}/seed2/log.txt. accuracy: 72.5%. \n"
        f"file: {root}/seed3/log.txt. accuracy: 74.0%. \n"
        "* average accuracy: 72.2% +- 1.6%\n===\n"
    )


def test_ci95_and_keyword_select_spread_and_metric(tmp_path, capsys):
    root = _seed_folder(str(tmp_path / "exp"), [70.0, 72.5, 74.0])
    parse_test_res.main([root, "--ci95", "--keyword", "error"])
    out = capsys.readouterr().out
    assert "file: " + root + "/seed2/log.txt. error: 27.5%. \n" in out
    # errors 30, 27.5, 26: std 1.6499, ci95 = 1.96 * 1.6499 / sqrt(3)
    assert "* average error: 27.8% +- 1.9%\n" in out


def test_test_log_mode_reads_eval_only_logs_of_the_original(tmp_path, capsys):
    root = tmp_path / "evaluation"
    write_log(root / "seed1", UPSTREAM_EVAL_EXCERPT)
    write_log(root / "seed2", UPSTREAM_EVAL_EXCERPT.replace("62.560%", "64.000%"))
    assert parse_test_res.main([str(root), "--test-log"]) == 0
    assert "* average accuracy: 63.3% +- 0.7%\n" in capsys.readouterr().out
    assert parse_test_res.main([str(root)]) == 1
    assert "Nothing found" in capsys.readouterr().err


def test_multi_exp_prints_mean_of_experiment_means(tmp_path, capsys):
    _seed_folder(str(tmp_path / "a"), [70.0, 72.0])
    _seed_folder(str(tmp_path / "b"), [80.0])
    parse_test_res.main([str(tmp_path), "--multi-exp"])
    assert capsys.readouterr().out.endswith("Average performance\n* accuracy: 75.5%\n")


def test_seed_folder_without_log_is_a_clear_error(tmp_path, capsys):
    root = _seed_folder(str(tmp_path / "exp"), [70.0])
    os.makedirs(os.path.join(root, "seed2"))
    assert parse_test_res.main([root]) == 1
    assert f"No log.txt in {root}/seed2" in capsys.readouterr().err


def test_table_mode_writes_markdown_csv_and_chart(tmp_path, capsys):
    output = str(tmp_path / "output")
    for seed, (base, novel) in enumerate([(80.0, 40.0), (82.0, 44.0), (81.0, None)], start=1):
        write_base_to_novel_run(output, "CoOp", "dtd", "DescribableTextures", seed, base, novel)
    for seed in (1, 2, 3):
        write_base_to_novel_run(output, "CoOp", "eurosat", "EuroSAT", seed, 90.0 + seed, 60.0 + seed)
    write_base_to_novel_run(output, "CoOp", "eurosat", "EuroSAT", 4, None, None)
    files = {name: str(tmp_path / "report" / name) for name in ("t.md", "t.csv", "hm.png")}
    code = parse_test_res.main([output, "--table", "--seeds", "1", "2", "3", "--markdown", files["t.md"],
                                "--csv", files["t.csv"], "--plot", files["hm.png"]])
    assert code == 0
    printed = capsys.readouterr().out
    assert open(files["t.md"], encoding="utf-8").read() == printed
    assert "| DTD | 81.00 ± 0.82 | n/a (2/3 seeds) | — | 79.44 / 41.18 / 54.24 | — |" in printed
    assert "| EuroSAT | 92.00 ± 0.82 | 62.00 ± 0.82 |" in printed
    assert "| **Average** | 86.50 | n/a (1/2 datasets) | n/a (1/2 datasets) |" in printed
    rows = list(csv.DictReader(io.StringIO(open(files["t.csv"], encoding="utf-8").read())))
    assert {(r["dataset"], r["metric"], r["status"]) for r in rows if r["metric"] == "novel"} == \
        {("DTD", "novel", "incomplete"), ("EuroSAT", "novel", "ok"), ("Average", "novel", "incomplete")}
    assert open(files["hm.png"], "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_table_mode_reads_copies_of_original_logs_in_the_original_layout(tmp_path, capsys):
    seed_dir = tmp_path / "output" / "dtd" / "CoOp_dyntoken_1anchor_template" / "vit_b16_16shots" / "seed1"
    write_log(seed_dir, UPSTREAM_TRAIN_EXCERPT)
    write_log(seed_dir / "evaluation", UPSTREAM_EVAL_EXCERPT)
    assert parse_test_res.main([str(tmp_path / "output"), "--table", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    by_metric = {r["metric"]: r for r in rows if r["dataset"] == "DTD"}
    assert float(by_metric["base"]["mean"]) == 55.787 and float(by_metric["novel"]["mean"]) == 62.56
    assert float(by_metric["hm"]["mean"]) == pytest.approx(2 * 55.787 * 62.56 / (55.787 + 62.56))


def test_table_mode_on_empty_folder_is_an_error(tmp_path, capsys):
    assert parse_test_res.main([str(tmp_path), "--table"]) == 1
    assert "No runs found" in capsys.readouterr().err


def test_table_tool_starts_without_torch_or_matplotlib():
    """Collecting logs into tables needs neither: keeping them out keeps start-up under a second."""
    import subprocess
    import sys

    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    probe = ("import sys, parse_test_res; from dassl.utils import atomic_write; "
             "print(sorted(m for m in ('torch', 'matplotlib') if m in sys.modules))")
    completed = subprocess.run([sys.executable, "-c", probe], cwd=repo, capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"
