"""Loading learned weights: buffers may be absent or foreign, learned tensors may not."""
import pytest
import torch
from torch import nn

from trainers.parts.checkpoint import require_learned_tensors, without_class_buffers


class TinyLearner(nn.Module):
    def __init__(self):
        super().__init__()
        self.ctx = nn.Parameter(torch.zeros(2, 4))
        self.frozen = nn.Parameter(torch.zeros(3), requires_grad=False)
        self.register_buffer("token_prefix", torch.zeros(5, 1, 4))


def test_learned_tensors_present_pass_without_buffers_or_frozen_weights():
    learner = TinyLearner()
    require_learned_tensors(learner, {"ctx": torch.ones(2, 4)}, "ckpt")


def test_missing_learned_tensor_names_the_key_and_the_file():
    learner = TinyLearner()
    with pytest.raises(ValueError, match=r"model\.pth\.tar-5.*\['ctx'\]"):
        require_learned_tensors(learner, {"context": torch.ones(2, 4)}, "run/prompt_learner/model.pth.tar-5")


def test_saved_buffers_are_dropped_so_the_current_class_list_wins():
    learner = TinyLearner()
    saved = {"ctx": torch.ones(2, 4), "token_prefix": torch.ones(9, 1, 4)}
    assert set(without_class_buffers(saved, learner)) == {"ctx"}
