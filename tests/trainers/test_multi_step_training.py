"""The multi-step training path of the prompt learners (several epochs, then base->new evaluation).

The equality tests elsewhere cover single steps; these cover what only shows over many: the LR of
every step, what the optimiser holds and what moves, train/test position sampling, and the
checkpoint round trip that the Novel number depends on.
"""
import math

import pytest
import torch

from tests.plugins.test_anchoropt_support import write_original_anchor_file
from trainers.plugins.anchoropt_losses import argmax_position_matrix

from .train_runs import run_train

LR = 0.02
EPOCHS = 4
MULTI_STEP_OPTS = ["OPTIM.LR", str(LR), "OPTIM.MAX_EPOCH", str(EPOCHS), "DATASET.NUM_SHOTS", "4"]
ATTRIBUTE_OPTS = ["TRAINER.ATPROMPT.ATT_NUM", "2", "TRAINER.ATPROMPT.ATT1_TEXT", "color",
                  "TRAINER.ATPROMPT.ATT2_TEXT", "shape"]


@pytest.fixture(scope="module")
def anchor_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("anchor") / "model.pth.tar-1"
    write_original_anchor_file(str(path), torch.randn(1, 64, generator=torch.Generator().manual_seed(3)))
    return str(path)


@pytest.fixture(scope="module")
def method_opts(anchor_file):
    anchoropt = ["TRAINER.ANCHOROPT.N_CTX", "2", "TRAINER.ANCHOROPT.ANCHOR_PATH", anchor_file,
                 "TRAINER.ANCHOROPT.KD_WEIGHT", "10.0", "TRAINER.ANCHOROPT.KD_TEMPERATURE", "2.0",
                 "TRAINER.ANCHOROPT.TEST_POSITION", "argmax"]
    return {"CoOp": [], "CoOp_ATP": ATTRIBUTE_OPTS, "CoOp_AnchorOPT": anchoropt}


def build(small_dataset, checkpoint, trainer, output_dir, opts, flags=("--no-train",), subsample="base"):
    return run_train(small_dataset, checkpoint, trainer, output_dir, flags=list(flags),
                     opts=[*MULTI_STEP_OPTS, *opts, "DATASET.SUBSAMPLE_CLASSES", subsample])


def spec_learning_rate(epoch):
    """Spec §0.2: epoch 1 at the constant warm-up 1e-5, epoch e >= 2 at 0.5·LR·(1 + cos(π(e−2)/MAX_EPOCH))."""
    return 1e-5 if epoch == 1 else 0.5 * LR * (1 + math.cos(math.pi * (epoch - 2) / EPOCHS))


@pytest.fixture(scope="module", params=["CoOp", "CoOp_ATP", "CoOp_AnchorOPT"])
def trained(request, small_dataset, tiny_vit_checkpoint, method_opts, tmp_path_factory):
    """A trainer trained EPOCHS epochs, with the LR of every optimiser step and the weights before training."""
    trainer_name = request.param
    output_dir = tmp_path_factory.mktemp(f"{trainer_name}_multi_step")
    trainer = build(small_dataset, tiny_vit_checkpoint, trainer_name, output_dir, method_opts[trainer_name])
    optimizer = trainer._optims[trainer.learner_name]
    step_lrs = []
    optimizer.register_step_pre_hook(
        lambda opt, args, kwargs: step_lrs.append((trainer.epoch + 1, [group["lr"] for group in opt.param_groups])))
    training_modes = []
    original_compute_loss = trainer.compute_loss

    def compute_loss(images, labels):
        training_modes.append(trainer.prompt_learner.training)
        return original_compute_loss(images, labels)

    trainer.compute_loss = compute_loss
    before = {name: value.detach().clone() for name, value in trainer.clip_model.state_dict().items()}
    learned_before = {name: p.detach().clone() for name, p in trainer.model.named_parameters()}
    trainer.train()
    return dict(name=trainer_name, trainer=trainer, output_dir=output_dir, step_lrs=step_lrs, clip_before=before,
                learned_before=learned_before, training_modes=training_modes)


