"""The KgCoOp scripts: upstream's recipe for KgCoOp, KgCoOp's recipe under each plug-in's settings."""
import pytest

from tests.scripts.test_shell_scripts import _commands, _opts, _run, _value_after

KGCOOP_CONFIG = "configs/trainers/KgCoOp/vit_b16_ep100_ctxv1.yaml"


def only_command(script, *args, tmp_path):
    result = _run(script, *args, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    (command,) = _commands(result)
    return command


def test_kgcoop_base2new_uses_upstreams_recipe(tmp_path):
    command = only_command("kgcoop/base2new_train.sh", "dtd", "1", tmp_path=tmp_path)
    assert _value_after(command, "--trainer") == "KgCoOp"
    assert _value_after(command, "--config-file") == KGCOOP_CONFIG
    assert _opts(command) == {"OPTIM.MAX_EPOCH": "100", "TRAINER.COOP.N_CTX": "4", "TRAINER.COOP.CSC": "False",
                              "TRAINER.COOP.W": "8.0", "TRAINER.COOP.CLASS_TOKEN_POSITION": "end",
                              "DATASET.NUM_SHOTS": "16", "DATASET.SUBSAMPLE_CLASSES": "base"}


def test_kgcoop_atp_keeps_kgcoops_weight_with_attribute_blocks_of_the_context_length(tmp_path):
    opts = _opts(only_command("kgcoop/atprompt_base2new_train.sh", "dtd", "1", tmp_path=tmp_path))
    assert (opts["TRAINER.COOP.W"], opts["TRAINER.ATPROMPT.USE_ATPROMPT"]) == ("8.0", "True")
    assert [opts[f"TRAINER.ATPROMPT.N_ATT{k}"] for k in (1, 2, 3)] == [opts["TRAINER.COOP.N_CTX"]] * 3


@pytest.mark.parametrize("dataset, n_ctx, epochs, ce, kd", [("imagenet", "6", "20", "100.0", "1000.0"),
                                                            ("eurosat", "4", "100", "1.0", "0.0")])
def test_kgcoop_anchoropt_takes_coop_anchoropts_per_dataset_table(dataset, n_ctx, epochs, ce, kd, tmp_path):
    command = only_command("kgcoop/anchoropt_base2new_train.sh", dataset, "1", tmp_path=tmp_path)
    opts = _opts(command)
    assert _value_after(command, "--config-file") == KGCOOP_CONFIG
    assert (opts["TRAINER.ANCHOROPT.N_CTX"], opts["OPTIM.MAX_EPOCH"]) == (n_ctx, epochs)
    assert (opts["TRAINER.ANCHOROPT.PROMPT_CE_WEIGHT"], opts["TRAINER.ANCHOROPT.KD_WEIGHT"]) == (ce, kd)
    assert opts["TRAINER.COOP.W"] == "8.0"
