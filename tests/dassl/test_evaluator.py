import torch

from dassl.config import get_cfg_default
from dassl.evaluation import build_evaluator
from dassl.metrics import compute_accuracy


def _logits(preds, num_classes):
    return torch.nn.functional.one_hot(torch.tensor(preds), num_classes).float()


def test_result_block_format_and_values(capsys):
    evaluator = build_evaluator(get_cfg_default())
    y_true = [0, 0, 1, 1]
    y_pred = [0, 1, 1, 3]  # label 3 is absent from y_true: no FP for counted classes, FN for class 1
    evaluator.process(_logits(y_pred, 4), torch.tensor(y_true))
    results = evaluator.evaluate()
    # class 0: P=1, R=.5 -> 2/3; class 1: P=.5, R=.5 -> .5; macro = 7/12
    assert list(results) == ["accuracy", "error_rate", "macro_f1"]
    assert abs(results["macro_f1"] - 100 * 7 / 12) < 1e-9
    assert capsys.readouterr().out.splitlines()[-6:] == [
        "=> result",
        "* total: 4",
        "* correct: 2",
        "* accuracy: 50.000%",
        "* error: 50.00%",
        "* macro_f1: 58.33%",
    ]


def test_totals_use_thousands_separator(capsys):
    evaluator = build_evaluator(get_cfg_default())
    evaluator.process(_logits([0] * 2465, 2), torch.tensor([0] * 1977 + [1] * 488))
    evaluator.evaluate()
    out = capsys.readouterr().out
    assert "* total: 2,465\n* correct: 1,977\n* accuracy: 80.203%" in out


def test_per_class_block_and_cmat(tmp_path, capsys):
    cfg = get_cfg_default()
    cfg.TEST.PER_CLASS_RESULT = True
    cfg.TEST.COMPUTE_CMAT = True
    cfg.OUTPUT_DIR = str(tmp_path)
    evaluator = build_evaluator(cfg, lab2cname={0: "cat", 1: "dog"})
    evaluator.process(_logits([0, 1, 1], 2), torch.tensor([0, 0, 1]))
    results = evaluator.evaluate()
    out = capsys.readouterr().out
    assert "* class: 0 (cat)\ttotal: 2\tcorrect: 1\tacc: 50.00%\n" in out
    assert "* average: 75.0%" in out
    assert results["perclass_accuracy"] == 75.0
    cmat = torch.load(tmp_path / "cmat.pt", weights_only=False)
    assert cmat.tolist() == [[0.5, 0.5], [0.0, 1.0]]


def test_compute_accuracy_top1_and_top2():
    output = torch.tensor([[0.1, 0.9, 0.0], [0.8, 0.15, 0.05]])
    top1, top2 = compute_accuracy(output, torch.tensor([1, 1]), topk=(1, 2))
    assert top1.tolist() == [50.0] and top2.tolist() == [100.0]
