"""KgCoOp and its two plug-in trainers train one epoch through train.py on synthetic data, then reload on
new classes."""
import collections
import os

import pytest
import torch

from dassl.utils import load_checkpoint, save_checkpoint
from tests.plugins.test_anchoropt_support import write_original_anchor_file
from tests.trainers.train_runs import logged_accuracies, run_train

# trainer: (registered module, learned tensors saved)
CASES = {
    "KgCoOp": ("prompt_learner", {"ctx"}),
    "KgCoOp_ATP": ("prompt_learner", {"ctx", "ctx_att1", "ctx_att2", "ctx_att3"}),
    "KgCoOp_AnchorOPT": ("normal_prompt_learner", {"ctx", "ctx_pos_params"}),
}


@pytest.fixture(scope="module")
def anchor_opts(tmp_path_factory):
    path = write_original_anchor_file(str(tmp_path_factory.mktemp("anchor") / "model.pth.tar"), torch.randn(1, 64))
    return ["TRAINER.ANCHOROPT.ANCHOR_PATH", path]


@pytest.mark.parametrize("trainer_name", sorted(CASES))
def test_trains_on_base_saves_its_tensors_and_reloads_them_on_new(trainer_name, small_dataset, tiny_vit_checkpoint,
                                                                  anchor_opts, tmp_path):
    registered, learned = CASES[trainer_name]
    opts = anchor_opts if trainer_name == "KgCoOp_AnchorOPT" else []
    trained = run_train(small_dataset, tiny_vit_checkpoint, trainer_name, tmp_path / "base",
                        opts=["DATASET.SUBSAMPLE_CLASSES", "base", *opts])
    saved = load_checkpoint(str(tmp_path / "base" / registered / "model.pth.tar-1"))["state_dict"]
    assert {name for name, p in trained.model.named_parameters() if p.requires_grad} <= learned <= set(saved)
    assert len(logged_accuracies(tmp_path / "base")) == 1

    evaluated = run_train(small_dataset, tiny_vit_checkpoint, trainer_name, tmp_path / "new",
                          flags=["--eval-only", "--model-dir", str(tmp_path / "base"), "--load-epoch", "1"],
                          opts=["DATASET.SUBSAMPLE_CLASSES", "new", *opts])
    assert evaluated.prompt_learner.classnames != trained.prompt_learner.classnames
    for name in learned:
        torch.testing.assert_close(evaluated.prompt_learner.state_dict()[name].cpu(), saved[name])
    assert len(logged_accuracies(tmp_path / "new")) == 1


def test_upstream_checkpoint_with_its_unused_tensors_loads(build_trainer_only, tmp_path):
    """Upstream's prompt learner also saves `bias_vectors` and a frozen `meta_net`: ignored here."""
    trainer = build_trainer_only("KgCoOp", "DATASET.SUBSAMPLE_CLASSES", "new")
    ctx = torch.randn(4, 64).half()
    upstream = collections.OrderedDict(ctx=ctx, bias_vectors=torch.randn(1, 512).half(),
                                       token_prefix=torch.zeros(5, 1, 64), token_suffix=torch.zeros(5, 72, 64))
    upstream["meta_net.linear1.weight"], upstream["meta_net.linear1.bias"] = torch.randn(512, 512), torch.randn(512)
    state = {"state_dict": upstream, "epoch": 100, "optimizer": None, "scheduler": None, "val_result": None}
    save_checkpoint(state, os.path.join(tmp_path, "prompt_learner"), model_name="model.pth.tar-100")
    trainer.load_model(str(tmp_path), epoch=100)
    assert torch.equal(trainer.prompt_learner.ctx.detach(), ctx.float())
    assert trainer.prompt_learner.token_prefix.shape[0] == 2
