"""The experiment scripts: syntax, the DATA check, dry-run commands, output folders, skipping finished runs."""
import glob
import os
import subprocess

import pytest

from tests.results.log_fixtures import run_log_text, write_log

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPTS = os.path.join(REPO_ROOT, "scripts")
COOP_VARIANT = "CoOp/vit_b16_16shots/nctx16_cscFalse_ctpend/CTX_16_epo_200"


def _run(script, *args, tmp_path, data="/datasets", **extra_env):
    env = {key: value for key, value in os.environ.items() if key not in ("DATA", "SETTINGS_FILE")}
    env.update(DRY_RUN="1", OUTPUT_ROOT=str(tmp_path / "output"), **extra_env)
    if data is not None:
        env["DATA"] = data
    return subprocess.run(["bash", os.path.join(SCRIPTS, script), *args], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=30)


def _commands(result):
    return [line.split() for line in result.stdout.splitlines() if line.startswith("python ")]


def _value_after(command, flag):
    return command[command.index(flag) + 1]


def _opts(command):
    """The yacs KEY VALUE pairs at the end of a train.py command."""
    first = next(index for index, word in enumerate(command) if word.isupper())
    words = command[first:]
    return dict(zip(words[::2], words[1::2]))


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(SCRIPTS, "*.sh")) + glob.glob(os.path.join(SCRIPTS, "*", "*.sh"))))
def test_script_parses(path):
    assert subprocess.run(["bash", "-n", path], capture_output=True).returncode == 0


def test_unset_data_root_is_a_clear_error(tmp_path):
    result = _run("coop/base2new_train.sh", "dtd", tmp_path=tmp_path, data=None)
    assert result.returncode == 1
    assert result.stderr.startswith("error: DATA is not set: export DATA=")
    assert result.stdout == ""


