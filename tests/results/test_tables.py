import pytest

from results.collect import Measurement, collect_measurements
from results.stats import harmonic_mean
from results.tables import CROSS_DATASET, DOMAIN_GENERALIZATION, build_base_to_novel_tables, build_transfer_table
from tests.results.log_fixtures import write_base_to_novel_run


def _measure(method, dataset, split, seed, accuracy):
    return Measurement(method, dataset, split, seed, accuracy, f"{method}/{dataset}/{split}/{seed}")


def _two_dataset_measurements():
    values = {("DTD", "base"): [80.0, 82.0], ("DTD", "new"): [40.0, 44.0],
              ("EuroSAT", "base"): [90.0, 92.0], ("EuroSAT", "new"): [70.0, 60.0]}
    return [_measure("CoOp", dataset, split, seed, accuracy)
            for (dataset, split), accuracies in values.items() for seed, accuracy in zip((1, 2), accuracies)]


def test_dataset_hm_is_harmonic_mean_of_seed_means():
    (table,) = build_base_to_novel_tables(_two_dataset_measurements())
    dtd = table.rows[0]
    assert dtd.dataset == "DTD"
    assert dtd.base.mean == 81.0 and dtd.novel.mean == 42.0 and dtd.base.std == 1.0
    assert dtd.hm == pytest.approx(2 * 81.0 * 42.0 / 123.0)


def test_average_hm_is_harmonic_mean_of_average_base_and_novel_not_mean_of_hms():
    (table,) = build_base_to_novel_tables(_two_dataset_measurements())
    assert table.average_base.value == pytest.approx((81.0 + 91.0) / 2)
    assert table.average_novel.value == pytest.approx((42.0 + 65.0) / 2)
    expected = harmonic_mean(86.0, 53.5)
    assert table.average_hm.value == pytest.approx(expected)
    mean_of_hms = (table.rows[0].hm + table.rows[1].hm) / 2
    assert abs(table.average_hm.value - mean_of_hms) > 0.1


def test_published_coop_average_follows_the_same_convention():
    assert round(harmonic_mean(82.69, 63.22), 2) == 71.66
    assert round(harmonic_mean(80.47, 71.69), 2) == 75.83


def test_missing_seed_makes_cell_incomplete_and_average_unavailable():
    measurements = _two_dataset_measurements()
    measurements = [m for m in measurements if not (m.dataset == "EuroSAT" and m.split == "new" and m.seed == 2)]
    (table,) = build_base_to_novel_tables(measurements)
    eurosat = table.rows[1]
    assert not eurosat.novel.complete and eurosat.novel.values == (70.0,) and eurosat.novel.expected == 2
    assert eurosat.hm is None
    assert table.average_novel.value is None and table.average_novel.complete_count == 1
    assert table.average_hm.value is None


def test_requested_seeds_define_completeness():
    (table,) = build_base_to_novel_tables(_two_dataset_measurements(), seeds=[1, 2, 3])
    assert table.seeds == (1, 2, 3)
    assert all(not row.base.complete for row in table.rows)


def test_unfinished_run_counts_as_unfinished_not_as_a_value():
    measurements = _two_dataset_measurements() + [_measure("CoOp", "DTD", "base", 3, None)]
    (table,) = build_base_to_novel_tables(measurements, seeds=[1, 2, 3])
    assert table.rows[0].base.values == (80.0, 82.0) and table.rows[0].base.unfinished == 1


def test_method_without_a_dataset_gets_an_empty_row_for_it():
    measurements = _two_dataset_measurements() + [_measure("MaPLe", "DTD", "base", 1, 83.0),
                                                  _measure("MaPLe", "DTD", "new", 1, 60.0)]
    tables = build_base_to_novel_tables(measurements, method_order=["MaPLe", "CoOp"])
    assert [table.method for table in tables] == ["MaPLe", "CoOp"]
    maple_eurosat = tables[0].rows[1]
    assert maple_eurosat.dataset == "EuroSAT" and maple_eurosat.base.values == ()


def test_transfer_tables_split_cross_dataset_and_domain_generalisation_targets():
    measurements = [_measure("CoCoOp", dataset, "all", seed, accuracy)
                    for dataset, accuracy in [("ImageNet", 71.0), ("DTD", 45.0), ("EuroSAT", 46.0),
                                              ("ImageNetA", 50.0)]
                    for seed in (1, 2)]
    cross = build_transfer_table(measurements, CROSS_DATASET)
    assert cross.columns == ("ImageNet", "DTD", "EuroSAT")
    assert cross.rows[0].average(cross.targets).value == pytest.approx(45.5)
    generalisation = build_transfer_table(measurements, DOMAIN_GENERALIZATION)
    assert generalisation.columns == ("ImageNet", "ImageNetA")
    assert build_transfer_table([m for m in measurements if m.dataset != "ImageNetA"], DOMAIN_GENERALIZATION) is None


def test_collect_pairs_training_and_evaluation_logs_by_their_banners(tmp_path):
    write_base_to_novel_run(str(tmp_path), "CoOp", "dtd", "DescribableTextures", 1, 80.0, 40.0)
    write_base_to_novel_run(str(tmp_path), "CoOp", "dtd", "DescribableTextures", 2, None, None)
    measurements = collect_measurements(str(tmp_path))
    keys = sorted((m.dataset, m.split, m.seed, m.accuracy) for m in measurements)
    assert keys == [("DTD", "base", 1, 80.0), ("DTD", "base", 2, None), ("DTD", "new", 1, 40.0)]


def test_collect_by_variant_labels_methods_with_the_train_folder_name(tmp_path):
    write_base_to_novel_run(str(tmp_path), "CoOp", "dtd", "DescribableTextures", 1, 80.0, 40.0)
    methods = {m.method for m in collect_measurements(str(tmp_path), by_variant=True)}
    assert methods == {"CoOp/vit_b16_16shots/CTX_4_epo_2"}


def test_two_runs_for_the_same_key_are_an_error_naming_both(tmp_path):
    write_base_to_novel_run(str(tmp_path / "a"), "CoOp", "dtd", "DescribableTextures", 1, 80.0, None)
    write_base_to_novel_run(str(tmp_path / "b"), "CoOp", "dtd", "DescribableTextures", 1, 81.0, None)
    with pytest.raises(ValueError, match="--by-variant"):
        collect_measurements(str(tmp_path))
