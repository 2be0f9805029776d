"""PREC amp picks bf16 where the GPU supports it and fp16 with a loss scaler otherwise, and trains without NaNs."""
import pytest
import torch

from tests.trainers.train_runs import run_train, small_dataset  # noqa: F401  (fixture)
from trainers.parts import amp, prompt_trainer


def test_bf16_capable_gpu_autocasts_to_bf16_without_scaler(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: True)
    assert amp.autocast_dtype("cuda") == torch.bfloat16
    assert amp.grad_scaler("cuda") is None


@pytest.mark.filterwarnings("ignore:torch.cuda.amp.GradScaler is enabled")
def test_older_gpu_autocasts_to_fp16_with_scaler(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: False)
    assert amp.autocast_dtype("cuda") == torch.float16
    assert isinstance(amp.grad_scaler("cuda"), torch.amp.GradScaler)


def amp_trainer(monkeypatch, tmp_path, data, checkpoint, dtype, init_scale=None):
    """CoOp under PREC amp with autocast forced onto the CPU in `dtype` (CPU runs fp32 otherwise)."""
    monkeypatch.setattr(prompt_trainer, "effective_precision", lambda prec, device: prec)
    monkeypatch.setattr(amp, "autocast_dtype", lambda device: dtype)
    scaler = None if init_scale is None else torch.amp.GradScaler("cpu", init_scale=init_scale)
    monkeypatch.setattr(prompt_trainer, "grad_scaler", lambda device: scaler)
    trainer = run_train(data, checkpoint, "CoOp", tmp_path, flags=["--no-train"], opts=["TRAINER.COOP.PREC", "amp"])
    trainer.set_model_mode("train")
    trainer.batch_idx, trainer.num_batches = 0, 100
    return trainer, next(iter(trainer.train_loader_x))


@pytest.mark.parametrize("dtype, init_scale", [(torch.float16, 2.0 ** 10), (torch.bfloat16, None)])
def test_amp_steps_train_fp32_prompts_without_nans(dtype, init_scale, monkeypatch, tmp_path, small_dataset,  # noqa: F811
                                                    tiny_vit_checkpoint):
    trainer, batch = amp_trainer(monkeypatch, tmp_path, small_dataset, tiny_vit_checkpoint, dtype, init_scale)
    ctx = trainer.prompt_learner.ctx
    initial = ctx.detach().clone()
    for _ in range(3):
        summary = trainer.forward_backward(batch)
        assert torch.isfinite(torch.tensor(summary["loss"]))
    assert ctx.dtype == torch.float32 and torch.isfinite(ctx).all() and not torch.equal(ctx, initial)


def test_fp16_overflow_skips_the_step_and_backs_off_the_scale(monkeypatch, tmp_path, small_dataset,  # noqa: F811
                                                              tiny_vit_checkpoint):
    trainer, batch = amp_trainer(monkeypatch, tmp_path, small_dataset, tiny_vit_checkpoint, torch.float16, 1e30)
    ctx = trainer.prompt_learner.ctx
    initial = ctx.detach().clone()
    trainer.forward_backward(batch)
    assert torch.equal(ctx, initial)  # gradients overflowed fp16: the scaler skipped the update
    assert trainer.scaler.get_scale() == pytest.approx(0.5e30)
