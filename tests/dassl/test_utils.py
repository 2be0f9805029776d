import os
import stat
import sys

import pytest
import torch

from dassl.utils import AverageMeter, atomic_write, MetricMeter, count_num_param, read_image, setup_logger, write_json, read_json
from dassl.utils.logger import close_logger


def test_setup_logger_tees_stdout_and_suffixes_existing_log(tmp_path):
    (tmp_path / "log.txt").write_text("first run\n")
    try:
        with pytest.warns(UserWarning, match=r"log.txt already exists, so this run logs to .*log.txt-\d{4}-"):
            setup_logger(str(tmp_path))
        print("hello log")
        sys.stdout.flush()
    finally:
        close_logger()
    assert (tmp_path / "log.txt").read_text() == "first run\n"
    new_logs = [p for p in tmp_path.iterdir() if p.name.startswith("log.txt-")]
    assert len(new_logs) == 1 and new_logs[0].read_text() == "hello log\n"
    assert sys.stdout is not None and not sys.stdout.closed


def test_metric_meter_format():
    meter = MetricMeter()
    meter.update({"loss": torch.tensor(2.0), "acc": 50.0})
    meter.update({"loss": 1.0, "acc": 100.0})
    assert str(meter) == "loss 1.0000 (1.5000) acc 100.0000 (75.0000)"
    with pytest.raises(TypeError):
        meter.update([1.0])


def test_average_meter_weights_by_n():
    meter = AverageMeter()
    meter.update(1.0, n=3)
    meter.update(5.0)
    assert meter.avg == 2.0 and meter.val == 5.0


def test_count_num_param_with_param_groups():
    layer = torch.nn.Linear(3, 2)
    assert count_num_param(params=[{"params": list(layer.parameters())}]) == 8 == count_num_param(layer)


def test_read_image_names_unreadable_file(tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not an image")
    with pytest.raises(OSError, match="broken.jpg"):
        read_image(str(bad))


def test_write_json_roundtrip_leaves_no_temp_files(tmp_path):
    write_json({"a": [1, 2]}, str(tmp_path / "sub" / "x.json"))
    assert read_json(str(tmp_path / "sub" / "x.json")) == {"a": [1, 2]}
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["x.json"]


def test_atomic_write_gives_the_permissions_of_a_plain_open(tmp_path):
    mask = os.umask(0o022)
    try:
        atomic_write(str(tmp_path / "x.txt"), lambda f: f.write("é"), encoding="utf-8")
    finally:
        os.umask(mask)
    assert stat.S_IMODE(os.stat(tmp_path / "x.txt").st_mode) == 0o644
    assert (tmp_path / "x.txt").read_text(encoding="utf-8") == "é"
