"""Golden feature-adoption tests on a hand-made log, on DuckDB and PostgreSQL, plus dialect compiles.

The expected numbers are counted by hand from the table in ``ROWS`` (definitions: lib/metrics/adoption.py).
Weeks (ISO, Monday): W1 = 31 Aug 2026, W2 = 7 Sep, W3 = 14 Sep; as_of = Sunday 20 Sep, so W3 is complete.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from lib import db
from lib.config import FeatureConfig
from lib.definitions import AsOf
from lib.metrics.adoption import adoption_select, depth_select, retention_select
from lib.metrics.adoption_results import (
    adoption_periods,
    adoption_table,
    depth_frame,
    summarize,
)
from lib.schema import Tables, build_tables
from tests.backends import DbBackend
from tests.metrics.test_funnels import compile_tables, events_frame, warehouse_dialects

AS_OF = AsOf(date(2026, 9, 20), datetime(2026, 9, 21, tzinfo=UTC))
EXPORT = FeatureConfig("Export", "export_clicked", date(2026, 9, 1))
COMMENTS = FeatureConfig("Comments", "comment_added", None)
FEATURES = (EXPORT, COMMENTS)
W1, W2, W3 = date(2026, 8, 31), date(2026, 9, 7), date(2026, 9, 14)

ROWS = [
    # u1: W1 open + 2 exports, W2 1 export, W3 open.
    (1, "open", "2026-09-01 09:00:00", "x"),
    (1, "export_clicked", "2026-09-01 09:10:00", "x"),
    (1, "export_clicked", "2026-09-02 09:10:00", "x"),
    (1, "export_clicked", "2026-09-08 09:10:00", "x"),
    (1, "open", "2026-09-15 09:00:00", "x"),
    # u2: W1 open; W2 open + export (its last second: Sunday 23:59:59 UTC); nothing in W3.
    (2, "open", "2026-09-01 09:00:00", "x"),
    (2, "open", "2026-09-08 09:00:00", "x"),
    (2, "export_clicked", "2026-09-13 23:59:59", "x"),
    # u3: W1 a comment; W3 open, export, comment.
    (3, "comment_added", "2026-09-02 12:00:00", "x"),
    (3, "open", "2026-09-16 09:00:00", "x"),
    (3, "export_clicked", "2026-09-16 09:05:00", "x"),
    (3, "comment_added", "2026-09-16 09:10:00", "x"),
    # u4: open in W2 and W3, never a feature.
    (4, "open", "2026-09-09 09:00:00", "x"),
    (4, "open", "2026-09-17 09:00:00", "x"),
    # u5: only an export in W3 (using a feature is activity).
    (5, "export_clicked", "2026-09-18 09:00:00", "x"),
    # after as_of: not reported
    (1, "export_clicked", "2026-09-22 09:00:00", "x"),
]


@pytest.fixture
def tables(db_backend: DbBackend) -> Iterator[tuple[db.Source, Tables]]:
    """The golden log loaded into the backend and opened through lib.db."""
    db_backend.load({"events": events_frame(ROWS)})
    source = db.open_source(url=db_backend.url)
    try:
        yield source, build_tables(source, "UTC")
    finally:
        source.engine.dispose()


def test_weekly_adoption_golden(tables: tuple[db.Source, Tables]) -> None:
    source, t = tables
    periods = adoption_periods(
        db.run(source, adoption_select(t, FEATURES, "week", as_of=AS_OF)), "week", AS_OF.date
    )
    got = [
        (p.feature, p.period_start, p.active_users, p.adopters, p.cumulative_adopters, p.uses)
        for p in periods
    ]
    # Active: W1 u1 u2 u3; W2 u1 u2 u4; W3 u1 u3 u4 u5. Export adopters W1 u1 (2 uses); W2 u1 u2; W3 u3 u5.
    assert got == [
        ("Comments", W1, 3, 1, 1, 1),
        ("Comments", W2, 3, 0, 1, 0),
        ("Comments", W3, 4, 1, 1, 1),
        ("Export", W1, 3, 1, 1, 2),
        ("Export", W2, 3, 2, 2, 2),
        ("Export", W3, 4, 2, 4, 2),
    ]
    export = [p for p in periods if p.feature == "Export"]
    assert [p.adoption_rate for p in export] == pytest.approx([1 / 3, 2 / 3, 0.5])
    assert all(p.complete for p in periods)


def test_contract_columns_and_start_keeps_cumulative_history(tables: tuple[db.Source, Tables]) -> None:
    source, t = tables
    stmt = adoption_select(t, (EXPORT,), "week", start=date(2026, 9, 9), as_of=AS_OF)
    table = adoption_table(adoption_periods(db.run(source, stmt), "week", AS_OF.date))
    assert list(table.columns) == [
        "feature",
        "period_start",
        "active_users",
        "adopters",
        "adoption_rate",
        "cumulative_adopters",
    ]
    # --start 9 Sep keeps the week holding it (W2); cumulative adopters still count u1 from W1.
    assert table["period_start"].tolist() == [W2, W3]
    assert table["cumulative_adopters"].tolist() == [2, 4]


def test_monthly_adoption_and_incomplete_month(tables: tuple[db.Source, Tables]) -> None:
    source, t = tables
    stmt = adoption_select(t, (EXPORT,), "month", as_of=AS_OF)
    (only,) = adoption_periods(db.run(source, stmt), "month", AS_OF.date)
    # September: active u1-u5 (u1's export on 22 Sep is a row of September too, but September is incomplete).
    assert (only.period_start, only.active_users, only.adopters, only.uses) == (date(2026, 9, 1), 5, 4, 7)
    assert only.complete is False


def test_local_weeks_follow_the_time_zone(db_backend: DbBackend) -> None:
    # Sunday 13 Sep 23:30 UTC is Monday 14 Sep 01:30 in Paris: W2 in UTC, W3 in Paris.
    db_backend.load({"events": events_frame([(1, "export_clicked", "2026-09-13 23:30:00", "x")])})
    for tz, week in (("UTC", W2), ("Europe/Paris", W3)):
        # One source per zone, as in the product (a source has one zone); see the cache-key note in the report.
        source = db.open_source(url=db_backend.url)
        try:
            t = build_tables(source, tz)
            frame = db.run(source, adoption_select(t, (EXPORT,), "week", as_of=AS_OF))
            assert [pd.Timestamp(d).date() for d in frame["period_start"]] == [week]
        finally:
            source.engine.dispose()


def test_depth_distribution(tables: tuple[db.Source, Tables]) -> None:
    source, t = tables
    depth = depth_frame(db.run(source, depth_select(t, FEATURES, end=AS_OF.date)))
    rows = list(depth[["feature", "uses_per_adopter", "adopters"]].itertuples(index=False, name=None))
    # Export uses per user by 20 Sep: u1 3, u2 1, u3 1, u5 1. Comments: u3 2.
    assert rows == [("Comments", "2", 1), ("Export", "1", 3), ("Export", "3-5", 1)]
    assert depth["share"].tolist() == pytest.approx([1.0, 0.75, 0.25])


def test_summary_stickiness_retention_and_matrix(tables: tuple[db.Source, Tables]) -> None:
    source, t = tables
    periods = adoption_periods(
        db.run(source, adoption_select(t, FEATURES, "week", as_of=AS_OF)), "week", AS_OF.date
    )
    retention = db.run(source, retention_select(t, FEATURES, "week"))
    export, comments = summarize(periods, retention, FEATURES, "week", AS_OF.date)
    # Export: breadth (1/3 + 2/3 + 1/2) / 3 = 0.5; frequency 6 uses / 5 adopter-weeks = 1.2. Complete pairs
    # W1->W2 and W2->W3: adopters u1 (W1), u1 u2 (W2) = 3; used again next week: u1 in W2 = 1 -> 1/3;
    # active next week: u1 (W1), u1 (W2) = 2 -> 2/3. Non-adopters: 6 - 3 = 3 user-weeks, 4 - 2 = 2 retained.
    assert (export.breadth, export.frequency, export.stickiness) == pytest.approx((0.5, 1.2, 1 / 3))
    assert (export.adopter_retention, export.non_adopter_retention) == pytest.approx((2 / 3, 2 / 3))
    assert (export.cumulative_adopters, export.quadrant, export.periods) == (4, "core", 3)
    # Comments: breadth (1/3 + 0 + 1/4) / 3; one adopter-week (u3, W1), not active in W2: 0 retention;
    # non-adopters 5 user-weeks, 4 retained.
    assert comments.breadth == pytest.approx((1 / 3 + 0.25) / 3)
    assert (comments.frequency, comments.stickiness, comments.adopter_retention) == pytest.approx(
        (1.0, 0.0, 0.0)
    )
    assert comments.non_adopter_retention == pytest.approx(0.8)
    assert comments.quadrant == "retire candidate"


def test_summary_without_complete_periods_is_nan_not_an_error(tables: tuple[db.Source, Tables]) -> None:
    source, t = tables
    early = date(2026, 9, 1)
    periods = adoption_periods(
        db.run(source, adoption_select(t, FEATURES, "week", as_of=AS_OF)), "week", early
    )
    (export,) = summarize(periods, pd.DataFrame(), (EXPORT,), "week", early)
    assert math.isnan(export.breadth) and export.periods == 0


@pytest.mark.parametrize("dialect", warehouse_dialects(), ids=lambda d: d.name)
@pytest.mark.parametrize("period", ["week", "month"])
def test_adoption_selects_compile_for_warehouses(dialect: object, period: str) -> None:
    t = compile_tables()
    for stmt in (
        adoption_select(t, FEATURES, period, activity_events=("open",), start=W1, as_of=AS_OF),  # type: ignore[arg-type]
        depth_select(t, FEATURES, start=W1, end=W3),
        retention_select(t, FEATURES, period),  # type: ignore[arg-type]
    ):
        sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))  # type: ignore[arg-type]
        assert "export_clicked" in sql