def test_coop_train_dry_run_has_original_arguments_and_folder(tmp_path):
    result = _run("coop/base2new_train.sh", "dtd", "1", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    (command,) = _commands(result)
    assert command[:2] == ["python", "train.py"]
    assert _value_after(command, "--root") == "/datasets"
    assert _value_after(command, "--seed") == "1"
    assert _value_after(command, "--trainer") == "CoOp"
    assert _value_after(command, "--config-file") == "configs/trainers/CoOp/vit_b16.yaml"
    assert _value_after(command, "--dataset-config-file") == "configs/datasets/dtd.yaml"
    assert _value_after(command, "--output-dir") == f"{tmp_path}/output/dtd/{COOP_VARIANT}/seed1"
    assert _opts(command) == {"OPTIM.MAX_EPOCH": "200", "TRAINER.COOP.N_CTX": "16", "TRAINER.COOP.CSC": "False",
                              "TRAINER.COOP.CLASS_TOKEN_POSITION": "end", "DATASET.NUM_SHOTS": "16",
                              "DATASET.SUBSAMPLE_CLASSES": "base"}


def test_default_seeds_are_one_two_three(tmp_path):
    result = _run("maple/base2new_train.sh", "eurosat", tmp_path=tmp_path)
    assert [_value_after(command, "--seed") for command in _commands(result)] == ["1", "2", "3"]


def test_novel_test_evaluates_new_classes_of_the_trained_model(tmp_path):
    result = _run("cocoop/base2new_test.sh", "oxford_pets", "2", tmp_path=tmp_path)
    (command,) = _commands(result)
    train_dir = f"{tmp_path}/output/oxford_pets/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1_16shots/CTX_4_epo_10/seed2"
    assert "--eval-only" in command
    assert _value_after(command, "--model-dir") == train_dir
    assert _value_after(command, "--output-dir") == train_dir + "/evaluation"
    assert _value_after(command, "--load-epoch") == "10"
    assert _opts(command)["DATASET.SUBSAMPLE_CLASSES"] == "new"


def test_cross_dataset_eval_loads_the_imagenet_model_for_every_target(tmp_path):
    result = _run("maple/xd_test.sh", "dg", "1", tmp_path=tmp_path)
    commands = _commands(result)
    assert [_value_after(c, "--dataset-config-file") for c in commands] == [
        f"configs/datasets/{name}.yaml" for name in ("imagenetv2", "imagenet_sketch", "imagenet_a", "imagenet_r")]
    model_dir = f"{tmp_path}/output/imagenet/MaPLe/vit_b16_c2_ep5_batch4_2ctx_cross_datasets_16shots_few_shots/CTX_2_epo_2/seed1"
    assert {_value_after(c, "--model-dir") for c in commands} == {model_dir}
    assert all(_opts(c)["DATASET.SUBSAMPLE_CLASSES"] == "all" and _opts(c)["TRAINER.MAPLE.N_CTX"] == "2"
               for c in commands)


def test_zero_shot_has_no_seed_and_no_few_shot_sampling(tmp_path):
    result = _run("zsclip/zeroshot.sh", "dtd", "all", tmp_path=tmp_path)
    (command,) = _commands(result)
    assert "--seed" not in command and "--eval-only" in command
    assert _value_after(command, "--output-dir") == f"{tmp_path}/output/ZeroshotCLIP/vit_b16/dtd/test"
    assert _opts(command) == {"DATASET.NUM_SHOTS": "0", "DATASET.SUBSAMPLE_CLASSES": "all"}


def test_finished_run_is_skipped(tmp_path):
    train_dir = tmp_path / "output" / "dtd" / COOP_VARIANT / "seed1"
    write_log(train_dir, run_log_text("CoOp", "dtd", "DescribableTextures", 1, "base", 70.0, str(train_dir)))
    unfinished = tmp_path / "output" / "dtd" / COOP_VARIANT / "seed2"
    write_log(unfinished, run_log_text("CoOp", "dtd", "DescribableTextures", 2, "base", None, str(unfinished)))
    result = _run("coop/base2new_train.sh", "dtd", "1", "2", tmp_path=tmp_path)
    assert f"skip (finished): {train_dir}" in result.stdout
    assert [_value_after(c, "--seed") for c in _commands(result)] == ["2"]


def test_base2new_sweep_trains_tests_and_prints_table(tmp_path):
    result = _run("base2new.sh", "DePT", "caltech101", "1", "2", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    commands = _commands(result)
    assert [("--eval-only" in c, _value_after(c, "--seed")) for c in commands[:4]] == [
        (False, "1"), (True, "1"), (False, "2"), (True, "2")]
    assert _opts(commands[0])["TRAINER.LINEAR_PROBE.WEIGHT"] == "0.7"
    assert commands[4] == ["python", "parse_test_res.py", f"{tmp_path}/output", "--table", "--trainer", "DePT",
                           "--seeds", "1", "2"]


def test_settings_file_scopes_override_defaults_and_name_the_variant(tmp_path):
    settings = tmp_path / "Plugin.yaml"
    settings.write_text("# plug-in trainer\nconfig: CoOp/vit_b16\nshots: 16\nepochs: 100\n"
                        "opts: {TRAINER.X.N: 2, TRAINER.X.INIT: a photo of a}\nvariant: CTX_{TRAINER.X.N}_epo_{epochs}\n"
                        "datasets:\n  imagenet: {epochs: 10}\n  dtd: {opts: {TRAINER.X.N: 4}}\n")
    result = _run("base2new.sh", "Plugin", "all", "1", tmp_path=tmp_path, SETTINGS_FILE=str(settings))
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if "--seed 1" in line and "--eval-only" not in line]
    by_dataset = {line.split("configs/datasets/")[1].split(".yaml")[0]: line for line in lines}
    assert len(by_dataset) == 11
    assert "/imagenet/Plugin/vit_b16_16shots/CTX_2_epo_10/seed1" in by_dataset["imagenet"]
    assert "/dtd/Plugin/vit_b16_16shots/CTX_4_epo_100/seed1" in by_dataset["dtd"]
    assert "TRAINER.X.INIT 'a photo of a'" in by_dataset["dtd"]


def test_unknown_trainer_names_the_valid_ones(tmp_path):
    result = _run("base2new.sh", "NoSuchTrainer", "dtd", tmp_path=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("error: unknown trainer 'NoSuchTrainer' (valid: AttributeCompute, CoCoOp, ")


def test_extra_opts_come_last_and_their_epochs_and_shots_rename_the_run(tmp_path):
    checkpoint = tmp_path / "tiny.pt"
    checkpoint.write_bytes(b"")
    result = _run("coop/base2new_test.sh", "dtd", "1", tmp_path=tmp_path, BACKBONE="tiny.pt",
                  EXTRA_OPTS="OPTIM.MAX_EPOCH 3 DATASET.NUM_SHOTS 2 INPUT.SIZE '(32, 32)'")
    assert result.returncode == 0, result.stderr
    (command,) = _commands(result)
    train_dir = f"{tmp_path}/output/dtd/CoOp/vit_b16_2shots/nctx16_cscFalse_ctpend/CTX_16_epo_3/seed1"
    assert _value_after(command, "--model-dir") == train_dir
    assert _value_after(command, "--load-epoch") == "3"
    assert _value_after(command, "--backbone") == str(checkpoint)
    assert result.stdout.rstrip().endswith(
        "DATASET.NUM_SHOTS 2 DATASET.SUBSAMPLE_CLASSES new OPTIM.MAX_EPOCH 3 DATASET.NUM_SHOTS 2 INPUT.SIZE '(32, 32)'")


def test_missing_backbone_file_is_a_clear_error(tmp_path):
    result = _run("coop/base2new_train.sh", "dtd", "1", tmp_path=tmp_path, BACKBONE="missing.pt")
    assert result.returncode == 1
    assert result.stderr.startswith("error: BACKBONE file not found: missing.pt")


@pytest.mark.parametrize("trainer, script", [("CoOp_ATP", "coop/atprompt_base2new_train.sh"),
                                             ("MaPLe_AnchorOPT", "maple/anchoropt_base2new_train.sh")])
def test_sweep_finds_plug_in_settings_and_trains_as_the_method_script(trainer, script, tmp_path):
    sweep = _run("base2new.sh", trainer, "dtd", "1", tmp_path=tmp_path)
    assert sweep.returncode == 0, sweep.stderr
    assert _commands(sweep)[0] == _commands(_run(script, "dtd", "1", tmp_path=tmp_path))[0]


def test_unknown_dataset_names_the_valid_ones(tmp_path):
    result = _run("maple/xd_test.sh", "imagenet_b", "1", tmp_path=tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("error: unknown dataset 'imagenet_b' (valid: caltech101, ")
    assert result.stderr.rstrip().endswith("ucf101, xd, dg, all)")
