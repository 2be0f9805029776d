"""AnchorOPT end to end through train.py on synthetic data: stage I → stage II on each baseline → base and new."""
import json
import os

import pytest
import torch

import train
import trainers.anchor_pretrain  # noqa: F401  (registers CoOp_Pretrain_Anchor)
import trainers.anchoropt_trainers  # noqa: F401  (registers the four *_AnchorOPT trainers)
from dassl.utils import load_checkpoint
from tests.fixtures.dataset_fixtures import make_synthetic_dataset
from tests.plugins.test_anchoropt_support import write_original_anchor_file
from tests.trainers.test_initialisation import replay_clip_construction
from trainers.anchor_pretrain import StepCounter
from trainers.plugins.anchoropt import AnchoredLayout
from trainers.plugins.anchoropt_anchor import read_anchor_file

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STAGE_ONE_EPOCHS = 2
BASELINES = {
    "CoOp_AnchorOPT": ("CoOp/vit_b16", "normal_prompt_learner", ""),
    "CoCoOp_AnchorOPT": ("CoCoOp/vit_b16_c4_ep10_batch1_ctxv1", "normal_prompt_learner", ""),
    "MaPLe_AnchorOPT": ("MaPLe/vit_b16_c2_ep5_batch4_2ctx", "MultiModalPromptLearner", "prompt_learner."),
    "DePT_AnchorOPT": ("DePT/vit_b16_ep10_bs4_lr35", "normal_prompt_learner", "prompt_learner."),
    "KgCoOp_AnchorOPT": ("KgCoOp/vit_b16_ep100_ctxv1", "normal_prompt_learner", ""),
}


@pytest.fixture(scope="module")
def caltech(tmp_path_factory):
    return make_synthetic_dataset(str(tmp_path_factory.mktemp("data")), name="Caltech101", n_classes=6)


@pytest.fixture(scope="module")
def descriptions(caltech, tmp_path_factory):
    path = tmp_path_factory.mktemp("descriptions") / "caltech.json"
    path.write_text(json.dumps({name: [f"a photo of a {name}.", f"a {name} seen up close.", f"some {name}."]
                                for name in caltech.classnames}))
    return str(path)


def run(trainer, config, dataset, checkpoint, output_dir, subsample, extra=(), eval_dir=None, epochs=1,
        no_train=False):
    argv = ["--no-train"] if no_train else []
    argv += [
        "--root", dataset.root, "--seed", "1", "--trainer", trainer, "--output-dir", str(output_dir),
        "--dataset-config-file", dataset.config_file,
        "--config-file", os.path.join(REPO_ROOT, "configs", "trainers", config + ".yaml"),
    ]
    if eval_dir:
        argv += ["--eval-only", "--model-dir", str(eval_dir), "--load-epoch", str(epochs)]
    argv += [
        "MODEL.BACKBONE.NAME", checkpoint, "USE_CUDA", "False", "INPUT.SIZE", "(32, 32)",
        "DATASET.NUM_SHOTS", "2", "DATASET.SUBSAMPLE_CLASSES", subsample, "OPTIM.MAX_EPOCH", str(epochs),
        "DATALOADER.NUM_WORKERS", "0", "DATALOADER.TRAIN_X.BATCH_SIZE", "2", "DATALOADER.TEST.BATCH_SIZE", "4",
        "TRAINER.ANCHOROPT.N_CTX", "2", *extra,
    ]
    return train.main(train.build_parser().parse_args(argv))


def stage_one(dataset, checkpoint, output_dir, descriptions, extra=(), eval_dir=None, subsample="base",
              no_train=False):
    keys = ["TRAINER.ANCHOROPT.DESCRIPTIONS_FILE", descriptions, "TRAINER.ANCHOROPT.MAX_TEMPLATE_LENGTH", "2",
            "TRAINER.ANCHOROPT.ANCHOR_MSE_WEIGHT", "1000.0", *extra]
    return run("CoOp_Pretrain_Anchor", "CoOp/vit_b16", dataset, checkpoint, output_dir, subsample, keys,
               eval_dir=eval_dir, epochs=STAGE_ONE_EPOCHS, no_train=no_train)


@pytest.fixture(scope="module")
def stage_one_run(caltech, tiny_vit_checkpoint, descriptions, tmp_path_factory):
    output_dir = tmp_path_factory.mktemp("stage1")
    trainer = stage_one(caltech, tiny_vit_checkpoint, output_dir, descriptions)
    return trainer, output_dir


def test_stage_one_trains_text_only_and_saves_the_upstream_checkpoint_layout(stage_one_run):
    trainer, output_dir = stage_one_run
    assert isinstance(trainer.train_loader_x, StepCounter) and len(trainer.train_loader_x) == 3
    checkpoint = load_checkpoint(str(output_dir / "anchor_prompt_learner" / f"model.pth.tar-{STAGE_ONE_EPOCHS}"))
    assert sorted(checkpoint["state_dict"]) == ["anchor_ctx_1", "token_of", "token_prefix", "token_suffix"]
    assert checkpoint["state_dict"]["anchor_ctx_1"].shape == (1, 64)
    assert checkpoint["state_dict"]["token_suffix"].shape == (3, 74, 64)
    log = (output_dir / "log.txt").read_text()
    assert log.count("epoch [") == STAGE_ONE_EPOCHS * 3
    assert "evaluate on anchor prompts" in log and "* accuracy:" in log.split("Finish training")[1]


