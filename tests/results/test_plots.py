import pytest

from results.plots import draw_hm_bars, hm_series, plot_hm_bars
from results.tables import build_base_to_novel_tables
from tests.results.test_tables import _measure, _two_dataset_measurements

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _tables():
    extra = [_measure("MaPLe", "DTD", "base", 1, 83.0), _measure("MaPLe", "DTD", "new", 1, 60.0)]
    return build_base_to_novel_tables(_two_dataset_measurements() + extra)


def test_series_has_one_hm_per_dataset_plus_average_and_none_for_missing():
    labels, series = hm_series(_tables())
    assert labels == ["DTD", "EuroSAT", "Average"]
    assert series["CoOp"][0] == pytest.approx(2 * 81 * 42 / 123)
    assert series["MaPLe"][1:] == [None, None]


def test_chart_is_a_png_of_nontrivial_size(tmp_path):
    path = tmp_path / "charts" / "hm.png"
    plot_hm_bars(_tables(), str(path))
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 10_000
    assert [p.name for p in path.parent.iterdir()] == ["hm.png"]


def test_nothing_to_plot_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="No base-to-novel results"):
        plot_hm_bars([], str(tmp_path / "hm.png"))


def test_group_without_any_bar_stays_inside_the_axes():
    only_new = [_measure("CoOp", "ImageNet", "new", 1, 70.0)]
    (table,) = build_base_to_novel_tables(only_new + _two_dataset_measurements())
    axes = draw_hm_bars([table]).axes[0]
    assert axes.get_xlim() == (-0.5, 3.5)


def test_a_dozen_methods_get_a_dozen_colours():
    measurements = [_measure(f"Method{index:02d}", "DTD", split, 1, 50.0) for index in range(12) for split in ("base", "new")]
    axes = draw_hm_bars(build_base_to_novel_tables(measurements)).axes[0]
    assert len({tuple(container.patches[0].get_facecolor()) for container in axes.containers}) == 12
