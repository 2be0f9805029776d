"""The CuPL-style description generator against a real loopback HTTP endpoint."""
import json

from scripts.llm import generate_descriptions
from tests.fixtures.llm_endpoint import SECRET
from trainers.plugins.anchoropt_anchor import load_descriptions


def _run(tmp_path, endpoint, monkeypatch, classnames, per_class=2):
    monkeypatch.setenv("DESC_TEST_KEY", SECRET)
    out = tmp_path / "out" / "descriptions.json"
    argv = ["--classnames", *classnames, "--out", str(out), "--per-class", str(per_class), "--dataset", "Toy",
            "--base-url", endpoint.base_url, "--model", "m", "--api-key-env", "DESC_TEST_KEY"]
    return generate_descriptions.main(argv), out


def test_writes_cupl_json_that_stage_one_reads_skipping_over_long_sentences(tmp_path, endpoint, monkeypatch):
    too_long = "word " * 80
    endpoint.reply_content(json.dumps({"descriptions": ["A red ball is round.", too_long, "A red ball bounces."]}))
    endpoint.reply_content(json.dumps({"descriptions": ["A blue cube has edges.", "A blue cube is square.", "x"]}))
    status, out = _run(tmp_path, endpoint, monkeypatch, ["red_ball", "blue cube"])
    assert status == 0
    written = json.loads(out.read_text())
    assert written == {"red ball": ["A red ball is round.", "A red ball bounces."],
                       "blue cube": ["A blue cube has edges.", "A blue cube is square."]}
    assert load_descriptions(str(out), ["blue cube"], 2) == [written["blue cube"]]
    assert "blue cube" in endpoint.requests[1]["body"]["messages"][1]["content"]


def test_too_few_usable_sentences_fail_without_writing(tmp_path, endpoint, monkeypatch, capsys):
    endpoint.reply_content(json.dumps({"descriptions": ["Only one sentence about a ball."]}))
    status, out = _run(tmp_path, endpoint, monkeypatch, ["ball"])
    assert status == 1
    assert not out.exists()
    assert "'ball' has 1 usable sentences" in capsys.readouterr().err
