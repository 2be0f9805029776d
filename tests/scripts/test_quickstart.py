"""bash scripts/quickstart.sh end to end: everything fetched from a loopback server, four methods on a tiny CLIP."""
import json
import os
import subprocess

from datasets.fetch.table import load_table
from tests.datasets.fetch_archives import build_archives, publish, url_path
from tests.scripts.test_script_runs import REPO_ROOT, TINY_EXTRA_OPTS


def test_quickstart_fetches_checks_runs_four_methods_and_skips_on_rerun(tmp_path, loopback_server,
                                                                         tiny_vit_checkpoint):
    table = load_table()
    spec = table.dataset("ucf101")
    data, archives = build_archives("ucf101", tmp_path / "build", n_classes=4)
    publish(loopback_server, spec, data, archives)
    sentences = {name.replace("_", " "): [f"a video frame of {name}, view {i}." for i in range(10)]
                 for name in data.classnames}
    loopback_server.put(f"{url_path(table.upstream)}/templates/ucf_prompts_full.json",
                        data=json.dumps(sentences).encode())
    env = {key: value for key, value in os.environ.items() if key not in ("DRY_RUN", "SETTINGS_FILE")}
    env.update(DATA=str(tmp_path / "data"), FETCH_FROM=loopback_server.url, BACKBONE=tiny_vit_checkpoint,
               OUTPUT_ROOT=str(tmp_path / "output"), DESCRIPTIONS_DIR=str(tmp_path / "templates"),
               EXTRA_OPTS=TINY_EXTRA_OPTS)
    command = ["bash", os.path.join(REPO_ROOT, "scripts", "quickstart.sh"), "ucf101"]

    first = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=400)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "ucf101: fetched" in first.stdout and "ucf101: complete" in first.stdout
    assert (tmp_path / "templates" / "ucf_prompts_full.json").is_file()
    rows = [line for line in first.stdout.splitlines() if line.startswith("| UCF101 |")]
    assert len(rows) == 4  # zero-shot CLIP, CoOp, CoOp_ATP, CoOp_AnchorOPT, each beside the published row
    assert "84.69 / 56.05 / 67.46" in rows[1] and "84.49 / 64.96 / 73.45" in rows[2]  # ATPrompt paper, Table 1
    anchor = next((tmp_path / "output" / "ucf101" / "CoOp_Pretrain_Anchor").rglob("model.pth.tar-1"))
    assert f"anchor: {anchor}" in first.stdout

    second = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=200)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "ucf101: present" in second.stdout
    assert second.stdout.count("skip (finished)") == 9