def test_every_step_runs_at_the_learning_rate_of_its_epoch(trained):
    step_lrs = trained["step_lrs"]
    assert {epoch for epoch, _ in step_lrs} == set(range(1, EPOCHS + 1))
    for epoch, lrs in step_lrs:
        assert lrs == pytest.approx([spec_learning_rate(epoch)] * len(lrs), rel=1e-6), (trained["name"], epoch)


def test_the_optimiser_holds_exactly_the_learner_tensors_that_require_grad(trained):
    trainer = trained["trainer"]
    optimised = {id(p) for group in trainer._optims[trainer.learner_name].param_groups for p in group["params"]}
    trainable = {id(p) for p in trainer.model.parameters() if p.requires_grad}
    assert optimised == trainable
    assert not any(p.requires_grad for p in trainer.clip_model.parameters())


def test_training_moves_the_used_prompt_tensors_and_nothing_of_clip(trained):
    trainer = trained["trainer"]
    for name, value in trainer.clip_model.state_dict().items():
        assert torch.equal(value, trained["clip_before"][name]), name
    used = {"CoOp": ["ctx"], "CoOp_ATP": ["ctx", "ctx_att1", "ctx_att2"], "CoOp_AnchorOPT": ["ctx", "ctx_pos_params"]}
    learned = dict(trainer.model.named_parameters())
    for name in used[trained["name"]]:
        assert not torch.equal(learned[name].detach(), trained["learned_before"][name]), name
    if trained["name"] == "CoOp_ATP":  # upstream's third block exists but no prompt uses it
        assert torch.equal(learned["ctx_att3"].detach(), trained["learned_before"]["ctx_att3"])


def test_prompts_train_in_training_mode_and_test_in_eval_mode(trained):
    trainer = trained["trainer"]
    assert trained["training_modes"] and all(trained["training_modes"])
    trainer.test()
    assert not trainer.prompt_learner.training


def test_positions_are_gumbel_samples_in_training_and_the_argmax_at_test(small_dataset, tiny_vit_checkpoint,
                                                                          method_opts, tmp_path):
    trainer = build(small_dataset, tiny_vit_checkpoint, "CoOp_AnchorOPT", tmp_path, method_opts["CoOp_AnchorOPT"])
    layout = trainer.prompt_learner
    with torch.no_grad():
        layout.ctx_pos_params.zero_()  # uniform logits: Gumbel samples differ, the argmax is column 0
    layout.train()
    samples = {tuple(layout.sample_positions().argmax(-1).tolist()) for _ in range(20)}
    assert len(samples) > 1
    layout.eval()
    expected = argmax_position_matrix(layout.ctx_pos_params.detach())
    for _ in range(3):
        assert torch.equal(layout.sample_positions(), expected)


def test_new_class_evaluation_loads_what_training_learned(trained, small_dataset, tiny_vit_checkpoint, method_opts,
                                                          tmp_path):
    """The eval-only run on new classes equals the trained tensors put, in memory, into prompts for those classes."""
    name, trainer = trained["name"], trained["trainer"]
    opts = method_opts[name]
    evaluated = build(small_dataset, tiny_vit_checkpoint, name, tmp_path / "eval", opts,
                      flags=["--eval-only", "--model-dir", str(trained["output_dir"]), "--load-epoch", str(EPOCHS)],
                      subsample="new")
    reference = build(small_dataset, tiny_vit_checkpoint, name, tmp_path / "reference", opts, subsample="new")
    learned = dict(trainer.model.named_parameters())
    with torch.no_grad():
        for param_name, param in reference.model.named_parameters():
            param.copy_(learned[param_name])
    for param_name, param in evaluated.model.named_parameters():
        assert torch.equal(param, learned[param_name]), param_name
    assert evaluated.prompt_learner.classnames != trainer.prompt_learner.classnames
    images = torch.randn(3, 3, 32, 32)
    evaluated.set_model_mode("eval")
    reference.set_model_mode("eval")
    with torch.no_grad():
        torch.testing.assert_close(evaluated.model_inference(images), reference.model_inference(images))
