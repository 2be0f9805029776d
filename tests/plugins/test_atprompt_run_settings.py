"""ATPrompt run settings: the scripts' dry-run commands carry spec §1.7's per-dataset values and the overrides."""
import json
import os
import shlex
import subprocess

import pytest

from scripts.atprompt import attribute_settings

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SWITCHES = {"--eval-only", "--no-train"}


def dry_run(script, *args, **env):
    """What a script would run: ({--flag: value}, {KEY: value} of the trailing config overrides)."""
    environment = {**os.environ, "DATA": "/nonexistent", "DRY_RUN": "1", **env}
    completed = subprocess.run(["bash", os.path.join(REPO_ROOT, "scripts", script), *args], env=environment,
                               capture_output=True, text=True, check=True)
    words = shlex.split(completed.stdout.splitlines()[0])[2:]
    flags, index = {}, 0
    while words[index].startswith("--"):
        takes_value = words[index] not in SWITCHES
        flags[words[index]] = words[index + 1] if takes_value else True
        index += 2 if takes_value else 1
    return flags, dict(zip(words[index::2], words[index + 1::2]))


@pytest.mark.parametrize("script,dataset,key,n_ctx,epochs", [
    ("coop/atprompt_base2new_train.sh", "imagenet", "TRAINER.COOP.N_CTX", "2", "10"),
    ("coop/atprompt_base2new_train.sh", "dtd", "TRAINER.COOP.N_CTX", "4", "100"),
    ("cocoop/atprompt_base2new_train.sh", "eurosat", "TRAINER.COCOOP.N_CTX", "6", "10"),
    ("maple/atprompt_base2new_train.sh", "ucf101", "TRAINER.MAPLE.N_CTX", "2", "5"),
    ("maple/atprompt_base2new_train.sh", "oxford_pets", "TRAINER.MAPLE.N_CTX", "4", "10"),
    ("dept/atprompt_base2new_train.sh", "stanford_cars", "TRAINER.COOP.N_CTX", "2", "10"),
])
def test_base2new_commands_use_the_per_dataset_lengths_and_epochs(script, dataset, key, n_ctx, epochs):
    flags, overrides = dry_run(script, dataset, "1")
    assert overrides[key] == n_ctx and overrides["OPTIM.MAX_EPOCH"] == epochs
    assert [overrides[f"TRAINER.ATPROMPT.N_ATT{k}"] for k in (1, 2, 3)] == [n_ctx] * 3
    assert overrides["TRAINER.ATPROMPT.USE_ATPROMPT"] == "True"
    assert overrides["DATASET.SUBSAMPLE_CLASSES"] == "base"
    assert f"CTX_{n_ctx}_epo_{epochs}/seed1" in flags["--output-dir"]


def test_dept_weight_follows_the_dataset_table():
    assert dry_run("dept/atprompt_base2new_train.sh", "ucf101", "1")[1]["TRAINER.LINEAR_PROBE.WEIGHT"] == "0.5"
    assert dry_run("dept/atprompt_base2new_train.sh", "food101", "1")[1]["TRAINER.LINEAR_PROBE.WEIGHT"] == "0.7"


def test_maple_cross_dataset_keeps_upstreams_unequal_lengths_and_source_attributes():
    flags, overrides = dry_run("maple/atprompt_xd_test.sh", "dtd", "1")
    assert (overrides["TRAINER.MAPLE.N_CTX"], overrides["TRAINER.ATPROMPT.N_ATT1"]) == ("2", "4")
    assert overrides["TRAINER.ATPROMPT.SOURCE_DATASET"] == "ImageNet"
    assert "vit_b16_c2_ep5_batch4_2ctx_cross_datasets.yaml" in flags["--config-file"]


def test_search_winner_file_sets_the_training_words_and_its_own_folder(tmp_path):
    result = tmp_path / "attribute_search.json"
    result.write_text(json.dumps({"winner": ["shape", "size"], "weights_per_epoch": [[0.6, 0.4]]}))
    flags, overrides = dry_run("coop/atprompt_base2new_train.sh", "caltech101", "1", ATTRIBUTES_FILE=str(result))
    assert overrides["TRAINER.ATPROMPT.ATT_NUM"] == "2"
    assert (overrides["TRAINER.ATPROMPT.ATT1_TEXT"], overrides["TRAINER.ATPROMPT.ATT2_TEXT"]) == ("shape", "size")
    assert "CTX_2_epo_100_att_shape_size/seed1" in flags["--output-dir"]


def test_search_bases_come_from_the_llm_query_file(tmp_path):
    query = tmp_path / "attributes.json"
    query.write_text(json.dumps({"attributes": ["color", "shape", "size", "texture", "habitat"]}))
    _, overrides = dry_run("atprompt/search_attributes.sh", "dtd", BASES_FILE=str(query))
    assert overrides["SEARCH.ATTRIBUTES"] == "['color', 'shape', 'size', 'texture', 'habitat']"
    assert overrides["OPTIM.MAX_EPOCH"] == "40"


def test_training_words_are_limited_to_three_single_words():
    with pytest.raises(attribute_settings.AttributeWordsError, match="1-3 attributes"):
        attribute_settings.override_from_environment("train", {"ATTRIBUTES": "a,b,c,d"})
    with pytest.raises(attribute_settings.AttributeWordsError, match="single words"):
        attribute_settings.override_from_environment("train", {"ATTRIBUTES": "body shape"})


def test_a_query_file_is_not_mistaken_for_a_search_result(tmp_path):
    query = tmp_path / "attributes.json"
    query.write_text(json.dumps({"attributes": ["color"]}))
    with pytest.raises(attribute_settings.AttributeWordsError, match='no "winner"'):
        attribute_settings.override_from_environment("train", {"ATTRIBUTES_FILE": str(query)})
