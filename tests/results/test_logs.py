import os

import pytest

from results.logs import (
    final_test_accuracy, last_metric_after_signal, metric_pattern, parse_arguments_banner, parse_config_dump,
    read_run_dir, read_run_log,
)
from tests.results.log_fixtures import (
    UPSTREAM_EVAL_EXCERPT, UPSTREAM_TRAIN_EXCERPT, result_block, run_log_text, write_log,
)


def test_upstream_training_excerpt_reads_trainer_dataset_seed_and_base_accuracy(tmp_path):
    run = read_run_log(write_log(tmp_path / "seed1", UPSTREAM_TRAIN_EXCERPT))
    assert (run.trainer, run.dataset, run.seed, run.subsample) == ("CoOp_dyntoken_1anchor_template", "DTD", 1, "base")
    assert run.test_accuracy == 55.787
    assert not run.eval_only
    assert run.output_dir.endswith("MSE_1000.0_CE_1000.0/seed1")


def test_upstream_eval_excerpt_reads_novel_accuracy_and_model_dir(tmp_path):
    run = read_run_log(write_log(tmp_path / "evaluation", UPSTREAM_EVAL_EXCERPT))
    assert run.eval_only and run.subsample == "new"
    assert run.test_accuracy == 62.560
    assert run.model_dir.endswith("CE_1000.0/seed1")


def test_arguments_banner_keeps_empty_values_and_stops_at_config_banner():
    arguments = parse_arguments_banner(UPSTREAM_TRAIN_EXCERPT.splitlines(keepends=True))
    assert arguments["backbone"] == "" and arguments["seed"] == "1"
    assert arguments["opts"].startswith("['TRAINER.COOP.N_CTX', '4'")
    assert "DATALOADER" not in arguments


def test_config_dump_gives_dotted_keys_and_stops_at_first_non_config_line():
    config = parse_config_dump(UPSTREAM_TRAIN_EXCERPT.splitlines(keepends=True))
    assert config["DATASET.NAME"] == "DescribableTextures"
    assert config["DATALOADER.TEST.BATCH_SIZE"] == "100"
    assert config["SEED"] == "1"
    assert not any(key.startswith("Loading") for key in config)


def test_val_result_blocks_do_not_count_as_the_final_test():
    unfinished = run_log_text("CoOp", "dtd", "DescribableTextures", 1, "base", None, "out",
                              val_accuracies=[40.0, 45.0])
    assert final_test_accuracy(unfinished.splitlines()) is None
    finished = run_log_text("CoOp", "dtd", "DescribableTextures", 1, "base", 61.25, "out", val_accuracies=[40.0, 45.0])
    assert final_test_accuracy(finished.splitlines()) == 61.25


def test_original_rule_takes_last_match_after_signal_and_ignores_earlier_ones():
    text = "* accuracy: 10.0%\nFinish training\n" + result_block(70.5) + result_block(71.25)
    assert last_metric_after_signal(text.splitlines(), metric_pattern("accuracy"), "Finish training") == 71.25
    assert last_metric_after_signal(text.splitlines(), metric_pattern("macro_f1"), "Finish training") == 70.25
    assert last_metric_after_signal(text.splitlines(), metric_pattern("accuracy"), "never printed") is None


def test_result_with_thousands_separator_and_one_decimal_parses():
    text = "Evaluate on the *test* set\n=> result\n* total: 25,000\n* correct: 18,658\n* accuracy: 74.6%\n"
    assert final_test_accuracy(text.splitlines()) == 74.6


def test_rerun_log_with_timestamp_wins_over_unfinished_first_log(tmp_path):
    unfinished = run_log_text("CoOp", "dtd", "DescribableTextures", 2, "base", None, "out")
    finished = run_log_text("CoOp", "dtd", "DescribableTextures", 2, "base", 66.5, "out")
    write_log(tmp_path, unfinished)
    write_log(tmp_path, finished, name="log.txt-2025-01-02-10-00-00")
    run = read_run_dir(str(tmp_path))
    assert run.finished and run.test_accuracy == 66.5
    assert os.path.basename(run.path) == "log.txt-2025-01-02-10-00-00"


def test_log_without_banner_or_config_is_rejected_with_its_path(tmp_path):
    path = write_log(tmp_path / "notes", "just some text\n")
    with pytest.raises(ValueError, match="notes"):
        read_run_log(path)
