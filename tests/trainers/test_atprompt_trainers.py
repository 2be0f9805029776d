"""Each *_ATP trainer trains one epoch through train.py on synthetic data, saves upstream's keys and re-loads on new classes."""
import os

import pytest
import torch

import train
from dassl.utils import load_checkpoint
from tests.fixtures.dataset_fixtures import make_synthetic_dataset
from trainers.plugins.atprompt import AttributeLayout

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CASES = {
    "CoOp_ATP": ("CoOp/vit_b16", "COOP", "prompt_learner", ""),
    "CoCoOp_ATP": ("CoCoOp/vit_b16_c4_ep10_batch1_ctxv1", "COCOOP", "prompt_learner", ""),
    "MaPLe_ATP": ("MaPLe/vit_b16_c2_ep5_batch4_2ctx", "MAPLE", "MultiModalPromptLearner", "prompt_learner."),
    "DePT_ATP": ("DePT/vit_b16_ep10_bs4_lr35", "COOP", "PromptLearner", "prompt_learner."),
}


@pytest.fixture(scope="module")
def pets(tmp_path_factory):
    """OxfordPets: its table attributes (playfulness, energy) include a multi-token word."""
    return make_synthetic_dataset(str(tmp_path_factory.mktemp("data")), name="OxfordPets", n_classes=4)


def run(trainer, dataset, checkpoint, output_dir, subsample, extra=(), eval_dir=None):
    config, section, _, _ = CASES[trainer]
    argv = [
        "--root", dataset.root, "--seed", "1", "--trainer", trainer, "--output-dir", str(output_dir),
        "--dataset-config-file", dataset.config_file,
        "--config-file", os.path.join(REPO_ROOT, "configs", "trainers", config + ".yaml"),
    ]
    if eval_dir:
        argv += ["--eval-only", "--model-dir", str(eval_dir), "--load-epoch", "1"]
    argv += [
        "MODEL.BACKBONE.NAME", checkpoint, "USE_CUDA", "False", "INPUT.SIZE", "(32, 32)",
        "DATASET.NUM_SHOTS", "2", "DATASET.SUBSAMPLE_CLASSES", subsample, "OPTIM.MAX_EPOCH", "1",
        "DATALOADER.NUM_WORKERS", "0", "DATALOADER.TRAIN_X.BATCH_SIZE", "2", "DATALOADER.TEST.BATCH_SIZE", "4",
        f"TRAINER.{section}.N_CTX", "2", "TRAINER.ATPROMPT.USE_ATPROMPT", "True",
        "TRAINER.ATPROMPT.N_ATT1", "2", "TRAINER.ATPROMPT.N_ATT2", "2", "TRAINER.ATPROMPT.N_ATT3", "2",
        *extra,
    ]
    return train.main(train.build_parser().parse_args(argv))


@pytest.mark.parametrize("trainer", sorted(CASES))
def test_atp_trainer_trains_saves_upstream_keys_and_evaluates_new_classes(trainer, pets, tiny_vit_checkpoint, tmp_path):
    _, _, registered, prefix = CASES[trainer]
    extra = ["TRAINER.MAPLE.PROMPT_DEPTH", "2"] if trainer == "MaPLe_ATP" else []
    trained = run(trainer, pets, tiny_vit_checkpoint, tmp_path / "train", "base", extra)

    layout = trained.prompt_learner
    assert isinstance(layout, AttributeLayout)
    assert layout.attributes == ["playfulness", "energy"]
    assert trained.cfg.TRAINER.ATPROMPT.ATT_NUM == 2
    checkpoint = load_checkpoint(str(tmp_path / "train" / registered / "model.pth.tar-1"))
    saved = checkpoint["state_dict"]
    for name in ("ctx", "ctx_att1", "ctx_att2", "ctx_att3"):
        assert saved[prefix + name].shape == (2, layout.width)
    assert not torch.equal(saved[prefix + "ctx"], saved[prefix + "ctx_att1"])
    log = (tmp_path / "train" / "log.txt").read_text()
    assert "Finish training" in log and "* accuracy:" in log.split("Finish training")[1]

    evaluated = run(trainer, pets, tiny_vit_checkpoint, tmp_path / "eval", "new", extra, eval_dir=tmp_path / "train")
    new_layout = evaluated.prompt_learner
    assert new_layout.classnames != layout.classnames
    torch.testing.assert_close(new_layout.ctx.detach().cpu(), saved[prefix + "ctx"].float())
    torch.testing.assert_close(new_layout.ctx_att2.detach().cpu(), saved[prefix + "ctx_att2"].float())
    assert "* accuracy:" in (tmp_path / "eval" / "log.txt").read_text()


def test_atp_trainer_without_use_atprompt_falls_back_to_a_random_plain_context(pets, tiny_vit_checkpoint, tmp_path):
    trained = run("CoCoOp_ATP", pets, tiny_vit_checkpoint, tmp_path, "base",
                  ["TRAINER.ATPROMPT.USE_ATPROMPT", "False", "OPTIM.MAX_EPOCH", "0"])
    layout = trained.prompt_learner
    assert not isinstance(layout, AttributeLayout)
    assert layout.ctx.shape[0] == 2
