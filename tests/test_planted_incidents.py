"""The daily check on the sample product's planted stories (sample_data/README.md): the android tracking
outage of 2026-11-10 is found with the right segment, the 2.0 activation step is flagged, and ordinary days
stay quiet. The series are loaded ONCE for the whole range and every date is scored in Python."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
import pytest

from lib import anomaly_check as ac
from lib.config import resolve_config
from lib.context import Context, open_context

FIRST, LAST = date(2026, 9, 1), date(2026, 11, 22)
OUTAGE = date(2026, 11, 10)


@pytest.fixture(scope="module")
def loaded() -> tuple[Context, ac.DailySeries, list[Any]]:
    ctx = open_context(resolve_config(None, None))
    queries: list[Any] = []

    def counting(stmt: Any) -> pd.DataFrame:
        queries.append(stmt)
        return ctx.run(stmt)

    return ctx, ac.load_series(ctx, FIRST, LAST, counting), queries


def test_series_are_computed_once_for_the_whole_range(loaded: tuple[Context, ac.DailySeries, list[Any]]) -> None:
    ctx, _, queries = loaded
    # first day + activity + event types + signups + one per configured metric, whatever the number of dates.
    assert len(queries) == 4 + len(ctx.config.metrics)


def test_android_outage_is_flagged_with_the_segment_that_moved(
    loaded: tuple[Context, ac.DailySeries, list[Any]],
) -> None:
    _, series, _ = loaded
    result = ac.judge(series, OUTAGE)
    rows = {(r.spec.metric, r.segment): r for r in result.rows}
    for metric in ("dau", "events"):
        seg = rows[(metric, "platform=android")]
        assert (seg.score.severity, seg.score.direction, seg.score.bad) == ("high", "down", True)
        overall = rows[(metric, "all")]
        assert overall.flagged and overall.score.bad
        assert overall.contribution is not None and overall.contribution.segment == "platform=android"
        assert overall.contribution.share > 0.9
    # README: android events 580 on 11-10 (ratio 0.158 to the neighbours); DAU 513.
    assert rows[("events", "platform=android")].score.value == 580
    assert rows[("dau", "platform=android")].score.value == 513
    for quiet in ("platform=ios", "platform=web"):
        assert not rows[("dau", quiet)].flagged
    assert result.flagged[0].segment == "platform=android"


def test_release_2_0_activation_step_is_flagged_up_and_not_bad(
    loaded: tuple[Context, ac.DailySeries, list[Any]],
) -> None:
    _, series, _ = loaded
    # activated is judged 7 days late: on 09-09 the check reads the 09-02 signups, the first full 2.0 weekday.
    rows = ac.judge(series, date(2026, 9, 9)).rows
    row = next(r for r in rows if r.spec.metric == "activated" and r.segment == "all")
    assert row.date == date(2026, 9, 2)
    assert (row.flagged, row.score.direction, row.score.bad) == (True, "up", False)


def test_ordinary_days_stay_quiet(loaded: tuple[Context, ac.DailySeries, list[Any]]) -> None:
    _, series, _ = loaded
    # 33 ordinary days: after the October activity dip of the pricing_page experiment, up to the day before
    # the outage's cohorts mature (11-17 flags android activation of the 11-10 signups, which is right).
    days = [date(2026, 10, 14) + timedelta(days=i) for i in range(34)]
    days.remove(OUTAGE)
    assert len(days) >= 30
    noisy = [d for d in days if ac.judge(series, d).flagged]
    assert len(noisy) <= 1, noisy


def test_a_day_without_events_is_a_flagged_outage(loaded: tuple[Context, ac.DailySeries, list[Any]]) -> None:
    _, series, _ = loaded
    blank = ac.Daily(series.series[("events", "all")].origin, series.series[("events", "all")].value.copy(),
                     series.series[("events", "all")].count)
    idx = (OUTAGE - blank.origin).days
    blank.value[idx] = 0.0
    patched = ac.DailySeries(series.specs, {**series.series, ("events", "all"): blank}, series.first_day,
                             series.min_count)
    result = ac.judge(patched, OUTAGE)
    assert result.outage
    (row,) = [r for r in result.rows if r.outage]
    assert (row.score.severity, row.score.bad, row.spec.metric, row.segment) == ("high", True, "events", "all")


def test_explanation_and_chat_message_sentences() -> None:
    from lib.narrative.today import chat_message, explain
    from lib.stats.anomaly import Score

    spec = ac.SeriesSpec("dau", "DAU", "count", 0, True)
    score = Score(4100.0, 5000.0, 4250.0, 5750.0, -0.18, 1.2, "low", "down", True)
    row = ac.CheckRow(spec, "all", OUTAGE, OUTAGE, 4100.0, score, ac.Contribution("platform=android", -0.55, 0.9))
    assert explain(row) == (
        "DAU −18% vs the usual Tuesday (4,100 vs 5,000 expected, usual range 4,250–5,750); "
        "platform=android −55% explains 90% of it."
    )
    message = chat_message(ac.CheckResult(OUTAGE, (row,)))
    assert message.splitlines() == [
        ":rotating_light: *Daily check* — Tuesday 10 November 2026: 1 anomaly out of 1 checked numbers, "
        "1 of them in the bad direction.",
        "- [low, bad] " + explain(row),
    ]
