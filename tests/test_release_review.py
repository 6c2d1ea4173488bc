"""Release review (lib/release_review.py): golden before/after and target numbers on a tiny hand-made table
(DuckDB and PostgreSQL), the sample product's documented 2.0 targets, narrative sentences, charts, the page.

Tiny product (UTC, signup = anchor, every user has a ``signup`` event at signup_at; 2024 is a leap year):
release R on Monday 2024-03-04, as_of 2024-03-12 (``--end``). Metrics: ``conv`` = a ``buy`` within 2 days
(48 h) of signup; ``d1`` = any event on local day 1 after signup.

| user | signup (UTC)     | buy              | conv | d1 | note                                            |
|------|------------------|------------------|------|----|-------------------------------------------------|
| u1   | 02-25 23:00      | 02-26 08:00      | 1    | 1  | before the 1-week window, inside the 90 days    |
| u2   | 02-26 10:00      | 02-27 09:00      | 1    | 1  |                                                 |
| u3   | 02-28 12:00      | 03-01 12:00      | 0    | 0  | buy exactly at +48 h (excluded); 03-01 is day 2 |
| u4   | 03-03 20:00      | -                | 0    | 0  |                                                 |
| u5   | 03-04 00:00      | 03-04 01:00      | 1    | 0  | first after-release user (release day counts)   |
| u6   | 03-06 10:00      | 03-07 09:00      | 1    | 1  |                                                 |
| u7   | 03-09 12:00      | -                | 0    | 0  |                                                 |
| u8   | 03-10 23:00      | 03-11 01:00      | 1    | 1  | conv window ends 03-12 23:00 <= as_of end       |
| u9   | 03-11 06:00      | 03-11 07:00      | 1*   | 0  | *immature for conv (ends 03-13 06:00)           |

Before/after: N = whole weeks from 03-04 to as_of − lag: conv (lag 2) 03-04..03-10 = 7 days -> 1 week;
d1 (lag 1) 03-04..03-11 = 8 days -> 1 week. So before = anchors 02-26..03-03 (u2, u3, u4), after =
03-04..03-10 (u5, u6, u7, u8).
- conv: before 1/3, after 3/4, change (0.75 − 1/3)/(1/3) = +1.25.
- d1: before 1/3, after 2/4, change +0.5.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from scipy import stats as sps

from lib.charts import release as charts
from lib.config import (
    MetricConfig,
    NorthStarConfig,
    ReleaseConfig,
    ReviewConfig,
    SourceConfig,
    TargetConfig,
    resolve_config,
)
from lib.context import Context, open_context
from lib.definitions import as_of_from
from lib.errors import ReviewError
from lib.narrative import release as narrative
from lib.release_review import (
    AnchorGroup,
    Comparison,
    before_after_weeks,
    comparison_from,
    review_release,
    target_status,
)
from lib.release_review_sql import GroupQuery, group_stats, weekly_stats
from lib.schema import Tables
from lib.stats import SampleStats
from tests.backends import DbBackend

CONV = MetricConfig("conv", "conversion", "buy", 2, None, None, True)
D1 = MetricConfig("d1", "retention", None, None, 1, None, True)
RELEASE = date(2024, 3, 4)
AS_OF = date(2024, 3, 12)

SIGNUPS = {
    1: "2024-02-25 23:00", 2: "2024-02-26 10:00", 3: "2024-02-28 12:00", 4: "2024-03-03 20:00",
    5: "2024-03-04 00:00", 6: "2024-03-06 10:00", 7: "2024-03-09 12:00", 8: "2024-03-10 23:00",
    9: "2024-03-11 06:00",
}  # fmt: skip
BUYS = {
    1: "2024-02-26 08:00", 2: "2024-02-27 09:00", 3: "2024-03-01 12:00", 5: "2024-03-04 01:00",
    6: "2024-03-07 09:00", 8: "2024-03-11 01:00", 9: "2024-03-11 07:00",
}  # fmt: skip


def _tables() -> dict[str, pd.DataFrame]:
    users = pd.DataFrame(
        {
            "user_id": pd.Series(list(SIGNUPS), dtype="int64"),
            "signup_at": pd.to_datetime(list(SIGNUPS.values()), utc=True).as_unit("us"),
        }
    )
    rows = [(u, "signup", t) for u, t in SIGNUPS.items()] + [(u, "buy", t) for u, t in BUYS.items()]
    events = pd.DataFrame(
        {
            "user_id": pd.Series([r[0] for r in rows], dtype="int64"),
            "event": pd.Series([r[1] for r in rows], dtype="str"),
            "timestamp": pd.to_datetime([r[2] for r in rows], utc=True).as_unit("us"),
        }
    )
    return {"events": events, "users": users}


def _config(url: str) -> ReviewConfig:
    return ReviewConfig(
        source=SourceConfig(url=url),
        metrics={"conv": CONV, "d1": D1},
        releases=(ReleaseConfig("R", RELEASE),),
        targets=(TargetConfig("conv", 0.5, "R", date(2024, 3, 8)), TargetConfig("d1", 0.1, "R", date(2024, 3, 20))),
        north_star=NorthStarConfig("conv", ("d1",)),
    )


@pytest.fixture
def tiny(db_backend: DbBackend) -> Iterator[Context]:
    db_backend.load(_tables())
    ctx = open_context(_config(db_backend.url), end=AS_OF)
    yield ctx
    ctx.source.engine.dispose()


def _welch_ci(b: SampleStats, a: SampleStats) -> tuple[float, float]:
    """Delta-method relative CI of DESIGN.md section 5 with Welch df, binary variance p(1 − p)."""
    mb, ma = b.sum / b.n, a.sum / a.n
    vb, va = mb * (1 - mb), ma * (1 - ma)
    se = math.sqrt(va / (a.n * mb**2) + vb * ma**2 / (b.n * mb**4))
    x, y = vb / b.n, va / a.n
    df = (x + y) ** 2 / (x * x / (b.n - 1) + y * y / (a.n - 1))
    half = float(sps.t.ppf(0.975, df)) * se
    change = (ma - mb) / mb
    return change - half, change + half


def test_before_after_golden(tiny: Context) -> None:
    review = review_release(tiny, "R")
    got = {c.metric: c for c in review.before_after}
    conv, d1 = got["conv"], got["d1"]
    assert (conv.weeks, d1.weeks) == (1, 1)
    assert (conv.before_first, conv.before_last, conv.after_first, conv.after_last) == (
        date(2024, 2, 26),
        date(2024, 3, 3),
        date(2024, 3, 4),
        date(2024, 3, 10),
    )
    assert (conv.before_n, conv.after_n, d1.before_n, d1.after_n) == (3, 4, 3, 4)
    assert conv.before_mean == pytest.approx(1 / 3) and conv.after_mean == pytest.approx(0.75)
    assert conv.change == pytest.approx(1.25)
    assert (conv.ci_low, conv.ci_high) == pytest.approx(_welch_ci(SampleStats(3, 1, 1), SampleStats(4, 3, 3)))
    assert d1.before_mean == pytest.approx(1 / 3) and d1.after_mean == pytest.approx(0.5)
    assert d1.change == pytest.approx(0.5)
    assert (d1.ci_low, d1.ci_high) == pytest.approx(_welch_ci(SampleStats(3, 1, 1), SampleStats(4, 2, 2)))


def test_targets_golden(tiny: Context) -> None:
    review = review_release(tiny, "R")
    conv, d1 = review.targets
    # conv, judged at by = 03-08 (as_of is later): baseline = 90 days before R = u1..u4 -> 2/4; current =
    # anchors 03-04..03-08 mature by the end of 03-08 = u5, u6 -> 2/2; +100% >= +50% -> met, progress 2.
    assert (conv.judged_at, conv.comparison.before_n, conv.comparison.after_n) == (date(2024, 3, 8), 4, 2)
    assert conv.comparison.change == pytest.approx(1.0)
    assert (conv.status, conv.progress, conv.days_left) == ("met", pytest.approx(2.0), 0)
    # d1, by 03-20 (8 days left): baseline u1, u2 of u1..u4 = 0.5; current u5..u9 (u9's day 1 = 03-12 is
    # mature) with u6, u8 active on day 1 = 2/5 = 0.4; change -20% -> behind.
    assert (d1.comparison.before_n, d1.comparison.after_n) == (4, 5)
    assert d1.comparison.change == pytest.approx(-0.2)
    assert (d1.status, d1.days_left) == ("behind", 8)
    assert d1.progress == pytest.approx(-2.0)


def test_north_star_and_links(tiny: Context) -> None:
    review = review_release(tiny, "R")
    assert review.north_star is not None
    assert [c.metric for c in review.north_star.comparisons] == ["conv", "d1"]
    # North Star after-group: every mature user anchored from R: conv u5, u6, u7, u8 (u9 immature) = 3/4.
    assert review.north_star.comparisons[0].after_n == 4
    assert review.north_star.comparisons[0].after_mean == pytest.approx(0.75)
    weekly = review.north_star.weekly
    assert list(weekly.columns) == ["metric", "role", "week", "n", "value", "ci_low", "ci_high"]
    # Anchor weeks (Mondays): 02-19 has u1, 02-26 has u2..u4, 03-04 has u5..u8 (conv mature), 03-11 has u9
    # (conv immature -> dropped; d1 mature -> kept).
    conv_weeks = weekly[weekly["metric"] == "conv"].set_index("week")
    assert list(conv_weeks.index) == [date(2024, 2, 19), date(2024, 2, 26), date(2024, 3, 4)]
    assert list(conv_weeks["n"]) == [1, 3, 4]
    assert conv_weeks.loc[date(2024, 3, 4), "value"] == pytest.approx(0.75)
    assert weekly[weekly["metric"] == "d1"]["week"].max() == date(2024, 3, 11)
    assert [(link.page, dict(link.query_params)) for link in review.links][:1] == [
        ("views/retention.py", {"release": "R"})
    ]


def test_unknown_release_lists_configured_ones(tiny: Context) -> None:
    with pytest.raises(ReviewError, match=r"No release named '9\.9'.*configured: R"):
        review_release(tiny, "9.9")


@pytest.mark.parametrize(
    ("as_of", "lag_metric", "weeks"),
    [
        (date(2026, 11, 22), MetricConfig("a", "conversion", "x", 7, None, None, True), 10),  # 76 days
        (date(2026, 11, 22), MetricConfig("p", "mean", "x", 14, None, None, True), 9),  # 69 days
        (date(2026, 9, 13), MetricConfig("r", "retention", None, None, 7, None, True), 0),  # 6 days
        (date(2027, 6, 1), MetricConfig("r", "retention", None, None, 7, None, True), 12),  # capped
    ],
    ids=["conv7", "mean14", "too_early", "capped"],
)
def test_before_after_weeks(as_of: date, lag_metric: MetricConfig, weeks: int) -> None:
    assert before_after_weeks(date(2026, 9, 1), as_of, lag_metric) == weeks


def _cmp(change_stats: tuple[SampleStats, SampleStats], metric: MetricConfig = CONV) -> Comparison:
    b, a = (
        AnchorGroup("before", date(2026, 6, 3), date(2026, 8, 31)),
        AnchorGroup("after", date(2026, 9, 1), date(2026, 10, 15)),
    )
    return comparison_from(metric, b, a, {"before": change_stats[0], "after": change_stats[1]})


@pytest.mark.parametrize(
    ("after", "final", "status"),
    [
        (SampleStats(10_000, 2_600, 2_600), False, "met"),  # +30%, interval well above 0
        (SampleStats(100, 21, 21), False, "on track"),  # +5%, wide interval reaching +10%
        (SampleStats(10_000, 1_950, 1_950), False, "behind"),  # -2.5%
        (SampleStats(10_000, 2_100, 2_100), True, "missed"),  # +5% < +10% at the deadline
        (SampleStats(10_000, 2_200, 2_200), True, "met"),  # +10% exactly at the deadline
        (SampleStats(0, 0, 0), False, "no data"),
    ],
    ids=["met", "on_track", "behind", "missed", "met_final", "no_data"],
)
def test_target_status(after: SampleStats, final: bool, status: str) -> None:
    before = SampleStats(10_000, 2_000, 2_000)  # 20%
    assert target_status(0.10, _cmp((before, after)), final) == status


def test_no_users_is_inconclusive_with_reason() -> None:
    c = _cmp((SampleStats(0, 0, 0), SampleStats(5, 1, 1)))
    assert (c.status, c.reason) == ("inconclusive", "no_users")
    assert math.isnan(c.change)


def test_sample_product_targets_as_documented() -> None:
    """sample_data/README.md, "Targets in review.toml, both met"."""
    ctx = open_context(resolve_config(None, None))
    try:
        review = review_release(ctx, "2.0")
    finally:
        ctx.source.engine.dispose()
    got = {t.metric: t for t in review.targets}
    d7, act = got["retained_d7"], got["activated"]
    assert (round(d7.comparison.before_mean, 4), round(d7.comparison.after_mean, 4)) == (0.2291, 0.2528)
    assert round(d7.comparison.change, 4) == 0.1035
    assert (round(act.comparison.before_mean, 4), round(act.comparison.after_mean, 4)) == (0.3761, 0.4968)
    assert round(act.comparison.change, 3) == 0.321
    assert (d7.status, act.status) == ("met", "met")
    assert (d7.comparison.before_first, d7.comparison.before_last) == (date(2026, 6, 3), date(2026, 8, 31))
    # Before/after activation steps up about 10 points at 2.0 (README story 1).
    ba = {c.metric: c for c in review.before_after}
    assert 0.09 < ba["activated"].abs_change < 0.13
    assert review.experiments == ("new_onboarding", "pricing_page", "checkout_redesign")


def _warehouse_dialects() -> list[Any]:
    from snowflake.sqlalchemy.snowdialect import SnowflakeDialect
    from sqlalchemy_bigquery import BigQueryDialect
    from trino.sqlalchemy.dialect import TrinoDialect

    return [TrinoDialect(), BigQueryDialect(), SnowflakeDialect()]


@pytest.mark.parametrize("dialect", _warehouse_dialects(), ids=lambda d: d.name)
def test_selects_compile_for_warehouse_dialects(dialect: Any) -> None:
    events = sa.select(sa.table("ev", sa.column("user_id"), sa.column("event"), sa.column("ts"))).subquery("events")
    users = sa.select(sa.table("us", sa.column("user_id"), sa.column("signup_at"))).subquery("users")
    tables = Tables(events, users, None, "Europe/Paris", (), (), has_signup=True)
    as_of = as_of_from(None, "Europe/Paris", AS_OF)
    assert as_of is not None
    groups = (AnchorGroup("before", date(2024, 2, 26), date(2024, 3, 3)), AnchorGroup("after", RELEASE, AS_OF))
    for stmt in (
        group_stats(tables, [GroupQuery(CONV, groups, as_of), GroupQuery(D1, groups, as_of)]),
        weekly_stats(tables, [CONV, D1], date(2024, 2, 5), as_of),
    ):
        sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        assert "anchors" in sql


# ----------------------------------------------------------------------------------------- narrative, charts
def _target_fixture() -> tuple[Comparison, object]:
    from lib.release_review import TargetProgress

    c = _cmp((SampleStats(10_000, 2_000, 2_000), SampleStats(10_000, 2_200, 2_200)))
    t = TargetProgress("conv", 0.05, "2.0", date(2026, 10, 15), date(2026, 10, 1), c, c.change / 0.05, "met", 14)
    return c, t


def test_narrative_sentences() -> None:
    c, t = _target_fixture()
    lo, hi = narrative.pct(c.ci_low), narrative.pct(c.ci_high)
    assert narrative.target_sentence(t) == (  # type: ignore[arg-type]
        f"conv: 20.0% over the 90 days before 2.0, 22.0% since (+10.0%, 95% interval {lo} to {hi}); the target "
        "is +5.0% by 15 Oct 2026: met, 14 days left."
    )
    week = Comparison(**{**c.__dict__, "weeks": 10})
    assert narrative.comparison_sentence(week, "2.0") == (
        f"conv: 20.0% in the 10 weeks before 2.0, 22.0% in the 10 weeks after (+10.0%, 95% interval {lo} to {hi})."
    )
    assert narrative.before_after_summary([week], "2.0")[-1].startswith("This is a before/after comparison, not an")


def test_charts_to_dict() -> None:
    c, t = _target_fixture()
    spec = charts.before_after_chart([c], "2.0").to_dict()
    data = next(v for v in spec["datasets"].values() if v and "verdict" in v[0])
    assert data[0]["verdict"] == "better" and data[0]["change"] == pytest.approx(0.1)
    tspec = charts.target_chart([t]).to_dict()  # type: ignore[list-item]
    assert any("wanted" in row for rows in tspec["datasets"].values() for row in rows)
    json.dumps(spec)


# ----------------------------------------------------------------------------------------- page
def test_release_page_renders() -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("views/release.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert len(at.get("vega_lite_chart")) == 3
    assert any("met (judged on data up to 15 Oct 2026)" in m.value for m in at.markdown)
