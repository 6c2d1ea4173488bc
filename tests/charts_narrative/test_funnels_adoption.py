"""Funnel and adoption charts (through chart.to_dict()) and narrative sentences (exact text) on hand-made results."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from lib.charts import adoption as adoption_charts
from lib.charts import funnels as funnel_charts
from lib.metrics.adoption_results import AdoptionPeriod, FeatureSummary
from lib.metrics.funnel_results import FunnelPeriod, FunnelResult, FunnelStep
from lib.narrative import adoption as adoption_text
from lib.narrative import funnels as funnel_text


def result(segment: str, users: list[int], maturing: int = 0) -> FunnelResult:
    """A funnel result over steps a, b, c with the given counts (rates computed as funnel_results does)."""
    steps = tuple(
        FunnelStep(
            k + 1,
            name,
            n,
            1.0 if k == 0 else n / users[k - 1],
            n / users[0],
            0 if k == 0 else users[k - 1] - n,
            None if k == 0 else 2.0 * k,
            None if k == 0 else 3.0 * k,
            None if k == 0 else 4.0 * k,
        )
        for k, (name, n) in enumerate(zip(("signup", "profile_completed", "first_project"), users, strict=True))
    )
    return FunnelResult("Onboarding", segment, 7, users[0], maturing, steps)


BEFORE = result("before", [1000, 800, 500])
AFTER = result("after", [1000, 820, 410], maturing=37)


def test_funnel_sentences() -> None:
    assert funnel_text.overall(AFTER) == (
        "41% of users who did signup reached first_project within 7 days (410 of 1,000). "
        "37 more are still inside their window and not counted yet."
    )
    assert funnel_text.biggest_drop(AFTER) == (
        "The biggest drop is from profile_completed to first_project: 50% of users stop there (410 people)."
    )
    assert funnel_text.before_after(BEFORE, AFTER, "2.0") == (
        "Only 41% of new users reach first_project within 7 days after 2.0, 9 points below the 28 days before (50%)."
    )
    assert funnel_text.before_after(AFTER, BEFORE, "2.0") == (
        "50% of new users reach first_project within 7 days after 2.0, 9 points above the 28 days before (41%)."
    )


def test_trend_sentence_names_maturing_periods() -> None:
    periods = [
        FunnelPeriod("all", date(2026, 9, 7), 100, 0, 40, 0.4, True),
        FunnelPeriod("all", date(2026, 9, 14), 90, 12, 30, 1 / 3, False),
    ]
    assert funnel_text.trend(periods) == (
        "Users who entered in the period starting 07 September 2026 converted at 40%. "
        "The 1 later period is still maturing (hollow points)."
    )
    assert funnel_text.trend(periods[1:]) is None


def test_funnel_charts_encode_the_result() -> None:
    spec = funnel_charts.funnel_steps([BEFORE, AFTER]).to_dict()
    data = next(iter(spec["datasets"].values()))
    assert [row["users"] for row in data] == [1000, 800, 500, 1000, 820, 410]
    assert spec["layer"][0]["encoding"]["yOffset"]["field"] == "segment"
    ttc = funnel_charts.time_to_convert(AFTER).to_dict()
    assert [row["p50_hours"] for row in next(iter(ttc["datasets"].values()))] == [2.0, 4.0]
    periods = [FunnelPeriod("all", date(2026, 9, 7), 100, 0, 40, 0.4, True)]
    trend = funnel_charts.conversion_trend(periods, [("2.0", date(2026, 9, 7))]).to_dict()
    assert len(trend["layer"]) == 3  # line, points, release marker


PERIODS = [
    AdoptionPeriod("Export", date(2026, 9, 7), 100, 20, 0.2, 50, 30, 5, True),
    AdoptionPeriod("Export", date(2026, 9, 14), 100, 25, 0.25, 60, 40, 10, False),
]
EXPORT = FeatureSummary("Export", date(2026, 8, 1), 0.21, 1.4, 0.5, 0.62, 0.35, 26649, "core", 4)
COMMENTS = FeatureSummary("Comments", None, 0.02, 1.04, 0.1, 0.5, 0.5, 4745, "retire candidate", 4)


def test_adoption_sentences() -> None:
    assert adoption_text.feature_latest(PERIODS, "Export") == (
        "Export: 20% of active users used it in the period starting 07 September 2026 (20 of 100); "
        "50 users have used it so far."
    )
    assert adoption_text.matrix(COMMENTS) == (
        "Comments reaches 2% of active users, 1.0 uses per adopter per period: used by few and rarely: a candidate "
        "to rethink or retire."
    )
    assert adoption_text.retention(EXPORT) == (
        "Users of Export come back the next period more often than other active users (62% vs 35%). This is an "
        "association, not proof that Export causes it."
    )
    comments = adoption_text.retention(COMMENTS)
    assert comments is not None and "as often as" in comments


def test_adoption_charts_encode_the_results() -> None:
    curve = adoption_charts.adoption_curve(PERIODS).to_dict()
    rows = next(iter(curve["datasets"].values()))
    assert [r["adoption_rate"] for r in rows] == [0.2, 0.25]
    assert [r["complete"] for r in rows] == [True, False]
    matrix = adoption_charts.engagement_matrix([EXPORT, COMMENTS]).to_dict()
    assert matrix["layer"][0]["encoding"]["x"]["field"] == "breadth"
    ret = adoption_charts.adopter_retention([EXPORT]).to_dict()
    assert "association, not cause" in str(ret["title"])
    nan_summary = FeatureSummary("X", None, math.nan, math.nan, math.nan, math.nan, math.nan, 0, "retire candidate", 0)
    assert adoption_text.matrix(nan_summary) == "X: no complete period yet."


@pytest.mark.parametrize("segment", ["before", "after"])
def test_no_entries_sentence_is_the_reason(segment: str) -> None:
    empty = FunnelResult("Onboarding", segment, 7, 0, 3, AFTER.steps, "no_entries", "No user entered.")
    assert funnel_text.overall(empty) == "No user entered."
    assert funnel_text.before_after(BEFORE, empty, "2.0") == "Not enough complete entries after 2.0 to compare yet."


def test_depth_bars_give_each_feature_room_for_its_label() -> None:
    depth = pd.DataFrame(
        {
            "feature": ["Comments", "Comments", "Export", "Export"],
            "uses_per_adopter": ["1", "2", "1", "2"],
            "adopters": [90, 10, 60, 40],
            "share": [0.9, 0.1, 0.6, 0.4],
        }
    )
    spec = adoption_charts.depth_bars(depth).to_dict()
    # 2 features: 112 px of plot (the reviewer's labels overlapped in a squeezed ~40 px plot).
    assert spec["height"] == 112 and spec["autosize"]["type"] == "fit-x"
    assert spec["encoding"]["y"]["axis"] == {"labelOverlap": False}
