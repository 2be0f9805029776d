"""A real run of scripts/base2new.sh (no DRY_RUN): train on base, test on new, then the table, on a tiny CLIP.

BACKBONE and EXTRA_OPTS are the documented way to shrink a run without editing a file; the folder
names must follow the EXTRA_OPTS epochs and shots, and the table must show the logs' accuracies.
"""
import os
import subprocess

from tests.fixtures.dataset_fixtures import make_synthetic_dataset
from tests.trainers.train_runs import logged_accuracies

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY_EXTRA_OPTS = ("OPTIM.MAX_EPOCH 1 DATASET.NUM_SHOTS 2 INPUT.SIZE '(32, 32)' DATALOADER.NUM_WORKERS 0 "
                   "DATALOADER.TRAIN_X.BATCH_SIZE 4 DATALOADER.TEST.BATCH_SIZE 8")


def _table_row(markdown, dataset):
    [row] = [line for line in markdown.splitlines() if line.startswith(f"| {dataset} |")]
    return [cell.strip() for cell in row.strip("|").split("|")]


def test_base2new_sweep_runs_for_real_and_tables_the_logged_accuracies(tmp_path, tiny_vit_checkpoint):
    data = make_synthetic_dataset(tmp_path / "data", "Caltech101", n_classes=4, train_per_class=2,
                                  val_per_class=1, test_per_class=2)
    env = {key: value for key, value in os.environ.items() if key not in ("DRY_RUN", "SETTINGS_FILE")}
    env.update(DATA=data.root, BACKBONE=tiny_vit_checkpoint, OUTPUT_ROOT=str(tmp_path / "output"),
               EXTRA_OPTS=TINY_EXTRA_OPTS)
    result = subprocess.run(["bash", os.path.join(REPO_ROOT, "scripts", "base2new.sh"), "CoOp", "caltech101", "1"],
                            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]

    train_dir = tmp_path / "output/caltech101/CoOp/vit_b16_2shots/nctx16_cscFalse_ctpend/CTX_16_epo_1/seed1"
    [base] = logged_accuracies(train_dir)
    [novel] = logged_accuracies(train_dir / "evaluation")
    assert (train_dir / "prompt_learner" / "model.pth.tar-1").is_file()
    assert f"Loading CLIP (backbone: {tiny_vit_checkpoint})" in (train_dir / "log.txt").read_text()

    harmonic = 2 * base * novel / (base + novel) if base + novel else 0.0
    assert _table_row(result.stdout, "Caltech101")[:4] == [
        "Caltech101", f"{base:.2f} ± 0.00", f"{novel:.2f} ± 0.00", f"{harmonic:.2f}"]
