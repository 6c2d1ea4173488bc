"""The shared chart theme: container width in the app, numeric width in exports, presentation sizes."""

from __future__ import annotations

import re
from datetime import date

import altair as alt
import pandas as pd

from lib.charts import theme

FRAME = pd.DataFrame({"x": [1, 2, 3], "y": [0.1, 0.2, 0.3]})


def _chart() -> alt.Chart:
    return theme.base(alt.Chart(FRAME).mark_line().encode(x="x:Q", y="y:Q"), "Title", height=200)


def test_chart_fills_its_container_and_height_is_the_plot() -> None:
    spec = _chart().to_dict()
    assert spec["width"] == "container" and spec["height"] == 200
    # fit-x: width follows the container; the height is not shared with the title, axes and legend.
    assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}
    assert spec["config"]["axis"]["labelFontSize"] == theme.LABEL_SIZE == 16


def test_exports_get_a_numeric_width() -> None:
    assert theme.export_spec(_chart())["width"] == theme.WIDTH
    svg = theme.to_svg(_chart())
    width = float(re.search(r'<svg[^>]* width="([0-9.]+)"', svg).group(1))  # type: ignore[union-attr]
    assert width == theme.WIDTH  # fit-x: the whole figure is WIDTH pixels wide


def test_presentation_enlarges_type_and_plot() -> None:
    chart = _chart()
    spec = theme.presentation(chart).to_dict()
    assert spec["config"]["axis"]["labelFontSize"] == theme.PRESENT_LABEL_SIZE == 24
    assert spec["config"]["legend"]["labelFontSize"] == 24 and spec["config"]["title"]["fontSize"] == 30
    assert spec["config"]["axis"]["labelLimit"] == 16 * 24  # longer labels before "…" at the larger size
    assert spec["height"] == 300  # 200 x 1.5
    assert chart.to_dict()["height"] == 200  # the original is untouched


def test_presentation_of_stacked_panels_scales_each_panel() -> None:
    panel = alt.Chart(FRAME).mark_line().encode(x="x:Q", y="y:Q").properties(width=theme.WIDTH, height=180)
    stacked = theme.base(alt.vconcat(panel, panel))
    spec = stacked.to_dict()
    assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}
    assert [p["height"] for p in theme.presentation(stacked).to_dict()["vconcat"]] == [270, 270]


def test_release_labels_alternate_rows() -> None:
    releases = [("1.9", date(2026, 6, 28)), ("Comments released", date(2026, 6, 15)), ("2.0", date(2026, 9, 1))]
    spec = theme.release_rules(releases).to_dict()
    texts = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    assert [t["mark"]["dy"] for t in texts] == [4, 24]
    rows = next(iter(spec["datasets"].values()))
    # Sorted by date, neighbours on different rows: close dates no longer overprint each other.
    assert [(r["release"], r["row"]) for r in rows] == [("Comments released", 0), ("1.9", 1), ("2.0", 0)]
