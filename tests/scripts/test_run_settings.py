"""configs/runs/*.yaml give the same train.py command lines as the bash settings files they replaced.

tests/scripts/fixtures/conf_dry_runs.json holds the DRY_RUN output of the bash-settings-era scripts (every
trainer on every dataset through base2new.sh, every method script, stage I, the attribute search,
zero-shot, and the environment overrides; KgCoOp and PromptSRC with their _ATP / _AnchorOPT pairings were
recorded on their own branches before conversion). Each call is replayed in-process through the launcher
the wrapper script names, and the commands are compared word for word.
"""
import json
import os
import re
import shlex

import pytest

from scripts import sweep
from scripts.launch import settings, shell

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CASES = json.load(open(os.path.join(REPO_ROOT, "tests", "scripts", "fixtures", "conf_dry_runs.json")))
ENVIRONMENT_KEYS = ("DATA", "SETTINGS_FILE", "OUTPUT_ROOT", "PYTHON", "EXTRA_OPTS", "BACKBONE", "ATTRIBUTES",
                    "ATTRIBUTES_FILE", "BASES_FILE")
LAUNCH_STEP = re.compile(r'^launch_step (\w+) (\w+) "\$@"$', re.M)


def wrapper_call(script):
    """(step, trainer) of a per-method wrapper script, from its launch_step line."""
    with open(os.path.join(REPO_ROOT, "scripts", script)) as f:
        (call,) = LAUNCH_STEP.findall(f.read())
    return call


@pytest.fixture
def attribute_files(tmp_path):
    bases, search = tmp_path / "attributes.json", tmp_path / "attribute_search.json"
    bases.write_text(json.dumps({"attributes": ["color", "shape", "size"]}))
    search.write_text(json.dumps({"winner": ["pattern", "shape"]}))
    return {"@BASES": str(bases), "@SEARCH": str(search)}


def replay(case, attribute_files, capsys):
    env = {key: value for key, value in os.environ.items() if key not in ENVIRONMENT_KEYS}
    env.update(DRY_RUN="1", DATA="/datasets")
    env.update({key: attribute_files.get(value, value) for key, value in case["env"].items()})
    if case["script"] == "base2new.sh":
        trainer, dataset, *seeds = case["args"]
        args = sweep.build_parser().parse_args(["--trainers", trainer, "--datasets", dataset, "--seeds", *seeds,
                                                "--executor", "local", "--no-feature-cache"])
        status = sweep.main(args, env)
    else:
        step, trainer = wrapper_call(case["script"])
        status = shell.main([step, trainer, *case["args"]], env)
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return [shlex.split(line) for line in captured.out.splitlines()]


@pytest.mark.parametrize("case", CASES, ids=lambda case: " ".join([case["script"], *case["args"], *case["env"]]))
def test_yaml_settings_give_the_conf_era_commands(case, attribute_files, capsys, monkeypatch):
    monkeypatch.chdir(REPO_ROOT)
    assert replay(case, attribute_files, capsys) == [shlex.split(line) for line in case["stdout"]]


def test_every_trainer_file_is_covered_by_the_fixture():
    covered = {case["args"][0] for case in CASES if case["script"] == "base2new.sh"}
    assert covered == set(settings.known_trainers())


def test_unknown_key_in_a_settings_file_names_the_valid_ones(tmp_path):
    path = tmp_path / "Mine.yaml"
    path.write_text("config: CoOp/vit_b16\nshots: 16\nepoch: 10\n")
    with pytest.raises(settings.SettingsError, match=r"unknown key 'epoch' \(valid: config, shots, epochs"):
        settings.load_trainer("Mine", str(path))


def test_unknown_dataset_scope_names_the_valid_datasets(tmp_path):
    path = tmp_path / "Mine.yaml"
    path.write_text("config: CoOp/vit_b16\ndatasets:\n  dtdd: {epochs: 3}\n")
    with pytest.raises(settings.SettingsError, match=r"unknown dataset 'dtdd' under datasets \(valid: caltech101"):
        settings.load_trainer("Mine", str(path))


def test_per_dataset_null_option_must_be_set_for_the_dataset():
    anchoropt = settings.load_trainer("CoOp_AnchorOPT")
    with pytest.raises(settings.SettingsError, match="no value of TRAINER.ANCHOROPT.N_CTX.* for procedural_world "
                                                     r"\(add it under datasets.procedural_world.opts\)"):
        anchoropt.resolve("procedural_world")


def test_variant_naming_an_unknown_option_is_an_error(tmp_path):
    path = tmp_path / "Mine.yaml"
    path.write_text("config: CoOp/vit_b16\nshots: 16\nepochs: 2\nopts: {TRAINER.COOP.N_CTX: 4}\n"
                    "variant: CTX_{TRAINER.COOP.NCTX}\n")
    with pytest.raises(settings.SettingsError, match=r"variant names \{TRAINER.COOP.NCTX\}.*valid: epochs, shots, "
                                                     "TRAINER.COOP.N_CTX"):
        settings.load_trainer("Mine", str(path)).resolve("dtd")


def test_scope_options_replace_top_level_values_in_place_and_add_new_ones_last():
    resolved = settings.load_trainer("MaPLe_ATP").resolve("xd")
    pairs = list(zip(resolved.opts[::2], resolved.opts[1::2]))
    assert pairs[0] == ("TRAINER.MAPLE.N_CTX", "2") and pairs[-1] == ("TRAINER.ATPROMPT.SOURCE_DATASET", "ImageNet")
    assert (resolved.config_path, resolved.epochs, resolved.variant) == (
        "configs/trainers/MaPLe/vit_b16_c2_ep5_batch4_2ctx_cross_datasets.yaml", "3", "CTX_2_epo_3")
