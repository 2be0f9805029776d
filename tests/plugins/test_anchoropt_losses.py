"""Stage-II numerics of AnchorOPT against hand computation (spec §3.1, §7)."""
import math

import pytest
import torch

from trainers.plugins.anchoropt_losses import (
    anchoropt_loss,
    argmax_position_matrix,
    ensemble_kd_loss,
    sample_position_matrix,
)


def _hand_kd(prompt_logits, anchor_logits, temperature):
    batch, classes = prompt_logits.shape
    total = 0.0
    for b in range(batch):
        teacher = [(prompt_logits[b, c].item() + anchor_logits[b, c].item()) / 2 / temperature for c in range(classes)]
        student = [prompt_logits[b, c].item() / temperature for c in range(classes)]
        teacher_norm = math.log(sum(math.exp(t) for t in teacher))
        student_norm = math.log(sum(math.exp(s) for s in student))
        for c in range(classes):
            log_p_t = teacher[c] - teacher_norm
            total += math.exp(log_p_t) * (log_p_t - (student[c] - student_norm))
    return temperature**2 * total / (batch * classes)


def test_kd_loss_equals_hand_computed_sum_over_logits_count():
    torch.manual_seed(0)
    prompt_logits, anchor_logits = torch.randn(3, 5, dtype=torch.float64) * 4, torch.randn(3, 5, dtype=torch.float64) * 4
    loss = ensemble_kd_loss(prompt_logits, anchor_logits, temperature=2.0)
    assert loss.item() == pytest.approx(_hand_kd(prompt_logits, anchor_logits, 2.0), rel=1e-10)
    assert loss.item() > 0


def test_kd_loss_is_zero_when_branches_agree():
    logits = torch.randn(4, 6)
    assert ensemble_kd_loss(logits, logits.clone(), temperature=4.0).item() == pytest.approx(0.0, abs=1e-6)


def test_kd_gradient_reaches_only_the_student():
    prompt_logits = torch.randn(2, 3, requires_grad=True)
    anchor_logits = torch.randn(2, 3, requires_grad=True)
    ensemble_kd_loss(prompt_logits, anchor_logits, 1.0).backward()
    assert prompt_logits.grad.abs().sum() > 0
    assert anchor_logits.grad is None


def test_total_loss_is_weighted_ce_plus_weighted_kd():
    prompt_logits, anchor_logits, labels = torch.randn(4, 5), torch.randn(4, 5), torch.tensor([0, 1, 2, 3])
    ce = torch.nn.functional.cross_entropy(prompt_logits, labels)
    kd = ensemble_kd_loss(prompt_logits, anchor_logits, 2.0)
    loss = anchoropt_loss(prompt_logits, anchor_logits, labels, ce_weight=10.0, kd_weight=100.0, kd_temperature=2.0)
    assert loss.item() == pytest.approx(10.0 * ce.item() + 100.0 * kd.item(), rel=1e-6)


def test_zero_kd_weight_skips_kd_even_with_zero_temperature():
    prompt_logits, anchor_logits, labels = torch.randn(2, 3), torch.randn(2, 3), torch.tensor([0, 2])
    loss = anchoropt_loss(prompt_logits, anchor_logits, labels, ce_weight=10.0, kd_weight=0.0, kd_temperature=0.0)
    assert torch.isfinite(loss)
    assert loss.item() == pytest.approx(10.0 * torch.nn.functional.cross_entropy(prompt_logits, labels).item())


def test_nonzero_kd_weight_with_zero_temperature_is_rejected():
    with pytest.raises(ValueError, match="KD_TEMPERATURE"):
        anchoropt_loss(torch.randn(2, 3), torch.randn(2, 3), torch.tensor([0, 1]), 1.0, 1.0, 0.0)


def test_sampled_position_rows_are_exactly_one_hot():
    torch.manual_seed(1)
    position_logits = torch.randn(5, 5)
    for _ in range(200):
        matrix = sample_position_matrix(position_logits, 1.0)
        assert set(matrix.unique().tolist()) <= {0.0, 1.0}
        assert torch.equal(matrix.sum(dim=-1), torch.ones(5))


def test_gradients_reach_position_logits():
    position_logits = torch.randn(3, 3, requires_grad=True)
    tokens = torch.randn(3, 8)
    (sample_position_matrix(position_logits, 1.0) @ tokens).pow(2).sum().backward()
    assert position_logits.grad is not None and position_logits.grad.abs().sum() > 0


def test_hard_sample_does_not_depend_on_temperature_for_a_fixed_seed():
    position_logits = torch.randn(6, 6)
    torch.manual_seed(7)
    cold = sample_position_matrix(position_logits, 0.1)
    torch.manual_seed(7)
    warm = sample_position_matrix(position_logits, 10.0)
    assert torch.equal(cold, warm)


def test_argmax_positions_follow_the_logits_without_noise():
    position_logits = torch.tensor([[0.0, 3.0, 1.0], [2.0, 0.0, 1.0], [0.0, 0.0, 5.0]])
    expected = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    assert torch.equal(argmax_position_matrix(position_logits), expected)
