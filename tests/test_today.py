"""The Today page: KPI tile deltas against the usual value, exact sentences, experiment verdict changes on the
sample product, and the page itself rendered headless (AppTest) on the default day and the outage day."""

from __future__ import annotations

import dataclasses
import math
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib.anomaly_check import CheckRow as ReExportedRow
from lib.anomaly_results import CheckResult, CheckRow, Contribution, SeriesSpec
from lib.config import resolve_config
from lib.context import Context, open_context
from lib.narrative import today as narrative
from lib.stats.anomaly import Score
from lib.today import ExperimentStatus, delta_color, experiment_statuses, kpi_delta

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TUESDAY = date(2026, 11, 10)  # the planted android outage (sample_data/README.md)
DAU = SeriesSpec("dau", "DAU", "count", 0, True)
ERRORS = SeriesSpec("errors", "errors", "mean", 7, False)
ACTIVATED = SeriesSpec("activated", "activated", "proportion", 7, True)


def _row(spec: SeriesSpec, value: float, expected: float, low: float, high: float, severity: str = "high",
         contribution: Contribution | None = None) -> CheckRow:
    change = (value - expected) / expected
    direction = "down" if value < expected else "up"
    bad = (direction == "down") == spec.higher_is_better
    score = Score(value, expected, low, high, change, 2.0, severity, direction, bad)  # type: ignore[arg-type]
    day = TUESDAY if not spec.lag else date(2026, 11, 3)
    return CheckRow(spec, "all", day, TUESDAY, value, score, contribution)


# ----------------------------------------------------------------------------------------- KPI tiles
def test_result_types_are_re_exported_from_anomaly_check() -> None:
    assert ReExportedRow is CheckRow


@pytest.mark.parametrize(
    ("spec", "value", "expected", "low", "high", "severity", "delta", "diff", "color"),
    [
        # 820 vs 1,000 expected: 820 - 1000 = -180, -18% (the brief's example), a drop of a good number.
        pytest.param(DAU, 820.0, 1000.0, 850.0, 1150.0, "high", "-18% vs usual Tuesday", -180.0, "normal",
                     id="dau-drop"),
        # Inside the band: same arithmetic, grey (nothing to look at).
        pytest.param(DAU, 1050.0, 1000.0, 850.0, 1150.0, "none", "+5% vs usual Tuesday", 50.0, "off", id="in-band"),
        # errors per user 1.5 vs 1.2: +25%, a rise of a lower-is-better metric -> inverse colours.
        pytest.param(ERRORS, 1.5, 1.2, 1.0, 1.4, "medium", "+25% vs usual Tuesday", 0.3, "inverse", id="errors-up"),
        # A rate moves in points: 45.0% vs 48.2% = -3.2 points.
        pytest.param(ACTIVATED, 0.450, 0.482, 0.46, 0.50, "low", "-3.2 points vs usual Tuesday", -0.032, "normal",
                     id="rate-points"),
    ],
)
def test_kpi_delta_against_the_expected_value(spec: SeriesSpec, value: float, expected: float, low: float,
                                              high: float, severity: str, delta: str, diff: float,
                                              color: str) -> None:
    row = _row(spec, value, expected, low, high, severity)
    assert kpi_delta(row) == pytest.approx(diff)
    assert narrative.tile_delta(row) == delta
    assert delta_color(row) == color


def test_tile_delta_sign_is_ascii_so_st_metric_points_the_arrow_down() -> None:
    # st.metric reads the direction from a leading ASCII "-" (streamlit/elements/metric.py _is_negative_delta).
    assert narrative.tile_delta(_row(DAU, 820.0, 1000.0, 850.0, 1150.0)).startswith("-")


def test_tile_label_value_and_help_texts() -> None:
    row = _row(DAU, 3771.0, 5090.0, 3823.0, 6357.0)
    assert narrative.tile_value(row) == "3,771"
    assert narrative.tile_label(row) == "DAU"
    assert narrative.tile_help(row) == (
        "Expected 5,090 for a Tuesday; usual range 3,823–6,357 (outside it: flagged)."
    )
    rate = _row(ACTIVATED, 0.477, 0.497, 0.404, 0.591, "none")
    assert narrative.tile_label(rate) == "activated (03 Nov signups)"
    assert narrative.tile_value(rate) == "47.7%"
    assert narrative.tile_delta(rate) == "-2.0 points vs usual Tuesday"
    assert narrative.tile_help(rate) == (
        "Expected 49.7% for a Tuesday; usual range 40.4%–59.1% (inside it: nothing to do)."
    )


