"""TRAINER.FEATURE_CACHE.TRAIN: training from cached view features equals training from the images.

One CoOp run fills the cache (3 epochs of per-sample-seeded views); every eligible trainer then trains
from it, with image reading and the image tower disabled, to the parameters it reaches from the images.
"""
import os
import signal
import sys

import pytest
import torch

import train
from clip.model import CLIP
from dassl.config import ConfigError
from tests.plugins.test_anchoropt_support import write_original_anchor_file
from tests.trainers.train_runs import RECIPES, TINY_OPTS, small_dataset  # noqa: F401  (fixture)
from trainers.parts.feature_cache import ImageFeatureCache

EPOCHS = 3
ANCHOROPT_CONFIGS = {"CoOp_AnchorOPT": "CoOp", "CoCoOp_AnchorOPT": "CoCoOp", "DePT_AnchorOPT": "DePT",
                     "KgCoOp_AnchorOPT": "KgCoOp"}
ELIGIBLE = ["CoOp", "CoCoOp", "DePT", "KgCoOp", "CoOp_ATP", "CoCoOp_ATP", "DePT_ATP", "KgCoOp_ATP",
            *ANCHOROPT_CONFIGS]
PROMPTED_IMAGE_TOWERS = ["MaPLe", "PromptSRC", "PromptSRC_ATP", "PromptSRC_AnchorOPT"]
# 2 base classes x 4 shots = 8 items in batches of 3: two batches per epoch, two items dropped
SWEEP_OPTS = ["DATASET.SUBSAMPLE_CLASSES", "base", "DATASET.NUM_SHOTS", "4", "DATALOADER.TRAIN_X.BATCH_SIZE", "3",
              "OPTIM.MAX_EPOCH", str(EPOCHS), "TEST.NO_TEST", "True", "DATALOADER.PER_SAMPLE_SEEDS", "True"]


@pytest.fixture(scope="module")
def anchor_file(tmp_path_factory):
    torch.manual_seed(0)
    return write_original_anchor_file(str(tmp_path_factory.mktemp("anchor") / "model.pth.tar"), torch.randn(1, 64))


@pytest.fixture(scope="module")
def run(small_dataset, tiny_vit_checkpoint, anchor_file, tmp_path_factory):  # noqa: F811
    """`run(trainer, cache_dir, *opts, flags=())`: the trainer after train.py (cache_dir "" = no training cache)."""

    def run_trainer(trainer, cache_dir, *opts, flags=(), seed="1"):
        if trainer in ANCHOROPT_CONFIGS:
            config_file = RECIPES[ANCHOROPT_CONFIGS[trainer]][0]
            recipe_opts = ["TRAINER.ANCHOROPT.N_CTX", "2", "TRAINER.ANCHOROPT.ANCHOR_PATH", anchor_file]
        else:
            config_file, recipe_opts = RECIPES[trainer]
            if trainer.endswith("_AnchorOPT"):
                recipe_opts = [*recipe_opts, "TRAINER.ANCHOROPT.ANCHOR_PATH", anchor_file]
        cache_opts = ["TRAINER.FEATURE_CACHE.DIR", cache_dir, "TRAINER.FEATURE_CACHE.TRAIN", str(bool(cache_dir))]
        argv = ["--root", small_dataset.root, "--seed", seed, "--trainer", trainer,
                "--dataset-config-file", small_dataset.config_file, "--config-file", config_file,
                "--output-dir", str(tmp_path_factory.mktemp(trainer)), *flags, *TINY_OPTS,
                "MODEL.BACKBONE.NAME", tiny_vit_checkpoint, *recipe_opts, *SWEEP_OPTS, *cache_opts, *opts]
        return train.main(train.build_parser().parse_args(argv))

    return run_trainer


def learned(trainer):
    return {name: tensor.clone() for name, tensor in trainer.model.state_dict().items()}


@pytest.fixture(scope="module")
def filled_cache(run, tmp_path_factory):
    """A cache folder holding the views of every epoch, written by a CoOp run (which must match its plain run)."""
    cache_dir = str(tmp_path_factory.mktemp("cache"))
    cold = learned(run("CoOp", cache_dir))
    assert len([name for name in os.listdir(cache_dir) if name.endswith(".pt")]) == EPOCHS
    plain = learned(run("CoOp", ""))
    for name in plain:
        assert torch.equal(cold[name], plain[name]), name
    return cache_dir


@pytest.fixture
def images_forbidden(monkeypatch):
    monkeypatch.setattr("dassl.data.data_manager.read_image", lambda path: pytest.fail(f"a warm epoch read {path}"))
    monkeypatch.setattr(CLIP, "encode_image", lambda *args, **kwargs: pytest.fail("a warm epoch encoded images"))


