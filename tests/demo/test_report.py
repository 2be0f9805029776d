from scripts.demo.report import main
from tests.results.log_fixtures import write_base_to_novel_run


def write_runs(root, trainer, results):
    for seed, (base, novel) in results.items():
        write_base_to_novel_run(str(root), trainer, "procedural_world", "ProceduralWorld", seed, base, novel)


def test_table_gives_mean_and_std_over_seeds_in_the_method_order_and_the_chart_is_written(tmp_path, capsys):
    write_runs(tmp_path / "runs", "CoOp_ATP", {1: (60.0, 40.0), 2: (62.0, 44.0)})
    write_runs(tmp_path / "runs", "CoOp", {1: (58.0, 50.0), 2: (60.0, 50.0)})
    write_runs(tmp_path / "anchor", "CoOp_Pretrain_Anchor", {1: (50.0, 45.0), 2: (50.0, 45.0)})
    markdown, chart = tmp_path / "out" / "results.md", tmp_path / "out" / "chart.png"
    assert main([str(tmp_path / "runs"), str(tmp_path / "anchor"), "--markdown", str(markdown), "--plot", str(chart),
                 "--seeds", "1", "2"]) == 0
    rows = [line for line in markdown.read_text().splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert rows == ["| CoOp | 59.00 ± 1.00 | 50.00 ± 0.00 | 54.13 |",
                    "| CoOp_ATP | 61.00 ± 1.00 | 42.00 ± 2.00 | 49.75 |",
                    "| stage-I anchor alone | 50.00 ± 0.00 | 45.00 ± 0.00 | 47.37 |"]
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert capsys.readouterr().out == markdown.read_text()


def test_a_missing_seed_is_a_one_line_error_and_writes_nothing(tmp_path, capsys):
    write_runs(tmp_path / "runs", "CoOp", {1: (58.0, 50.0), 2: (60.0, None)})
    markdown = tmp_path / "results.md"
    assert main([str(tmp_path / "runs"), "--markdown", str(markdown), "--plot", str(tmp_path / "c.png"),
                 "--seeds", "1", "2"]) == 1
    assert "CoOp lacks a seed" in capsys.readouterr().err
    assert not markdown.exists()
