"""Benchmark cases for activity (daily DAU/WAU/MAU) and retention (weekly cohorts).

Each case computes the same numbers three ways on the same storage (a folder with events.parquet and
users.parquet): through Launch Review in-process (compile, execute, fetch), as a hand-written DuckDB query, and
in plain pandas. ``bench/run.py`` calls :func:`cases` and times each function; every function returns the same
frame so the runner can check them equal:

- retention: ``cohort, period, cohort_size, active`` for cells with active > 0 (signup anchor, mode on);
- activity: ``date, dau, wau, mau`` (trailing 7/30 days, null while the window is incomplete).
"""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from bench.common import BenchCase
from lib.config import resolve_config
from lib.context import Context, open_context
from lib.metrics.activity import complete_days, daily_active
from lib.metrics.retention import RetentionSpec, retention


@functools.lru_cache(maxsize=4)
def _context(source_dir: str) -> Context:
    # Opened once per folder so warm runs time the metric, not the config and as_of lookups.
    return open_context(resolve_config(source_dir, None))


def _tz(source_dir: Path) -> str:
    return _context(str(source_dir)).tables.timezone


def _as_of_date(source_dir: Path) -> date:
    return _context(str(source_dir)).require_as_of().date


def _tz_literal(tz: str) -> str:
    # Zone names come from the validated config (zoneinfo), never from user text at this point.
    return "'" + tz.replace("'", "") + "'"


