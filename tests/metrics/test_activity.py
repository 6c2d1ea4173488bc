"""Golden activity tests (DAU/WAU/MAU, periods, lifecycle, activation) on DuckDB and PostgreSQL.

The hand-made product is the one of tests/metrics/test_retention.py (America/New_York). Local active days:

    u1: Mon 01-29, Sun 02-04 (23:30 local = Mon 02-05 UTC), Wed 02-07, Mon 02-19 (23:30 local = 02-20 UTC)
    u2: Sun 02-04, Sun 02-18 (22:00 local = Mon 02-19 UTC)
    u3: Wed 01-31
    u5: Tue 02-13 (before its signup, but activity is any event)

First day 01-29, as_of 02-19. Trailing WAU exists from 01-29 + 6 = 02-04; MAU from 01-29 + 29 = 02-27, i.e.
never inside this log, so the coverage count of MAU is checked against brute force on a random log instead.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from lib import db, schema
from lib.definitions import AsOf, as_of_from
from lib.metrics.activity import activation, active_by_period, complete_days, daily_active, lifecycle
from tests.backends import DbBackend

TZ = "America/New_York"
D = dt.date


def _utc(local: list[str], tz: str = TZ) -> pd.Series:
    return pd.Series(pd.to_datetime(local).tz_localize(tz).tz_convert("UTC").as_unit("us"))


USERS = pd.DataFrame(
    {
        "user_id": pd.Series([1, 2, 3, 4, 5], dtype="int64"),
        "signup_at": _utc(
            [
                "2024-01-29 10:00",
                "2024-02-04 21:00",
                "2024-01-31 09:00",
                "2024-01-31 15:00",
                "2024-02-13 08:00",
            ]
        ),
    }
)
EVENTS = pd.DataFrame(
    {
        "user_id": pd.Series([1, 1, 1, 1, 2, 2, 3, 5], dtype="int64"),
        "event": pd.Series(["open", "open", "purchase", "open", "open", "open", "open", "open"], dtype="str"),
        "timestamp": _utc(
            [
                "2024-01-29 10:05",
                "2024-02-04 23:30",
                "2024-02-07 12:00",
                "2024-02-19 23:30",
                "2024-02-04 21:30",
                "2024-02-18 22:00",
                "2024-01-31 09:10",
                "2024-02-13 07:00",
            ]
        ),
    }
)
AS_OF: AsOf = as_of_from(dt.datetime(2024, 2, 19, 23, 30), TZ)  # type: ignore[assignment]


def _run(backend: DbBackend, build: object, events: pd.DataFrame = EVENTS, tz: str = TZ) -> pd.DataFrame:
    backend.load({"events": events, "users": USERS})
    source = db.open_source(url=backend.url)
    try:
        tables = schema.build_tables(source, tz)
        return db.run(source, build(tables))  # type: ignore[operator]
    finally:
        source.engine.dispose()


def test_daily_dau_wau_local_days(db_backend: DbBackend) -> None:
    raw = _run(db_backend, lambda t: daily_active(t, until=AS_OF.date))
    out = complete_days(raw).set_index("date")
    assert out.index[0] == D(2024, 1, 29) and out.index[-1] == D(2024, 2, 19)
    assert len(out) == 22  # every day, including days nothing happened
    dau = {d: int(v) for d, v in out["dau"].items() if v}
    assert dau == {
        D(2024, 1, 29): 1,
        D(2024, 1, 31): 1,
        D(2024, 2, 4): 2,
        D(2024, 2, 7): 1,
        D(2024, 2, 13): 1,
        D(2024, 2, 18): 1,
        D(2024, 2, 19): 1,
    }
    assert out.loc[: D(2024, 2, 3), "wau"].isna().all()  # window incomplete before 01-29 + 6
    wau = out["wau"].dropna().astype(int)
    assert wau[D(2024, 2, 4)] == 3  # u1, u2, u3 in 01-29..02-04
    assert wau[D(2024, 2, 6)] == 3  # u3 (01-31) still inside 01-31..02-06
    assert wau[D(2024, 2, 7)] == 2  # 02-01..02-07: u1, u2
    assert wau[D(2024, 2, 11)] == 1  # 02-05..02-11: u1
    assert wau[D(2024, 2, 12)] == 1  # gap day: carried over, u1 (02-07) still covered
    assert wau[D(2024, 2, 14)] == 1  # 02-08..02-14: u5
    assert wau[D(2024, 2, 19)] == 3  # 02-13..02-19: u5, u2, u1
    assert out["mau"].isna().all() and out["stickiness"].isna().all()


def test_start_bounds_output_but_windows_look_back(db_backend: DbBackend) -> None:
    raw = _run(db_backend, lambda t: daily_active(t, until=AS_OF.date))
    out = complete_days(raw, start=D(2024, 2, 6), until=AS_OF.date).set_index("date")
    assert out.index[0] == D(2024, 2, 6)
    assert int(out.loc[D(2024, 2, 6), "wau"]) == 3


def _brute_force(events: pd.DataFrame, tz: str) -> pd.DataFrame:
    """DAU/WAU/MAU by definition: distinct users with a local active day in the trailing window."""
    days = events.assign(d=events["timestamp"].dt.tz_convert(tz).dt.date)[["user_id", "d"]].drop_duplicates()
    first, last = days["d"].min(), days["d"].max()
    rows = []
    for i in range((last - first).days + 1):
        t = first + dt.timedelta(days=i)

        def trailing(n: int, t: dt.date = t) -> float:
            if (t - first).days < n - 1:
                return np.nan
            lo = t - dt.timedelta(days=n - 1)
            return float(days[(days["d"] >= lo) & (days["d"] <= t)]["user_id"].nunique())

        dau = days[days["d"] == t]["user_id"].nunique()
        mau = trailing(30)
        rows.append((t, dau, trailing(7), mau, dau / mau if mau == mau and mau > 0 else np.nan))
    return pd.DataFrame(rows, columns=["date", "dau", "wau", "mau", "stickiness"])


def test_coverage_counts_equal_brute_force_on_random_log(db_backend: DbBackend) -> None:
    rng = np.random.default_rng(20240229)
    n = 600
    start = pd.Timestamp("2024-03-01", tz="UTC")
    # 40 users, 75 days, bursty: each user has a personal activity rate, so gaps of every length occur.
    users = rng.integers(1, 41, size=n)
    offsets = rng.exponential(scale=1.0, size=n) * rng.choice([5, 20, 60], size=n)
    ts = start + pd.to_timedelta(np.clip(offsets, 0, 74.99) * 86_400, unit="s")
    events = pd.DataFrame(
        {"user_id": users.astype("int64"), "event": "open", "timestamp": pd.Series(ts).dt.as_unit("us")}
    )
    last_local = events["timestamp"].max().tz_convert(TZ).tz_localize(None).to_pydatetime()
    as_of = as_of_from(last_local, TZ)
    assert as_of is not None
    got = complete_days(_run(db_backend, lambda t: daily_active(t, until=as_of.date), events=events))
    want = _brute_force(events, TZ)
    want = want[want["date"] <= as_of.date].reset_index(drop=True)
    assert got["date"].tolist() == want["date"].tolist()
    for col in ("dau", "wau", "mau"):
        assert got[col].astype("float64").tolist() == pytest.approx(want[col].tolist(), nan_ok=True), col
    assert got["stickiness"].tolist() == pytest.approx(want["stickiness"].tolist(), nan_ok=True)
    assert want["mau"].notna().sum() > 30  # the comparison reaches full 30-day windows


def test_active_users_per_iso_week_and_month(db_backend: DbBackend) -> None:
    weeks = _run(db_backend, lambda t: active_by_period(t, "week", until=AS_OF.date))
    assert [(pd.Timestamp(p).date(), n) for p, n in weeks.itertuples(index=False)] == [
        (D(2024, 1, 29), 3),
        (D(2024, 2, 5), 1),
        (D(2024, 2, 12), 2),
        (D(2024, 2, 19), 1),
    ]
    months = _run(db_backend, lambda t: active_by_period(t, "month", until=AS_OF.date))
    assert [(pd.Timestamp(p).date(), n) for p, n in months.itertuples(index=False)] == [
        (D(2024, 1, 1), 2),
        (D(2024, 2, 1), 3),
    ]


def test_lifecycle_weekly_and_reconciles(db_backend: DbBackend) -> None:
    out = _run(db_backend, lambda t: lifecycle(t, "week", until=AS_OF.date))
    rows = [(pd.Timestamp(r[0]).date(), *map(int, r[1:])) for r in out.itertuples(index=False)]
    # period, new, returning, resurrected, dormant, active
    assert rows == [
        (D(2024, 1, 29), 3, 0, 0, 0, 3),  # u1, u2, u3 first seen
        (D(2024, 2, 5), 0, 1, 0, -2, 1),  # u1 back; u2, u3 gone
        (D(2024, 2, 12), 1, 0, 1, -1, 2),  # u5 new, u2 resurrected; u1 gone
        (D(2024, 2, 19), 0, 0, 1, -2, 1),  # u1 resurrected; u2, u5 gone
    ]
    assert (out["new"] + out["returning"] + out["resurrected"] == out["active"]).all()


def test_lifecycle_reconciles_with_active_users_on_random_log(db_backend: DbBackend) -> None:
    rng = np.random.default_rng(7)
    ts = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.uniform(0, 120, 500) * 86_400, unit="s")
    events = pd.DataFrame(
        {
            "user_id": rng.integers(1, 60, 500).astype("int64"),
            "event": "open",
            "timestamp": pd.Series(ts).dt.as_unit("us"),
        }
    )
    life = _run(db_backend, lambda t: lifecycle(t, "month"), events=events)
    active = _run(db_backend, lambda t: active_by_period(t, "month"), events=events)
    assert (life["new"] + life["returning"] + life["resurrected"]).tolist() == active["active_users"].tolist()
    assert life["active"].tolist() == active["active_users"].tolist()
    assert life["new"].sum() == events["user_id"].nunique()


def test_activation_rate_and_time_to_first_value(db_backend: DbBackend) -> None:
    # Activation = "open" within 7 days of signup. u1 +5 min, u2 +30 min, u3 +10 min; u4 never; u5's open came
    # before its signup. u5's window (02-13 08:00 + 7 d) ends after as_of (02-20 00:00 local): not matured.
    out = _run(db_backend, lambda t: activation(t, "open", 7, AS_OF, period="week"))
    rows = out.to_dict(orient="records")
    assert [(pd.Timestamp(r["cohort"]).date(), r["users"], r["matured"], r["activated"]) for r in rows] == [
        (D(2024, 1, 29), 4, 4, 3),
        (D(2024, 2, 12), 1, 0, 0),
    ]
    assert rows[0]["rate"] == pytest.approx(0.75)
    assert rows[0]["median_hours"] == pytest.approx(10 / 60)
    assert rows[0]["p75_hours"] == pytest.approx((10 / 60 + 30 / 60) / 2)  # linear interpolation at 1.5
    assert rows[1]["rate"] is None or rows[1]["rate"] != rows[1]["rate"]
    overall = _run(db_backend, lambda t: activation(t, "open", 7, AS_OF, period=None)).iloc[0]
    assert (overall["users"], overall["matured"], overall["activated"]) == (5, 4, 3)


def test_activity_selects_compile_for_warehouses() -> None:
    from snowflake.sqlalchemy.snowdialect import SnowflakeDialect
    from sqlalchemy_bigquery import BigQueryDialect
    from trino.sqlalchemy.dialect import TrinoDialect

    events = sa.select(sa.table("ev", sa.column("user_id"), sa.column("event"), sa.column("ts"))).subquery(
        "events"
    )
    users = sa.select(sa.table("us", sa.column("user_id"), sa.column("signup_at"))).subquery("users")
    t = schema.Tables(events, users, None, TZ, has_signup=True)
    for dialect in (TrinoDialect(), BigQueryDialect(), SnowflakeDialect()):
        for stmt in (
            daily_active(t, ("open",), until=D(2024, 3, 1)),
            active_by_period(t, "week"),
            lifecycle(t, "month", start=D(2024, 2, 1)),
            activation(t, "open", 7, AS_OF),
        ):
            sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
            assert "user_days" in sql or "activation_users" in sql
