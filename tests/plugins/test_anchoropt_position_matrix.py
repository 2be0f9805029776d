"""results.position_matrix: PNG heat-map of softmax(Π) read from a run directory's checkpoint."""
import collections

import torch
from PIL import Image

from dassl.utils import save_checkpoint
from results import position_matrix


def _run_dir(tmp_path, logits):
    state = {"state_dict": collections.OrderedDict([("ctx", torch.zeros(2, 8)), ("ctx_pos_params", logits)]),
             "epoch": 3, "optimizer": None, "scheduler": None, "val_result": None}
    save_checkpoint(state, str(tmp_path / "run" / "normal_prompt_learner"), model_name="model.pth.tar-3")
    return tmp_path / "run"


def test_heat_map_png_is_written_from_the_checkpoint_rows(tmp_path):
    logits = torch.tensor([[5.0, 0.0, 0.0], [0.0, 0.0, 5.0], [1.0, 1.0, 1.0]])
    run_dir = _run_dir(tmp_path, logits)
    found, path = position_matrix.find_position_logits(str(run_dir))
    assert torch.equal(found, logits) and path.endswith("model.pth.tar-3")
    out = tmp_path / "pm.png"
    assert position_matrix.main([str(run_dir), "--out", str(out)]) == 0
    assert Image.open(out).format == "PNG"
    probabilities = position_matrix.plot_position_matrix(logits, str(tmp_path / "again.png"))
    assert torch.allclose(torch.from_numpy(probabilities), torch.softmax(logits, dim=-1))


def test_run_without_position_logits_is_a_clear_error(tmp_path, capsys):
    assert position_matrix.main([str(tmp_path), "--out", str(tmp_path / "pm.png")]) == 1
    assert "ctx_pos_params" in capsys.readouterr().err
    assert not (tmp_path / "pm.png").exists()
