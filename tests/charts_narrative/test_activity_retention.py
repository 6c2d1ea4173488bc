"""Activity and retention charts (through ``to_dict()``) and narrative sentences (exact text)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from lib.charts import activity as activity_charts
from lib.charts import retention as retention_charts
from lib.metrics.retention_summary import PeriodReading, average_row
from lib.narrative import activity as activity_story
from lib.narrative import retention as retention_story

D = dt.date
RELEASES = [("2.0", D(2024, 2, 5)), ("0.1", D(2020, 1, 1))]


def _daily() -> pd.DataFrame:
    days = [D(2024, 1, 1) + dt.timedelta(days=i) for i in range(61)]
    mau = [None] * 29 + [1000 + 10 * i for i in range(32)]
    return pd.DataFrame(
        {
            "date": days,
            "dau": [100] * 61,
            "wau": pd.array([None] * 6 + [400] * 55, dtype="Int64"),
            "mau": pd.array(mau, dtype="Int64"),
            "stickiness": [None if m is None else 100 / m for m in mau],
        }
    )


CELLS = pd.DataFrame(
    {
        "cohort": [D(2024, 1, 29)] * 3 + [D(2024, 2, 5)] * 2,
        "cohort_size": [4, 4, 4, 2, 2],
        "period": [0, 1, 2, 0, 1],
        "active": [3, 1, 1, 2, 1],
        "eligible": [4, 4, 4, 2, 2],
        "mature": [True, True, False, True, False],
        "rate": [0.75, 0.25, 0.25, 1.0, 0.5],
    }
)


def _layers(spec: dict) -> list[dict]:
    out: list[dict] = []
    for layer in spec.get("layer", [spec]):
        out.extend(_layers(layer) if "layer" in layer else [layer])
    return out


def test_active_users_chart_has_three_series_and_only_in_range_release_markers() -> None:
    spec = activity_charts.active_users_chart(_daily(), RELEASES).to_dict()
    layers = _layers(spec)
    assert layers[0]["mark"]["type"] == "line"
    datasets = spec["datasets"]
    series = {row["series"] for rows in datasets.values() for row in rows if "series" in row}
    assert series == {"DAU", "WAU", "MAU"}
    markers = [row["release"] for rows in datasets.values() for row in rows if "release" in row]
    assert markers == ["2.0"]  # 0.1 is outside the chart's dates
    assert spec["config"]["axis"]["labelFontSize"] >= 16


def test_lifecycle_chart_puts_dormant_below_zero() -> None:
    life = pd.DataFrame(
        {
            "period_start": [D(2024, 1, 1)],
            "new": [3],
            "returning": [1],
            "resurrected": [0],
            "dormant": [-2],
            "active": [4],
        }
    )
    spec = activity_charts.lifecycle_chart(life).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert {r["group"]: r["users"] for r in rows} == {
        "new": 3,
        "returning": 1,
        "resurrected": 0,
        "dormant": -2,
    }


def test_heatmap_annotates_rates_and_marks_immature_cells() -> None:
    spec = retention_charts.heatmap(CELLS, "week").to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert [r["label"] for r in rows] == ["75%", "25%", "25%*", "100%", "50%*"]
    assert [r["state"] for r in rows] == ["mature", "mature", "immature", "mature", "immature"]
    layers = _layers(spec)
    assert layers[1]["mark"]["color"] == "#E0E0E0"  # immature cells greyed
    assert layers[2]["mark"]["fontSize"] >= 14


def test_curves_draw_average_and_baseline() -> None:
    avg = average_row(CELLS)
    spec = retention_charts.curves(CELLS, avg, avg.assign(rate=avg["rate"] - 0.1), "week").to_dict()
    names = {r.get("series") for rows in spec["datasets"].values() for r in rows}
    assert {"average (mature cohorts)", "90-day baseline"} <= names


def test_activity_summary_exact() -> None:
    reading = activity_story.read_activity(_daily())
    assert reading == activity_story.ActivityReading(D(2024, 3, 1), 100, 400, 1310, 100 / 1310, 1010)
    assert activity_story.activity_summary(reading) == (
        "On Friday 1 March, 100 people used the product and 1,310 did in the last 30 days, so stickiness "
        "(DAU/MAU) is 8%. Monthly active users are up 30% on 30 days earlier (1,010)."
    )


def test_activity_summary_before_a_full_month() -> None:
    r = activity_story.ActivityReading(D(2024, 1, 10), 5, 12, None, None, None)
    assert activity_story.activity_summary(r) == (
        "On Wednesday 10 January, 5 people used the product. The data covers less than 30 days, so monthly active "
        "users and stickiness are not shown yet."
    )


def test_lifecycle_summary_exact() -> None:
    life = pd.DataFrame(
        {
            "period_start": [D(2024, 2, 12)],
            "new": [1],
            "returning": [0],
            "resurrected": [1],
            "dormant": [-1],
            "active": [2],
        }
    )
    assert activity_story.lifecycle_summary(life, "week") == (
        "In the week of 12 February, 2 users were active: 1 new, 0 returning and 1 back after a break. 1 users "
        "active the week before did not come back (shown below zero)."
    )


def test_average_summary_exact() -> None:
    assert retention_story.average_summary(average_row(CELLS), "week") == (
        "Across mature cohorts, 25% of users come back in week 1. Averages are weighted by cohort size and leave "
        "out periods that have not ended yet (grey cells with an asterisk)."
    )


def test_release_summary_exact() -> None:
    above = PeriodReading(4, 0.31, 0.27, 0.04, 1234, 5678, True)
    assert retention_story.release_summary(above, "2.0", "week") == (
        "Week-4 retention of the 2.0 cohorts is 31%, 4 points above the 90-day baseline (27%). The gap is larger "
        "than chance would make it at these sizes (1,234 and 5,678 users)."
    )
    noise = PeriodReading(1, 0.50, 0.51, -0.01, 20, 30, False)
    assert retention_story.release_summary(noise, "2.0", "month") == (
        "Month-1 retention of the 2.0 cohorts is 50%, 1 point below the 90-day baseline (51%). At these sizes "
        "(20 and 30 users) the gap could be chance; the shaded bands overlap."
    )
    assert retention_story.release_summary(None, "2.0", "week").startswith("No cohort that joined after 2.0")


def test_segment_summary_exact() -> None:
    averages = pd.DataFrame({"segment": ["organic", "paid"], "period": [1, 1], "rate": [0.28, 0.15]})
    assert retention_story.segment_summary(averages, "channel", "day", k=1) == (
        "By channel, day 1 retention is lowest for paid (15%) and highest for organic (28%). This is a "
        "correlation between who users are and how they retain, not proof of cause."
    )


def _x_axes(spec: dict) -> list[dict]:
    return [layer["encoding"]["x"] for layer in _layers(spec) if "x" in layer.get("encoding", {})]


def test_retention_curves_have_integer_period_ticks() -> None:
    # Periods are whole numbers: the reviewer saw "0.0, 1.0 … 11.0" and "0.0, 0.2 … 5.0" on these axes.
    avg = average_row(CELLS)
    comparison = pd.DataFrame(
        {
            "period": [0, 1],
            "rate": [1.0, 0.5],
            "rate_low": [0.9, 0.4],
            "rate_high": [1.0, 0.6],
            "eligible": [10, 10],
            "baseline_rate": [1.0, 0.4],
            "baseline_low": [0.9, 0.3],
            "baseline_high": [1.0, 0.5],
            "baseline_eligible": [20, 20],
        }
    )
    specs = [
        retention_charts.curves(CELLS, avg, None, "week").to_dict(),
        retention_charts.release_comparison(comparison, "2.0", "week").to_dict(),
        retention_charts.segment_curves(avg.assign(segment="pro"), "plan", "month").to_dict(),
    ]
    for spec in specs:
        axes = _x_axes(spec)
        assert axes and all(x["field"] == "period" for x in axes)
        assert all(x["axis"]["format"] == "d" and x["axis"]["tickMinStep"] == 1 for x in axes)
    assert _x_axes(specs[2])[0]["title"] == "Month after joining"
