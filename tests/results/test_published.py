import pytest

from results.published import load_published
from results.stats import harmonic_mean


def test_shipped_base_to_novel_numbers_load_with_paper_rows_first():
    published = load_published()
    coop = published.base_to_novel[("CoOp", "Average")]
    assert (coop.base, coop.novel, coop.hm) == (82.69, 63.22, 71.66)
    dept = published.base_to_novel[("DePT", "Average")]
    assert (dept.base, dept.hm) == (83.66, 77.29)
    assert published.base_to_novel[("CoOp_AnchorOPT", "Average")].hm == 78.68
    assert published.base_to_novel[("CoOp_Pretrain_Anchor", "DTD")].novel == 62.56


def test_every_shipped_hm_agrees_with_its_base_and_novel():
    published = load_published()
    for (method, dataset), entry in published.base_to_novel.items():
        if entry.hm is not None:
            assert entry.hm == pytest.approx(harmonic_mean(entry.base, entry.novel), abs=0.015), (method, dataset)


def test_shipped_per_dataset_table_covers_eleven_datasets_for_eight_methods():
    published = load_published()
    for method in ["CoOp", "CoOp_ATP", "CoCoOp", "CoCoOp_ATP", "MaPLe", "MaPLe_ATP", "DePT", "DePT_ATP"]:
        assert sum(1 for m, d in published.base_to_novel if m == method and d != "Average") == 11


ELEVEN_DATASETS = [
    "ImageNet", "Caltech101", "OxfordPets", "StanfordCars", "Flowers102", "Food101",
    "FGVCAircraft", "SUN397", "DTD", "EuroSAT", "UCF101",
]


def test_kgcoop_and_promptsrc_rows_load_and_their_plug_in_trainers_have_no_rows():
    published = load_published()
    kgcoop, promptsrc = published.base_to_novel[("KgCoOp", "Average")], published.base_to_novel[("PromptSRC", "Average")]
    assert (kgcoop.base, kgcoop.novel, kgcoop.hm) == (80.73, 73.60, 77.00)
    assert (promptsrc.base, promptsrc.novel, promptsrc.hm) == (84.26, 76.10, 79.97)
    for method in ["KgCoOp", "PromptSRC"]:
        assert sorted(d for m, d in published.base_to_novel if m == method and d != "Average") == sorted(ELEVEN_DATASETS)
    fgvc = published.base_to_novel[("KgCoOp", "FGVCAircraft")]
    assert (fgvc.base, fgvc.novel, fgvc.hm) == (36.21, 33.55, 34.83)
    eurosat = published.base_to_novel[("PromptSRC", "EuroSAT")]
    assert (eurosat.base, eurosat.novel, eurosat.hm) == (92.90, 73.90, 82.32)
    assert not [key for key in published.base_to_novel if key[0].startswith(("KgCoOp_", "PromptSRC_"))]


def test_every_eleven_dataset_table_averages_to_its_published_average_row():
    """Catches a mistyped per-dataset number: the papers' Average is the plain mean of the eleven rows."""
    published = load_published()
    methods = {m for m, d in published.base_to_novel if d == "Average"}
    checked = []
    for method in sorted(methods):
        rows = [published.base_to_novel.get((method, dataset)) for dataset in ELEVEN_DATASETS]
        if None in rows:
            continue
        average = published.base_to_novel[(method, "Average")]
        assert sum(row.base for row in rows) / 11 == pytest.approx(average.base, abs=0.01), method
        assert sum(row.novel for row in rows) / 11 == pytest.approx(average.novel, abs=0.01), method
        checked.append(method)
    assert {"KgCoOp", "PromptSRC", "CoOp", "DePT_ATP"} <= set(checked)


def test_shipped_transfer_numbers_load():
    published = load_published()
    assert published.transfer[("cross_dataset", "CoOp", "Average")] == 63.88
    assert published.transfer[("domain_generalization", "MaPLe_ATP", "ImageNetR")] == 77.11


def test_bad_number_names_file_line_and_column(tmp_path):
    (tmp_path / "base_to_novel.csv").write_text("method,dataset,base,novel,hm,source\nCoOp,DTD,abc,1,,x\n")
    with pytest.raises(ValueError, match=r"base_to_novel.csv:2: column 'base'"):
        load_published(str(tmp_path))


def test_missing_column_is_reported(tmp_path):
    (tmp_path / "transfer.csv").write_text("table,method,dataset\n")
    with pytest.raises(ValueError, match="missing columns"):
        load_published(str(tmp_path))