def _connect(source_dir: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    return con


def _parquet(source_dir: Path, name: str) -> str:
    return "read_parquet('" + str(source_dir / f"{name}.parquet").replace("'", "''") + "')"


# ----------------------------------------------------------------------------------------------- retention
def _tidy_retention(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[frame["active"] > 0][["cohort", "period", "cohort_size", "active"]].copy()
    out["cohort"] = pd.to_datetime(out["cohort"]).dt.date
    for col in ("period", "cohort_size", "active"):
        out[col] = out[col].astype("int64")
    return out.sort_values(["cohort", "period"]).reset_index(drop=True)


def retention_project(source_dir: Path) -> pd.DataFrame:
    """Weekly retention through Launch Review."""
    ctx = _context(str(source_dir))
    cells = ctx.run(retention(ctx.tables, RetentionSpec(period="week", anchor="signup"), ctx.require_as_of()))
    return _tidy_retention(cells)


def retention_duckdb(source_dir: Path) -> pd.DataFrame:
    """Weekly retention as one hand-written DuckDB query."""
    tz = _tz_literal(_tz(source_dir))
    sql = f"""
    WITH cu AS (
        SELECT user_id, signup_at, CAST(timezone({tz}, signup_at) AS DATE) AS anchor_date,
               CAST(date_trunc('week', CAST(timezone({tz}, signup_at) AS DATE)) AS DATE) AS cohort
        FROM {_parquet(source_dir, "users")}
        WHERE signup_at IS NOT NULL AND CAST(timezone({tz}, signup_at) AS DATE) <= ?
    ), sizes AS (SELECT cohort, count(*) AS cohort_size FROM cu GROUP BY cohort),
    uk AS (
        SELECT DISTINCT cu.cohort, e.user_id,
               CAST(date_diff('day', date_trunc('week', cu.anchor_date),
                    date_trunc('week', CAST(timezone({tz}, e.timestamp) AS DATE))) / 7 AS INTEGER) AS period
        FROM {_parquet(source_dir, "events")} e JOIN cu USING (user_id)
        WHERE e.timestamp >= cu.signup_at
    )
    SELECT uk.cohort, uk.period, s.cohort_size, count(*) AS active
    FROM uk JOIN sizes s USING (cohort) GROUP BY ALL
    """
    with _connect(source_dir) as con:
        return _tidy_retention(con.execute(sql, [_as_of_date(source_dir)]).df())


def retention_pandas(source_dir: Path) -> pd.DataFrame:
    """Weekly retention in plain pandas (reads the two columns it needs)."""
    tz = _tz(source_dir)
    users = pd.read_parquet(source_dir / "users.parquet", columns=["user_id", "signup_at"]).dropna()
    users["anchor_date"] = users["signup_at"].dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()
    users = users[users["anchor_date"].dt.date <= _as_of_date(source_dir)]
    users["cohort"] = users["anchor_date"] - pd.to_timedelta(users["anchor_date"].dt.weekday, unit="D")
    events = pd.read_parquet(source_dir / "events.parquet", columns=["user_id", "timestamp"])
    joined = events.merge(users, on="user_id")
    joined = joined[joined["timestamp"] >= joined["signup_at"]]
    local = joined["timestamp"].dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()
    week = local - pd.to_timedelta(local.dt.weekday, unit="D")
    joined = pd.DataFrame(
        {
            "user_id": joined["user_id"],
            "cohort": joined["cohort"],
            "period": ((week - joined["cohort"]).dt.days // 7).astype("int64"),
        }
    )
    active = joined.drop_duplicates().groupby(["cohort", "period"]).size().rename("active").reset_index()
    sizes = users.groupby("cohort").size().rename("cohort_size").reset_index()
    return _tidy_retention(active.merge(sizes, on="cohort"))


# ----------------------------------------------------------------------------------------------- activity
def _tidy_daily(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[["date", "dau", "wau", "mau"]].copy()
    out["date"] = pd.to_datetime(out["date"]).dt.date
    for col in ("dau", "wau", "mau"):
        out[col] = out[col].astype("Int64")
    return out.sort_values("date").reset_index(drop=True)


def activity_project(source_dir: Path) -> pd.DataFrame:
    """Daily DAU/WAU/MAU through Launch Review."""
    ctx = _context(str(source_dir))
    until = ctx.require_as_of().date
    raw = ctx.run(daily_active(ctx.tables, ctx.config.activity.events, until=until))
    return _tidy_daily(complete_days(raw, until=until))


def activity_duckdb(source_dir: Path) -> pd.DataFrame:
    """Daily DAU/WAU/MAU as one hand-written DuckDB query (the coverage method)."""
    tz = _tz_literal(_tz(source_dir))
    until = _as_of_date(source_dir)
    sql = f"""
    WITH ud AS (
        SELECT DISTINCT user_id, CAST(timezone({tz}, timestamp) AS DATE) AS d
        FROM {_parquet(source_dir, "events")} WHERE CAST(timezone({tz}, timestamp) AS DATE) <= ?
    ), sp AS (SELECT d, lead(d) OVER (PARTITION BY user_id ORDER BY d) AS nd FROM ud),
    deltas AS (
        SELECT d AS day, 1 AS dau, 1 AS dw, 1 AS dm FROM sp
        UNION ALL SELECT least(d + 7, coalesce(nd, d + 7)), 0, -1, 0 FROM sp
        UNION ALL SELECT least(d + 30, coalesce(nd, d + 30)), 0, 0, -1 FROM sp
    ), per_day AS (SELECT day, sum(dau) AS dau, sum(dw) AS dw, sum(dm) AS dm FROM deltas GROUP BY day),
    cal AS (SELECT CAST(g AS DATE) AS day FROM generate_series((SELECT min(d) FROM ud), ?, INTERVAL 1 DAY) t(g)),
    run AS (
        SELECT cal.day, coalesce(p.dau, 0) AS dau,
               sum(coalesce(p.dw, 0)) OVER (ORDER BY cal.day) AS wau,
               sum(coalesce(p.dm, 0)) OVER (ORDER BY cal.day) AS mau,
               min(cal.day) OVER () AS first_day
        FROM cal LEFT JOIN per_day p USING (day)
    )
    SELECT day AS date, dau,
           CASE WHEN day - first_day >= 6 THEN wau END AS wau,
           CASE WHEN day - first_day >= 29 THEN mau END AS mau
    FROM run ORDER BY day
    """
    with _connect(source_dir) as con:
        return _tidy_daily(con.execute(sql, [until, datetime.combine(until, datetime.min.time())]).df())


def activity_pandas(source_dir: Path) -> pd.DataFrame:
    """Daily DAU/WAU/MAU in plain pandas: per-day user sets, unioned over the trailing window."""
    tz = _tz(source_dir)
    until = _as_of_date(source_dir)
    events = pd.read_parquet(source_dir / "events.parquet", columns=["user_id", "timestamp"])
    day = events["timestamp"].dt.tz_convert(tz).dt.date
    ud = pd.DataFrame({"user_id": events["user_id"], "d": day}).drop_duplicates()
    ud = ud[ud["d"] <= until]
    per_day = {d: g.to_numpy() for d, g in ud.groupby("d")["user_id"]}
    first = min(per_day)
    days = [first + timedelta(days=i) for i in range((until - first).days + 1)]
    empty = np.array([], dtype="int64")
    rows = []
    for i, d in enumerate(days):

        def trailing(n: int, i: int = i) -> float:
            if i < n - 1:
                return np.nan
            window = [per_day.get(x, empty) for x in days[i - n + 1 : i + 1]]
            return float(len(np.unique(np.concatenate(window))))

        rows.append((d, len(per_day.get(d, empty)), trailing(7), trailing(30)))
    return _tidy_daily(pd.DataFrame(rows, columns=["date", "dau", "wau", "mau"]))


def cases() -> list[BenchCase]:
    """The benchmark cases of this module.

    Returns
    -------
    list of BenchCase
    """
    return [
        BenchCase("retention_weekly", retention_project, retention_duckdb, retention_pandas),
        BenchCase("activity_daily", activity_project, activity_duckdb, activity_pandas),
    ]
