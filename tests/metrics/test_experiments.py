"""Golden tests of the experiment sufficient-statistics SQL (lib/metrics/experiments.py) on both backends.

Tiny hand-made assignments and events; every expected number is worked out in the comments. as_of is
2024-01-20 (its end is 2024-01-21 00:00 UTC), the zone UTC, the experiment ``exp`` started 2024-01-10.

Users (assignment timestamp = exposure in the first data set):
- u1 control, exposed 01-10 10:00. open 01-10 08:00 (before exposure), buy 01-09 12:00 (before; amount 99),
  open 01-11 23:59 (day 1), buy 01-17 09:59:59 (1 s before the 7-day window closes; amount 10).
- u2 treatment, exposed 01-10 12:00. open 01-10 12:00 (at exposure), open 01-12 00:30 (day 2),
  buy 01-17 12:00:00 (exactly at the window end: excluded; amount 50).
- u3 treatment, exposed 01-11 00:00. buy 01-11 00:00 (amount 5), buy 01-12 00:00 (day 1; amount 2.5).
- u4 control AND treatment: excluded, reported as multi-variant. buy 01-10 10:00.
- u5 control, exposed 01-19 12:00: its 7-day window ends 01-26 12:00 > as_of, so it is maturing.
  buy 01-19 13:00 (amount 1).
- u7 control, no timestamp and no event (only in the data set without assignment timestamps).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from lib import db
from lib.config import ExperimentConfig, MetricConfig
from lib.definitions import AsOf, as_of_from
from lib.errors import ReviewError
from lib.metrics import experiments as me
from lib.schema import Tables, build_tables
from tests.backends import DbBackend

AS_OF = as_of_from(None, "UTC", dt.date(2024, 1, 20))
assert AS_OF is not None


def _ts(values: list[str]) -> Any:
    return pd.to_datetime(values, utc=True).as_unit("us")


EVENTS = pd.DataFrame(
    {
        "user_id": pd.Series([1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5], dtype="int64"),
        "event": pd.Series(
            ["open", "buy", "open", "buy", "open", "open", "buy", "buy", "buy", "buy", "buy"], dtype="str"
        ),
        "timestamp": _ts(
            [
                "2024-01-10 08:00:00",
                "2024-01-09 12:00:00",
                "2024-01-11 23:59:00",
                "2024-01-17 09:59:59",
                "2024-01-10 12:00:00",
                "2024-01-12 00:30:00",
                "2024-01-17 12:00:00",
                "2024-01-11 00:00:00",
                "2024-01-12 00:00:00",
                "2024-01-10 10:00:00",
                "2024-01-19 13:00:00",
            ]
        ),
        "amount": pd.Series([0.0, 99.0, 0.0, 10.0, 0.0, 0.0, 50.0, 5.0, 2.5, 7.0, 1.0], dtype="float64"),
    }
)
ASSIGN = pd.DataFrame(
    {
        "user_id": pd.Series([1, 2, 3, 4, 4, 5, 9], dtype="int64"),
        "experiment": pd.Series(["exp"] * 6 + ["other"], dtype="str"),
        "variant": pd.Series(
            ["control", "treatment", "treatment", "control", "treatment", "control", "treatment"], dtype="str"
        ),
        "timestamp": _ts(
            [
                "2024-01-10 10:00:00",
                "2024-01-10 12:00:00",
                "2024-01-11 00:00:00",
                "2024-01-10 09:00:00",
                "2024-01-10 09:00:00",
                "2024-01-19 12:00:00",
                "2024-01-10 00:00:00",
            ]
        ),
    }
)
# The same users without exposure timestamps, plus u7 who never shows up.
ASSIGN_NO_TS = pd.concat(
    [
        ASSIGN.drop(columns="timestamp"),
        pd.DataFrame(
            {"user_id": pd.Series([7], dtype="int64"), "experiment": ["exp"], "variant": ["control"]}
        ),
    ],
    ignore_index=True,
)

EXP = ExperimentConfig(
    name="exp",
    start=dt.date(2024, 1, 10),
    end=None,
    control="control",
    weights={"control": 0.5, "treatment": 0.5},
    primary="conv",
    min_lift=0.02,
)
CONV = MetricConfig("conv", "conversion", "buy", 7, None, None, True)
BUYS = MetricConfig("buys", "mean", "buy", 7, None, None, True)
AMOUNT = MetricConfig("amount", "mean", "buy", 7, None, "amount", True)
D0 = MetricConfig("d0", "retention", None, None, 0, None, True)
D1 = MetricConfig("d1", "retention", None, None, 1, None, True)


def _tables(backend: DbBackend, assignments: pd.DataFrame) -> tuple[db.Source, Tables]:
    backend.load({"events": EVENTS, "assignments": assignments})
    source = db.open_source(url=backend.url)
    return source, build_tables(source, "UTC")


def _stats(
    backend: DbBackend,
    metrics: list[MetricConfig],
    assignments: pd.DataFrame = ASSIGN,
    exp: ExperimentConfig = EXP,
    as_of: AsOf = AS_OF,
    **kw: Any,
) -> dict[tuple[str, str], tuple]:
    source, tables = _tables(backend, assignments)
    try:
        frame = db.run(source, me.metric_stats(tables, exp, metrics, as_of, **kw))
    finally:
        source.engine.dispose()
    cols = [c for c in frame.columns if c not in ("metric", "variant", "exposure_date")]
    keys = ["exposure_date"] if "exposure_date" in frame.columns else []
    return {
        (*tuple(str(pd.Timestamp(r[k]).date()) for k in keys), r["metric"], r["variant"]): tuple(
            float(r[c]) for c in cols
        )
        for _, r in frame.iterrows()
    }


def test_exposure_from_assignment_timestamp(db_backend: DbBackend) -> None:
    got = _stats(db_backend, [CONV, BUYS, AMOUNT])
    # (n, sum, sum_sq, maturing). conv: u1 bought 1 s before its window closed (1); u2's buy is exactly at
    # the window end (0); u3 bought at exposure (1); u1's buy on 01-09 is before exposure; u4 is excluded;
    # u5 is immature. buys: u1 1, u2 0, u3 2. amount: u1 10; u2 0, u3 5 + 2.5 = 7.5 (7.5² = 56.25).
    assert got == {
        ("amount", "control"): (1, 10.0, 100.0, 1),
        ("amount", "treatment"): (2, 7.5, 56.25, 0),
        ("buys", "control"): (1, 1.0, 1.0, 1),
        ("buys", "treatment"): (2, 2.0, 4.0, 0),
        ("conv", "control"): (1, 1.0, 1.0, 1),
        ("conv", "treatment"): (2, 1.0, 1.0, 0),
    }


def test_retention_day_n_counts_only_events_after_exposure(db_backend: DbBackend) -> None:
    got = _stats(db_backend, [D0, D1])
    # d0: u1's only same-day event (08:00) is before its 10:00 exposure -> 0; u5 bought on its exposure day
    # -> 1; u2 (event at exposure) and u3 (buy at exposure) -> 1. d1: u1 open 01-11 23:59 -> 1; u5 has no
    # 01-20 event -> 0 (day 1 = 01-20 <= as_of: mature); u2's next event is on day 2 -> 0; u3 01-12 -> 1.
    assert got == {
        ("d0", "control"): (2, 1.0, 1.0, 0),
        ("d0", "treatment"): (2, 2.0, 2.0, 0),
        ("d1", "control"): (2, 1.0, 1.0, 0),
        ("d1", "treatment"): (2, 1.0, 1.0, 0),
    }


def test_retention_day_after_as_of_is_maturing(db_backend: DbBackend) -> None:
    # With as_of 01-19, u5 (exposed 01-19) has not reached day 1 yet.
    as_of = as_of_from(None, "UTC", dt.date(2024, 1, 19))
    assert as_of is not None
    got = _stats(db_backend, [D1], as_of=as_of)
    assert got[("d1", "control")] == (1, 1.0, 1.0, 1)


def test_exposure_from_first_event_after_start(db_backend: DbBackend) -> None:
    got = _stats(db_backend, [CONV], assignments=ASSIGN_NO_TS)
    # Exposure = first event at or after 01-10 00:00: u1 08:00 (so its 01-17 09:59:59 buy is now outside
    # the window -> 0), u2 12:00 (buy at 01-17 12:00 excluded -> 0), u3 01-11 00:00 (1), u5 01-19 13:00
    # (maturing); u7 has no event: never exposed, in no count.
    assert got == {("conv", "control"): (1, 0.0, 0.0, 1), ("conv", "treatment"): (2, 1.0, 1.0, 0)}


def test_variant_counts_report_raw_assigned_and_exposed(db_backend: DbBackend) -> None:
    source, tables = _tables(db_backend, ASSIGN_NO_TS)
    try:
        frame = db.run(source, me.variant_counts(tables, EXP))
    finally:
        source.engine.dispose()
    rows = {r.variant: (int(r.raw_users), int(r.assigned), int(r.exposed)) for r in frame.itertuples()}
    # raw: control u1 u4 u5 u7, treatment u2 u3 u4; assigned drops u4; u7 never exposed.
    assert rows == {"control": (4, 3, 2), "treatment": (3, 2, 2)}


def test_multi_variant_users_are_listed(db_backend: DbBackend) -> None:
    source, tables = _tables(db_backend, ASSIGN)
    try:
        frame = db.run(source, me.multi_variant_users(tables, EXP))
    finally:
        source.engine.dispose()
    assert [(int(r.user_id), int(r.variants), int(r.total)) for r in frame.itertuples()] == [(4, 2, 1)]


def test_exposures_by_day(db_backend: DbBackend) -> None:
    source, tables = _tables(db_backend, ASSIGN)
    try:
        frame = db.run(source, me.exposures_by_day(tables, EXP))
    finally:
        source.engine.dispose()
    got = [(str(pd.Timestamp(r.day).date()), r.variant, int(r.exposed)) for r in frame.itertuples()]
    assert got == [
        ("2024-01-10", "control", 1),
        ("2024-01-10", "treatment", 1),
        ("2024-01-11", "treatment", 1),
        ("2024-01-19", "control", 1),
    ]


def test_by_exposure_day(db_backend: DbBackend) -> None:
    got = _stats(db_backend, [CONV], by_exposure_day=True)
    assert got == {
        ("2024-01-10", "conv", "control"): (1, 1.0, 1.0, 0),
        ("2024-01-10", "conv", "treatment"): (1, 0.0, 0.0, 0),
        ("2024-01-11", "conv", "treatment"): (1, 1.0, 1.0, 0),
        ("2024-01-19", "conv", "control"): (0, 0.0, 0.0, 1),
    }


def test_cuped_covariate_sums(db_backend: DbBackend) -> None:
    exp = ExperimentConfig(**{**EXP.__dict__, "cuped_days": 2})
    got = _stats(db_backend, [CONV], exp=exp)
    # x = bought in the 48 h before exposure: only u1 (buy 01-09 12:00, exposed 01-10 10:00), whose y = 1.
    # (n, sum, sum_sq, maturing, sum_x, sum_x2, sum_xy)
    assert got == {
        ("conv", "control"): (1, 1.0, 1.0, 1, 1.0, 1.0, 1.0),
        ("conv", "treatment"): (2, 1.0, 1.0, 0, 0.0, 0.0, 0.0),
    }


def test_no_assignments_table_is_a_review_error(db_backend: DbBackend) -> None:
    db_backend.load({"events": EVENTS})
    source = db.open_source(url=db_backend.url)
    try:
        tables = build_tables(source, "UTC")
        with pytest.raises(ReviewError, match="needs an assignments table"):
            me.metric_stats(tables, EXP, [CONV], AS_OF)
    finally:
        source.engine.dispose()


def _warehouse_dialects() -> list[sa.engine.Dialect]:
    from snowflake.sqlalchemy.snowdialect import SnowflakeDialect
    from sqlalchemy_bigquery import BigQueryDialect
    from trino.sqlalchemy.dialect import TrinoDialect

    return [TrinoDialect(), BigQueryDialect(), SnowflakeDialect(), postgresql.dialect()]


@pytest.mark.parametrize("dialect", _warehouse_dialects(), ids=lambda d: d.name)
def test_selects_compile_for_warehouse_dialects(dialect: sa.engine.Dialect) -> None:
    events = sa.select(
        sa.table("ev", sa.column("user_id"), sa.column("event"), sa.column("ts"), sa.column("amount"))
    ).subquery("events")
    assign = sa.select(
        sa.table("asg", sa.column("user_id"), sa.column("experiment"), sa.column("variant"), sa.column("ts"))
    ).subquery("assignments")
    tables = Tables(events, None, assign, "Europe/Paris", ("amount",), (), has_exposure_ts=True)
    cuped = ExperimentConfig(**{**EXP.__dict__, "cuped_days": 3})
    for stmt in (
        me.metric_stats(tables, cuped, [CONV, AMOUNT, D1], AS_OF),
        me.metric_stats(tables, EXP, [CONV], AS_OF, by_exposure_day=True),
        me.variant_counts(tables, EXP),
        me.multi_variant_users(tables, EXP),
        me.exposures_by_day(tables, EXP),
    ):
        sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        assert "assigned_exp" in sql


def test_exposures_after_as_of_are_not_in_the_experiment_yet(db_backend: DbBackend) -> None:
    # Seen from as_of 01-18, u5 (exposed 01-19) is not assigned yet: raw and exposed counts drop it.
    as_of = as_of_from(None, "UTC", dt.date(2024, 1, 18))
    assert as_of is not None
    source, tables = _tables(db_backend, ASSIGN)
    try:
        counts = db.run(source, me.variant_counts(tables, EXP, as_of))
        days = db.run(source, me.exposures_by_day(tables, EXP, as_of))
        stats = db.run(source, me.metric_stats(tables, EXP, [CONV], as_of))
    finally:
        source.engine.dispose()
    rows = {r.variant: (int(r.raw_users), int(r.assigned), int(r.exposed)) for r in counts.itertuples()}
    assert rows == {"control": (2, 1, 1), "treatment": (3, 2, 2)}  # raw control: u1, u4
    assert len(days) == 3
    # u1's window (to 01-17 10:00) and u2's (to 01-17 12:00) are complete; u3's (to 01-18 00:00) too.
    assert {r.variant: (int(r.n), int(r.maturing)) for r in stats.itertuples()} == {
        "control": (1, 0),
        "treatment": (2, 0),
    }
