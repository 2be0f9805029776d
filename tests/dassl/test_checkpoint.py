import os
from collections import OrderedDict

import pytest
import torch
from torch.optim.lr_scheduler import CosineAnnealingLR

from dassl.optim import ConstantWarmupScheduler
from dassl.utils import load_checkpoint, load_pretrained_weights, resume_from_checkpoint, save_checkpoint


def _state(epoch, value):
    return {"state_dict": OrderedDict(w=torch.full((2,), value)), "epoch": epoch, "optimizer": None, "scheduler": None, "val_result": None}


def test_save_checkpoint_writes_named_file_and_pointer(tmp_path):
    save_checkpoint(_state(3, 1.0), str(tmp_path))
    assert (tmp_path / "checkpoint").read_text() == "model.pth.tar-3\n"
    loaded = torch.load(tmp_path / "model.pth.tar-3", weights_only=True)
    assert list(loaded) == ["state_dict", "epoch", "optimizer", "scheduler", "val_result"]


def test_best_model_save_does_not_move_the_resume_pointer(tmp_path):
    save_checkpoint(_state(3, 1.0), str(tmp_path))
    save_checkpoint(_state(3, 1.0), str(tmp_path), model_name="model-best.pth.tar")
    assert (tmp_path / "checkpoint").read_text() == "model.pth.tar-3\n"


def test_failed_write_leaves_previous_file_intact_and_no_partial_file(tmp_path, monkeypatch):
    save_checkpoint(_state(3, 1.0), str(tmp_path), model_name="model.pth.tar-3")
    real_save = torch.save

    def save_then_crash(obj, f, *args, **kwargs):
        f.write(b"partial bytes")
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(torch, "save", save_then_crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(_state(3, 2.0), str(tmp_path), model_name="model.pth.tar-3")
    monkeypatch.setattr(torch, "save", real_save)
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "model.pth.tar-3"]
    assert torch.equal(load_checkpoint(str(tmp_path / "model.pth.tar-3"))["state_dict"]["w"], torch.ones(2))


def test_module_prefix_is_stripped(tmp_path):
    state = _state(1, 0.0)
    state["state_dict"] = OrderedDict([("module.w", torch.zeros(2))])
    save_checkpoint(state, str(tmp_path))
    assert list(load_checkpoint(str(tmp_path / "model.pth.tar-1"))["state_dict"]) == ["w"]


def _write_original_format_checkpoint(path, epochs_done):
    """Mimic a released Dassl file: fp16 weights, pickled SGD inside a pickled CosineAnnealingLR."""
    param = torch.nn.Parameter(torch.zeros(1, 4))
    optimizer = torch.optim.SGD([param], lr=0.002, momentum=0.9, weight_decay=5e-4)
    scheduler = ConstantWarmupScheduler(optimizer, CosineAnnealingLR(optimizer, T_max=10.0), 1, 1e-5)
    for _ in range(epochs_done):
        param.grad = torch.ones_like(param)
        optimizer.step()
        scheduler.step()
    legacy_scheduler = {k: v for k, v in scheduler.__dict__.items() if k != "optimizer"}
    torch.save(
        {
            "state_dict": OrderedDict(anchor_ctx_1=param.detach().half()),
            "epoch": epochs_done,
            "optimizer": optimizer.state_dict(),
            "scheduler": legacy_scheduler,
            "val_result": None,
        },
        path,
    )


def test_original_format_checkpoint_loads_and_needs_full_unpickle(tmp_path):
    path = tmp_path / "model.pth.tar"
    _write_original_format_checkpoint(path, epochs_done=4)
    with pytest.raises(Exception):
        torch.load(path, weights_only=True)
    checkpoint = load_checkpoint(str(path))
    assert checkpoint["state_dict"]["anchor_ctx_1"].dtype == torch.float16
    assert isinstance(checkpoint["scheduler"]["successor"], CosineAnnealingLR)


def test_resume_from_original_format_continues_cosine(tmp_path):
    _write_original_format_checkpoint(tmp_path / "model.pth.tar-4", epochs_done=4)
    (tmp_path / "checkpoint").write_text("model.pth.tar-4\n")
    model = torch.nn.Module()
    model.anchor_ctx_1 = torch.nn.Parameter(torch.zeros(1, 4, dtype=torch.float16))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.002, momentum=0.9, weight_decay=5e-4)
    scheduler = ConstantWarmupScheduler(optimizer, CosineAnnealingLR(optimizer, T_max=10.0), 1, 1e-5)
    assert resume_from_checkpoint(str(tmp_path), model, optimizer, scheduler) == 4
    lrs = []
    for _ in range(3):
        lrs.append(f"{optimizer.param_groups[0]['lr']:.4e}")
        optimizer.step()
        scheduler.step()
    assert lrs == ["1.5878e-03", "1.3090e-03", "1.0000e-03"]


def test_load_pretrained_weights_keeps_only_matching_shapes(tmp_path, capsys):
    model = torch.nn.Linear(2, 3)
    state = {"state_dict": OrderedDict([("module.weight", torch.ones(3, 2)), ("bias", torch.ones(5))])}
    torch.save(state, tmp_path / "w.pth")
    load_pretrained_weights(model, str(tmp_path / "w.pth"))
    assert torch.equal(model.weight.data, torch.ones(3, 2))
    assert "Layers discarded due to unmatched keys or size: ['bias']" in capsys.readouterr().out


def test_load_checkpoint_missing_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.pth"):
        load_checkpoint(str(tmp_path / "nope.pth"))
