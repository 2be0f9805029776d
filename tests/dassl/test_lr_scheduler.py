import io
import math

import pytest
import torch
from torch.optim.lr_scheduler import CosineAnnealingLR

from dassl.config import get_cfg_default
from dassl.optim import ConstantWarmupScheduler, build_lr_scheduler, build_optimizer


def _optim_cfg(**overrides):
    cfg = get_cfg_default().OPTIM
    cfg.NAME, cfg.LR, cfg.MAX_EPOCH = "sgd", 0.002, 10
    for key, value in overrides.items():
        setattr(cfg, key, value)
    return cfg


def _build(cfg):
    param = torch.nn.Parameter(torch.zeros(2))
    optimizer = build_optimizer([param], cfg)
    return optimizer, build_lr_scheduler(optimizer, cfg)


def _run_epochs(optimizer, scheduler, n):
    lrs = []
    for _ in range(n):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


SPEC_TABLE = [
    (dict(LR_SCHEDULER="cosine", WARMUP_EPOCH=1, WARMUP_TYPE="constant"),
     [1.0e-05, 2.0e-03, 1.9511e-03, 1.8090e-03, 1.5878e-03, 1.3090e-03, 1.0e-03, 6.9098e-04, 4.1221e-04, 1.9098e-04]),
    (dict(LR_SCHEDULER="cosine", WARMUP_EPOCH=3, WARMUP_TYPE="linear"),
     [1.0e-05, 6.6667e-04, 1.3333e-03, 2.0e-03, 1.9511e-03, 1.8090e-03, 1.5878e-03, 1.3090e-03, 1.0e-03, 6.9098e-04]),
    (dict(LR_SCHEDULER="single_step", STEPSIZE=(3,), WARMUP_EPOCH=2, WARMUP_TYPE="constant"),
     [1e-05, 1e-05, 2e-03, 2e-03, 2e-03, 2e-04, 2e-04, 2e-04, 2e-05, 2e-05]),
    (dict(LR_SCHEDULER="multi_step", STEPSIZE=(3, 5), WARMUP_EPOCH=2, WARMUP_TYPE="constant"),
     [1e-05, 1e-05, 2e-03, 2e-03, 2e-03, 2e-04, 2e-04, 2e-05, 2e-05, 2e-05]),
    (dict(LR_SCHEDULER="cosine"),
     [2.0e-03, 1.9511e-03, 1.8090e-03, 1.5878e-03, 1.3090e-03, 1.0e-03, 6.9098e-04, 4.1221e-04, 1.9098e-04, 4.8943e-05]),
]


@pytest.mark.parametrize("overrides,expected", SPEC_TABLE)
def test_per_epoch_lr_matches_reference_table(overrides, expected):
    optimizer, scheduler = _build(_optim_cfg(**overrides))
    lrs = _run_epochs(optimizer, scheduler, 10)
    assert [f"{lr:.4e}" for lr in lrs] == [f"{lr:.4e}" for lr in expected]


def test_warmup_counters_after_n_steps_match_original_files():
    optimizer, scheduler = _build(_optim_cfg(LR_SCHEDULER="cosine", WARMUP_EPOCH=1, WARMUP_TYPE="constant"))
    _run_epochs(optimizer, scheduler, 10)
    assert (scheduler.last_epoch, scheduler._step_count) == (1, 2)
    assert (scheduler.successor.last_epoch, scheduler.successor._step_count) == (9, 10)


def test_recount_false_is_rejected():
    with pytest.raises(ValueError, match="WARMUP_RECOUNT"):
        _build(_optim_cfg(LR_SCHEDULER="cosine", WARMUP_EPOCH=1, WARMUP_RECOUNT=False))


def _roundtrip(obj, weights_only):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=weights_only)


def _resume_lrs(saved_scheduler_state, saved_optimizer_state, cfg, n):
    optimizer, scheduler = _build(cfg)
    optimizer.load_state_dict(saved_optimizer_state)
    scheduler.load_state_dict(saved_scheduler_state)
    return _run_epochs(optimizer, scheduler, n)


def test_resume_from_plain_state_continues_schedule_and_loads_weights_only():
    cfg = _optim_cfg(LR_SCHEDULER="cosine", WARMUP_EPOCH=1, WARMUP_TYPE="constant")
    reference = _run_epochs(*_build(cfg), 10)
    optimizer, scheduler = _build(cfg)
    _run_epochs(optimizer, scheduler, 4)
    state = _roundtrip({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, weights_only=True)
    assert _resume_lrs(state["scheduler"], state["optimizer"], cfg, 6) == reference[4:]


def test_resume_from_original_pickled_successor_continues_schedule():
    """Original files store the base scheduler *object* (bound to a pickled optimizer copy)."""
    cfg = _optim_cfg(LR_SCHEDULER="cosine", WARMUP_EPOCH=1, WARMUP_TYPE="constant")
    reference = _run_epochs(*_build(cfg), 10)
    optimizer, scheduler = _build(cfg)
    _run_epochs(optimizer, scheduler, 4)
    legacy_state = {k: v for k, v in scheduler.__dict__.items() if k != "optimizer"}
    state = _roundtrip({"optimizer": optimizer.state_dict(), "scheduler": legacy_state}, weights_only=False)
    assert isinstance(state["scheduler"]["successor"], CosineAnnealingLR)
    assert _resume_lrs(state["scheduler"], state["optimizer"], cfg, 6) == reference[4:]


def test_constant_warmup_constructs_on_current_torch_without_verbose():
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=0.01)
    scheduler = ConstantWarmupScheduler(optimizer, CosineAnnealingLR(optimizer, T_max=5.0), 2, 1e-5)
    assert optimizer.param_groups[0]["lr"] == 1e-5
    assert scheduler.get_last_lr() == [1e-5]


@pytest.mark.parametrize("max_epoch,base_lr", [(5, 0.0035), (20, 0.002), (100, 0.002)])
def test_constant_warmup_cosine_equals_closed_form_at_full_precision(max_epoch, base_lr):
    """clip-and-baselines 3.0: lr(0) = 1e-5, lr(e) = LR (1 + cos(pi (e - 1) / E)) / 2; the stored LR is e = E."""
    cfg = _optim_cfg(LR_SCHEDULER="cosine", WARMUP_EPOCH=1, WARMUP_TYPE="constant", LR=base_lr, MAX_EPOCH=max_epoch)
    optimizer, scheduler = _build(cfg)
    lrs = _run_epochs(optimizer, scheduler, max_epoch) + [optimizer.param_groups[0]["lr"]]
    expected = [1e-5] + [base_lr * (1 + math.cos(math.pi * (e - 1) / max_epoch)) / 2 for e in range(1, max_epoch + 1)]
    assert lrs == pytest.approx(expected, rel=1e-12, abs=0)
    if max_epoch == 5:
        assert [f"{lr:.4e}" for lr in lrs[:5]] == ["1.0000e-05", "3.5000e-03", "3.1658e-03", "2.2908e-03", "1.2092e-03"]
    if max_epoch == 100:
        assert f"{lrs[-1]:.4e}" == "4.9344e-07"  # the LR inside the released anchor checkpoints
