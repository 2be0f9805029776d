"""PREC amp picks bf16 where the GPU supports it and fp16 with a loss scaler otherwise."""
import pytest
import torch

from trainers.parts import amp


def test_bf16_capable_gpu_autocasts_to_bf16_without_scaler(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: True)
    assert amp.autocast_dtype("cuda") == torch.bfloat16
    assert amp.grad_scaler("cuda") is None


@pytest.mark.filterwarnings("ignore:torch.cuda.amp.GradScaler is enabled")
def test_older_gpu_autocasts_to_fp16_with_scaler(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: False)
    assert amp.autocast_dtype("cuda") == torch.float16
    assert isinstance(amp.grad_scaler("cuda"), torch.amp.GradScaler)