@pytest.mark.parametrize("trainer_name", ELIGIBLE)
def test_training_from_the_cache_reaches_the_parameters_of_training_from_images(trainer_name, run, filled_cache,
                                                                                  request):
    plain = learned(run(trainer_name, ""))
    request.getfixturevalue("images_forbidden")
    cached = learned(run(trainer_name, filled_cache))
    assert plain.keys() == cached.keys()
    for name in plain:
        torch.testing.assert_close(cached[name], plain[name], rtol=0, atol=1e-6, msg=name)


def test_the_training_cache_needs_per_sample_seeds(run, tmp_path):
    with pytest.raises(ConfigError, match="DATALOADER.PER_SAMPLE_SEEDS"):
        run("CoOp", str(tmp_path), "DATALOADER.PER_SAMPLE_SEEDS", "False")


def test_the_training_cache_needs_a_folder(run):
    with pytest.raises(ConfigError, match="FEATURE_CACHE.DIR"):
        run("CoOp", "", "TRAINER.FEATURE_CACHE.TRAIN", "True")


@pytest.mark.parametrize("trainer_name", PROMPTED_IMAGE_TOWERS)
def test_prompted_image_towers_train_from_images(trainer_name, run, tmp_path, capsys):
    trainer = run(trainer_name, str(tmp_path), "OPTIM.MAX_EPOCH", "1", "DATASET.SUBSAMPLE_CLASSES", "all")
    assert trainer.training_cache is None
    assert f"does not apply to {trainer_name}" in capsys.readouterr().out
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("change", ["epoch", "seed", "items", "transform", "image tower"])
def test_anything_the_views_depend_on_changes_the_key(change, run, tmp_path):
    built = run("CoOp", str(tmp_path), flags=["--no-train"])
    key = built.training_cache_key()
    if change == "epoch":
        built.epoch = 1
        other = built.training_cache_key()
    elif change == "seed":
        other = run("CoOp", str(tmp_path), flags=["--no-train"], seed="2").training_cache_key()
    elif change == "items":
        other = run("CoOp", str(tmp_path), "DATASET.NUM_SHOTS", "3", flags=["--no-train"]).training_cache_key()
    elif change == "transform":
        other = run("CoOp", str(tmp_path), "INPUT.RRCROP_SCALE", "(0.5, 1.0)", flags=["--no-train"]).training_cache_key()
    else:
        with torch.no_grad():
            built.clip_model.visual.proj.add_(1e-3)
        built._image_weights_checksum = None
        other = built.training_cache_key()
    assert other != key


def store_then_die(directory):
    """A writer killed half-way through `torch.save`."""

    def save_half(obj, f):
        f.write(b"\x80" * 1000)
        f.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    torch.save = save_half
    ImageFeatureCache(directory).store("k", torch.randn(8, 4), torch.arange(8))


def test_a_killed_writer_leaves_no_entry(tmp_path):
    import multiprocessing

    writer = multiprocessing.get_context("fork").Process(target=store_then_die, args=(str(tmp_path),))
    writer.start()
    writer.join(timeout=60)
    assert writer.exitcode == -signal.SIGKILL
    cache = ImageFeatureCache(str(tmp_path))
    assert cache.load("k") is None
    assert not os.path.exists(cache.path("k"))
    cache.store("k", torch.ones(2, 4), torch.arange(2))
    assert torch.equal(cache.load("k")["features"], torch.ones(2, 4))


def test_two_processes_cache_the_views_of_one_process(small_dataset, tiny_vit_checkpoint, tmp_path):  # noqa: F811
    """Each rank encodes its shard; the stored epoch (dropped items included) is the one-process epoch."""
    from tests.speed.test_distributed_train_py import run as run_command, train_command

    def cache_entries(launcher, name):
        cache_dir = tmp_path / f"cache_{name}"
        command = [*train_command(small_dataset, tiny_vit_checkpoint, tmp_path / name),
                   "INPUT.TRANSFORMS", "['random_resized_crop', 'random_flip', 'normalize']",
                   "DATASET.NUM_SHOTS", "3", "OPTIM.MAX_EPOCH", "1", "TEST.NO_TEST", "True",
                   "DATALOADER.PER_SAMPLE_SEEDS", "True", "TRAINER.FEATURE_CACHE.TRAIN", "True",
                   "TRAINER.FEATURE_CACHE.DIR", str(cache_dir)]
        run_command(launcher, command)
        return {path: torch.load(cache_dir / path) for path in os.listdir(cache_dir)}

    single = cache_entries([sys.executable], "one")
    double = cache_entries([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"], "two")
    assert len(single) == 1 and single.keys() == double.keys()
    (key,) = single
    assert torch.equal(single[key]["labels"], double[key]["labels"])
    torch.testing.assert_close(double[key]["features"], single[key]["features"], rtol=0, atol=1e-6)
