"""The README's "Add your own method" example is real code: it registers, trains and evaluates."""
import json
import os
import re
import subprocess
import sys
import textwrap


from datasets.synthetic import make_synthetic_dataset

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARKER = "<!-- plugin-example"


def readme_plugin_source():
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        text = f.read()
    after_marker = text[text.index(MARKER):]
    return re.search(r"```python\n(.*?)```", after_marker, re.DOTALL).group(1)


RUNNER = textwrap.dedent("""
    import json, sys
    import train, trainers, readme_plugin
    from trainers.parts.prompt_layout import embed_token_ids
    import clip
    root, config, checkpoint, out = sys.argv[1:5]
    args = train.build_parser().parse_args([
        "--root", root, "--seed", "1", "--trainer", "MaPLe_HardPrefix", "--dataset-config-file", config,
        "--config-file", "configs/trainers/MaPLe/vit_b16_c2_ep5_batch4_2ctx.yaml", "--output-dir", out,
        "MODEL.BACKBONE.NAME", checkpoint, "TRAINER.MAPLE.PROMPT_DEPTH", "2", "DATASET.NUM_SHOTS", "2",
        "INPUT.SIZE", "(32, 32)", "DATALOADER.NUM_WORKERS", "0", "DATALOADER.TRAIN_X.BATCH_SIZE", "4",
        "OPTIM.MAX_EPOCH", "1", "DATASET.SUBSAMPLE_CLASSES", "base"])
    trainer = train.main(args)
    layout = trainer.prompt_learner
    embeddings, _ = layout()
    words = embed_token_ids(trainer.clip_model, clip.tokenize("a photo of a"))[0, 1:5]
    print(json.dumps({"window": list(layout.deep_text_window()),
                      "words_kept": bool((embeddings[:, 1:5] == words).all()),
                      "ctx_placed": bool((embeddings[:, 5:7] == layout.ctx.to(embeddings.dtype)).all())}))
""")


def test_readme_plugin_trains_maple_with_its_layout(tmp_path, tiny_vit_checkpoint):
    (tmp_path / "readme_plugin.py").write_text(readme_plugin_source())
    (tmp_path / "runner.py").write_text(RUNNER)
    data = make_synthetic_dataset(str(tmp_path / "data"), "Caltech101", n_classes=4)
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([REPO, str(tmp_path)])}
    result = subprocess.run(
        [sys.executable, str(tmp_path / "runner.py"), data.root, data.config_file, tiny_vit_checkpoint, str(out)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    checks = json.loads(result.stdout.strip().splitlines()[-1])
    assert checks == {"window": [5, 2], "words_kept": True, "ctx_placed": True}
    assert re.search(r"^\* accuracy: [0-9.]+%$", (out / "log.txt").read_text(), re.MULTILINE)
