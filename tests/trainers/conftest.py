"""Fixtures of the trainer tests: a small synthetic dataset and trainers built without training."""
import pytest

from .train_runs import run_train, small_dataset  # noqa: F401  (fixture re-exported for this package)


@pytest.fixture(scope="session")
def build_trainer_only(small_dataset, tiny_vit_checkpoint, tmp_path_factory):  # noqa: F811
    """`build(trainer, *opts)`: a trainer built by train.py --no-train (nothing trained)."""

    def build(trainer, *opts):
        output_dir = tmp_path_factory.mktemp(f"{trainer}_built")
        return run_train(small_dataset, tiny_vit_checkpoint, trainer, output_dir, flags=["--no-train"], opts=opts)

    return build