def test_anomaly_table_names_the_segment_that_moved() -> None:
    row = _row(DAU, 3771.0, 5090.0, 3823.0, 6357.0, contribution=Contribution("platform=android", -0.71, 0.95))
    result = CheckResult(TUESDAY, (row,))
    (record,) = narrative.anomaly_table(result, [[1.0, math.nan, 3.0]])
    assert record["what moved"] == "platform=android −71% (95% of it)"
    assert record["change"] == "−26%"
    assert record["last 4 weeks"] == [1.0, None, 3.0]


# ----------------------------------------------------------------------------------------- experiment sentences
def _status(verdict: str | None, previous: str | None, provisional: bool = False, running: bool = True,
            reason: str = "SHIP: the bar is met.") -> ExperimentStatus:
    return ExperimentStatus("new_onboarding", date(2026, 9, 21), verdict, previous,  # type: ignore[arg-type]
                            provisional, running, reason)


def test_experiment_sentences() -> None:
    changed = _status("SHIP", "KEEP_RUNNING")
    same = _status("KEEP_RUNNING", "KEEP_RUNNING", provisional=True, reason="KEEP_RUNNING: not yet.")
    assert changed.changed and not same.changed
    assert narrative.experiment_line(changed) == (
        "**new_onboarding** changed from KEEP_RUNNING to **SHIP**. SHIP: the bar is met."
    )
    assert narrative.experiment_line(same) == (
        "**new_onboarding**: KEEP_RUNNING (provisional), as the day before. KEEP_RUNNING: not yet."
    )
    assert narrative.experiment_line(_status("SHIP", None)) == (
        "**new_onboarding** started: **SHIP**. SHIP: the bar is met."
    )
    assert narrative.experiment_line(_status(None, None, reason="No user is assigned.")) == (
        "**new_onboarding**: no verdict on 21 September. No user is assigned."
    )
    assert narrative.experiments_headline([changed]) == (
        "1 experiment changed its verdict: new_onboarding is now SHIP (was KEEP_RUNNING)."
    )
    assert narrative.experiments_headline([same]) == (
        "No experiment changed its verdict: new_onboarding is KEEP_RUNNING (provisional)."
    )
    assert narrative.experiments_headline([]) is None


# ----------------------------------------------------------------------------------------- on the sample product
@pytest.fixture(scope="module")
def sample() -> Context:
    return open_context(resolve_config(None, None))


def test_new_onboarding_turns_ship_on_21_september(sample: Context) -> None:
    # Found by reviewing every day from the start (2026-09-08): KEEP_RUNNING (provisional) up to the 20th,
    # SHIP from the 21st, when the always-valid interval first clears the bar with min_days reached.
    (status,) = experiment_statuses(sample.config, sample.tables, date(2026, 9, 21), sample.run)
    assert (status.experiment, status.previous, status.verdict, status.changed) == (
        "new_onboarding", "KEEP_RUNNING", "SHIP", True
    )
    assert status.running and not status.provisional


def test_the_day_before_the_change_is_no_news(sample: Context) -> None:
    (status,) = experiment_statuses(sample.config, sample.tables, date(2026, 9, 20), sample.run)
    assert (status.previous, status.verdict, status.changed) == ("KEEP_RUNNING", "KEEP_RUNNING", False)


def test_pricing_page_turns_dont_ship_and_is_listed_first(sample: Context) -> None:
    statuses = experiment_statuses(sample.config, sample.tables, date(2026, 10, 11), sample.run)
    assert [(s.experiment, s.previous, s.verdict) for s in statuses] == [
        ("pricing_page", "KEEP_RUNNING", "DONT_SHIP"),
    ]  # new_onboarding ended on 6 October and did not change: not listed


def test_no_assignments_table_means_no_experiment_section(sample: Context) -> None:
    tables = dataclasses.replace(sample.tables, assignments=None)

    def no_query(stmt: object) -> None:
        raise AssertionError("no query expected without an assignments table")

    assert experiment_statuses(sample.config, tables, date(2026, 9, 21), no_query) == ()


# ----------------------------------------------------------------------------------------- the page
def _today_page(day: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    if day:
        at.query_params["today_date"] = day
    at.run()
    at.switch_page("views/today.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def test_page_renders_on_the_default_day() -> None:
    at = _today_page()
    assert at.info, "the plain-language summary is missing"
    assert len(at.metric) >= 3
    assert [s.value for s in at.subheader][:2] == ["Key numbers vs a usual Sunday", "Anomalies, worst first"]


def test_page_on_the_outage_day_lists_android_first() -> None:
    at = _today_page("2026-11-10")
    assert at.date_input(key="today_date").value == TUESDAY
    summary = at.info[0].value
    assert summary.startswith("Tuesday 10 November 2026:")
    anomalies = at.dataframe[0].value
    assert anomalies["segment"].iloc[0] == "platform=android"
    assert anomalies["severity"].iloc[0] == "high (bad)"
    dau = next(m for m in at.metric if m.label == "DAU")
    assert dau.delta.startswith("-") and dau.delta.endswith("vs usual Tuesday")