def test_stage_one_training_never_runs_the_image_encoder(caltech, tiny_vit_checkpoint, descriptions, tmp_path,
                                                         monkeypatch):
    import clip.model

    def refuse(*args, **kwargs):
        raise AssertionError("stage I training ran the image encoder")

    monkeypatch.setattr(clip.model.CLIP, "encode_image", refuse)
    trainer = stage_one(caltech, tiny_vit_checkpoint, tmp_path, descriptions, extra=["TEST.NO_TEST", "True"])
    assert trainer.epoch + 1 == STAGE_ONE_EPOCHS


def test_stage_one_anchor_is_drawn_right_after_the_clip_construction(caltech, tiny_vit_checkpoint, descriptions,
                                                                     tmp_path):
    built = stage_one(caltech, tiny_vit_checkpoint, tmp_path, descriptions, no_train=True)
    replay_clip_construction(tiny_vit_checkpoint)
    assert torch.equal(built.prompt_learner.anchor_ctx_1.data, torch.empty(1, 64).normal_(std=0.02))


def test_stage_one_matches_an_image_batched_loop_with_the_same_steps(
    caltech, tiny_vit_checkpoint, descriptions, stage_one_run, tmp_path
):
    text_only, _ = stage_one_run
    batched = stage_one(caltech, tiny_vit_checkpoint, tmp_path, descriptions, no_train=True)
    batched.train_loader_x = batched.dm.train_loader_x
    batched.train()
    assert batched.num_batches == len(text_only.train_loader_x)
    torch.testing.assert_close(batched.prompt_learner.anchor_ctx_1, text_only.prompt_learner.anchor_ctx_1)
    assert batched.get_current_lr() == text_only.get_current_lr()


def test_stage_one_anchor_evaluates_on_new_classes_without_their_descriptions(
    caltech, tiny_vit_checkpoint, stage_one_run, tmp_path
):
    _, output_dir = stage_one_run
    evaluated = stage_one(caltech, tiny_vit_checkpoint, tmp_path, "missing.json", eval_dir=output_dir,
                          subsample="new")
    torch.testing.assert_close(evaluated.prompt_learner.anchor_ctx_1,
                               read_anchor_file(str(output_dir / "anchor_prompt_learner" / "model.pth.tar-2")))
    assert "* accuracy:" in (tmp_path / "log.txt").read_text()


def test_stage_one_evaluates_a_released_fp16_anchor_folder(caltech, tiny_vit_checkpoint, tmp_path):
    released = tmp_path / "released" / "anchor_prompt_learner"
    released.mkdir(parents=True)
    anchor = torch.randn(1, 64)
    write_original_anchor_file(str(released / "model.pth.tar"), anchor)
    evaluated = stage_one(caltech, tiny_vit_checkpoint, tmp_path / "eval", "missing.json",
                          eval_dir=tmp_path / "released", subsample="new")
    assert torch.equal(evaluated.prompt_learner.anchor_ctx_1.detach(), anchor.half().float())
    assert "* accuracy:" in (tmp_path / "eval" / "log.txt").read_text()


def test_missing_class_in_descriptions_is_a_one_line_error(caltech, tiny_vit_checkpoint, tmp_path):
    path = tmp_path / "partial.json"
    path.write_text(json.dumps({caltech.classnames[0]: ["a", "b"]}))
    with pytest.raises(KeyError) as error:
        stage_one(caltech, tiny_vit_checkpoint, tmp_path / "out", str(path))
    message = error.value.args[0]
    assert "\n" not in message and str(path) in message and f"'{caltech.classnames[1]}'" in message


@pytest.mark.parametrize("trainer", sorted(BASELINES))
def test_stage_two_trains_on_base_and_evaluates_new_with_the_anchor(trainer, caltech, tiny_vit_checkpoint,
                                                                    stage_one_run, tmp_path):
    config, registered, prefix = BASELINES[trainer]
    _, stage_one_dir = stage_one_run
    anchor_path = str(stage_one_dir / "anchor_prompt_learner" / f"model.pth.tar-{STAGE_ONE_EPOCHS}")
    extra = ["TRAINER.ANCHOROPT.ANCHOR_PATH", anchor_path, "TRAINER.ANCHOROPT.PROMPT_CE_WEIGHT", "10.0",
             "TRAINER.ANCHOROPT.KD_WEIGHT", "100.0", "TRAINER.ANCHOROPT.KD_TEMPERATURE", "2.0",
             "TRAINER.MAPLE.PROMPT_DEPTH", "2"]
    trained = run(trainer, config, caltech, tiny_vit_checkpoint, tmp_path / "train", "base", extra)
    layout = trained.prompt_learner
    assert isinstance(layout, AnchoredLayout)
    torch.testing.assert_close(layout.anchor.cpu(), read_anchor_file(anchor_path))
    saved = load_checkpoint(str(tmp_path / "train" / registered / "model.pth.tar-1"))["state_dict"]
    assert saved[prefix + "ctx_pos_params"].shape == (3, 3)
    assert "* accuracy:" in (tmp_path / "train" / "log.txt").read_text().split("Finish training")[1]

    evaluated = run(trainer, config, caltech, tiny_vit_checkpoint, tmp_path / "eval", "new", extra,
                    eval_dir=tmp_path / "train")
    torch.testing.assert_close(evaluated.prompt_learner.ctx_pos_params.detach().cpu(),
                               saved[prefix + "ctx_pos_params"].float())
    assert evaluated.prompt_learner.classnames != layout.classnames
    assert "* accuracy:" in (tmp_path / "eval" / "log.txt").read_text()
