"""Benchmark case for the daily anomaly check (``bench/run.py`` times it).

The check of one day (the last complete day) loads every watched daily series over that day and the 8 weeks
before it (:func:`lib.anomaly_check.load_series`) and judges the day in Python (:func:`lib.anomaly_check.judge`).
The case computes those series three ways on the same storage (a folder with events.parquet, users.parquet
and review.toml): through Launch Review in-process (load + judge), as hand-written DuckDB queries and in plain
pandas. The three return the same frame ``metric, segment, day, value, count``:

- ``dau``, ``events`` (per local day, overall and per ``[check] segments`` user attribute) and ``new_users``
  (per local signup day), ``count`` = ``value``; days without rows are left out (the project fills them
  with 0, the hand-written versions just have no row);
- ``events:<name>`` (volume per event name, overall);
- each configured metric per signup-day cohort (``value`` = mean of the per-user value, ``count`` = users),
  overall and per segment.

The judgement itself is not compared (it is pure Python over these series); its cost is in the project's time.
The hand-written versions assume what the sample product has: a users table with ``signup_at`` (the anchor),
``[check] segments`` that are user attributes, ``[activity] events`` empty (every event is activity).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from bench.common import BenchCase
from lib.anomaly_check import ALL, HISTORY_DAYS, judge, load_series
from lib.config import MetricConfig, resolve_config
from lib.context import Context, open_context
from lib.metrics.anomalies import metric_lag

COLUMNS = ["metric", "segment", "day", "value", "count"]




@functools.lru_cache(maxsize=4)
def _context(source_dir: str) -> Context:
    # Opened once per folder so warm runs time the check, not the config and as_of lookups.
    return open_context(resolve_config(source_dir, None))


def _range(source_dir: Path) -> tuple[Context, date, date]:
    ctx = _context(str(source_dir))
    last = ctx.require_as_of().date
    return ctx, last - timedelta(days=HISTORY_DAYS), last


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[COLUMNS].copy()
    out = out[out["count"] > 0]
    out["metric"] = out["metric"].astype(str)
    out["segment"] = out["segment"].astype(str)
    out["day"] = pd.to_datetime(out["day"]).dt.date
    out["value"] = out["value"].astype("float64")
    out["count"] = out["count"].astype("int64")
    return out.sort_values(["metric", "segment", "day"]).reset_index(drop=True)


def _segment(attribute: object, value: object) -> str:
    if attribute is None or pd.isna(attribute) or not attribute:
        return ALL
    return f"{attribute}={'(none)' if value is None or pd.isna(value) else value}"


# ------------------------------------------------------------------------------------------------- project
def anomaly_project(source_dir: Path) -> pd.DataFrame:
    """Load the check's series and judge the last complete day through Launch Review."""
    ctx, start, last = _range(source_dir)
    series = load_series(ctx, last, last)
    judge(series, last)
    rows = []
    for (metric, segment), d in series.series.items():
        for i in range(len(d.value)):
            day = d.origin + timedelta(days=i)
            if start - timedelta(days=60) <= day <= last and not np.isnan(d.value[i]):
                rows.append((metric, segment, day, float(d.value[i]), float(d.count[i])))
    frame = pd.DataFrame(rows, columns=COLUMNS)
    # Volumes: the project fills days without rows with 0 from the first event on; those rows are left out.
    return _tidy(frame[frame["count"] > 0])


# ------------------------------------------------------------------------------------------------- duckdb
def _parquet(source_dir: Path, table: str) -> str:
    return "read_parquet('" + str(source_dir / f"{table}.parquet").replace("'", "''") + "')"


def _zone(ctx: Context) -> str:
    # The zone comes from the validated config (zoneinfo), never from user text at this point.
    return "'" + ctx.tables.timezone.replace("'", "") + "'"


def _cohort_sql(m: MetricConfig, zone: str) -> str:
    """Per-user value of a metric for the cohort in temp table ``c`` (user_id, t0, d, platform, country)."""
    lag = metric_lag(m)
    if m.kind == "retention":
        event = "" if m.event is None else "AND e.event = $event"
        cond = (f"e.timestamp >= c.t0 AND e.timestamp < c.t0 + to_hours({24 * (lag + 2)}) "
                f"AND CAST(timezone({zone}, e.timestamp) AS DATE) - c.d = {lag} {event}")
        value = "CASE WHEN count(e.user_id) > 0 THEN 1.0 ELSE 0.0 END"
    else:
        cond = f"e.event = $event AND e.timestamp >= c.t0 AND e.timestamp < c.t0 + to_hours({24 * lag})"
        value = "count(e.user_id) * 1.0" if m.kind == "mean" else "CASE WHEN count(e.user_id) > 0 THEN 1.0 ELSE 0.0 END"
    return f"""
        WITH y AS (
            SELECT c.user_id, c.d, c.platform, c.country, {value} AS v
            FROM c LEFT JOIN ev e ON e.user_id = c.user_id AND {cond}
            WHERE c.d BETWEEN $lo AND $hi
            GROUP BY ALL
        )
        SELECT $metric AS metric, CASE WHEN GROUPING(platform) = 0 THEN 'platform'
                                       WHEN GROUPING(country) = 0 THEN 'country' END AS attribute,
               coalesce(platform, country) AS seg, d AS day, sum(v) / count(*) AS value, count(*) AS count
        FROM y GROUP BY GROUPING SETS ((d), (platform, d), (country, d))
    """


def anomaly_duckdb(source_dir: Path) -> pd.DataFrame:
    """The same series as hand-written DuckDB queries (GROUPING SETS over one scan per family)."""
    ctx, start, last = _range(source_dir)
    zone = _zone(ctx)
    lo_ts = datetime.combine(start, datetime.min.time())
    hi_ts = datetime.combine(last + timedelta(days=1), datetime.min.time())
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"CREATE TEMP VIEW ev AS SELECT * FROM {_parquet(source_dir, 'events')}")
        con.execute(f"""CREATE TEMP TABLE c AS
            SELECT user_id, min(signup_at) AS t0, CAST(timezone({zone}, min(signup_at)) AS DATE) AS d,
                   coalesce(CAST(min(platform) AS VARCHAR), '(none)') AS platform,
                   coalesce(CAST(min(country) AS VARCHAR), '(none)') AS country
            FROM {_parquet(source_dir, 'users')} WHERE signup_at IS NOT NULL GROUP BY user_id""")
        seg = """CASE WHEN GROUPING(platform) = 0 THEN 'platform' WHEN GROUPING(country) = 0 THEN 'country' END
                 AS attribute, coalesce(platform, country) AS seg"""
        frames = [
            con.execute(f"""
                WITH x AS (
                    SELECT e.user_id, CAST(timezone({zone}, e.timestamp) AS DATE) AS d,
                           coalesce(CAST(u.platform AS VARCHAR), '(none)') AS platform,
                           coalesce(CAST(u.country AS VARCHAR), '(none)') AS country
                    FROM ev e LEFT JOIN {_parquet(source_dir, 'users')} u USING (user_id)
                    WHERE e.timestamp >= timezone({zone}, $lo) AND e.timestamp < timezone({zone}, $hi)
                )
                SELECT 'dau' AS metric, {seg}, d AS day, count(DISTINCT user_id) AS value, NULL AS count
                FROM x GROUP BY GROUPING SETS ((d), (platform, d), (country, d))
                UNION ALL
                SELECT 'events', {seg}, d, count(*), NULL
                FROM x GROUP BY GROUPING SETS ((d), (platform, d), (country, d))
            """, {"lo": lo_ts, "hi": hi_ts}).df(),
            con.execute(f"""
                SELECT 'events:' || event AS metric, NULL AS attribute, NULL AS seg,
                       CAST(timezone({zone}, timestamp) AS DATE) AS day, count(*) AS value, NULL AS count
                FROM ev WHERE timestamp >= timezone({zone}, $lo) AND timestamp < timezone({zone}, $hi)
                GROUP BY ALL
            """, {"lo": lo_ts, "hi": hi_ts}).df(),
            con.execute(f"""
                SELECT 'new_users' AS metric, {seg}, d AS day, count(*) AS value, NULL AS count
                FROM c WHERE d BETWEEN $lo AND $hi GROUP BY GROUPING SETS ((d), (platform, d), (country, d))
            """, {"lo": start, "hi": last}).df(),
        ]
        for m in ctx.config.metrics.values():
            lag = metric_lag(m)
            params: dict[str, object] = {"metric": m.name, "lo": start - timedelta(days=lag),
                                         "hi": last - timedelta(days=lag)}
            if m.event is not None:
                params["event"] = m.event
            frames.append(con.execute(_cohort_sql(m, zone), params).df())
    finally:
        con.close()
    out = pd.concat(frames, ignore_index=True)
    out["segment"] = [_segment(a, s) for a, s in zip(out["attribute"], out["seg"], strict=True)]
    out["count"] = out["count"].fillna(out["value"])
    return _tidy(out)


# ------------------------------------------------------------------------------------------------- pandas
def _grouped(frame: pd.DataFrame, agg: Callable[[pd.core.groupby.DataFrameGroupBy], pd.DataFrame]) -> pd.DataFrame:
    parts = [agg(frame.groupby("day")).assign(segment=ALL)]
    for attr in ("platform", "country"):
        part = agg(frame.groupby([attr, "day"]))
        part["segment"] = attr + "=" + part[attr].astype(str)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def anomaly_pandas(source_dir: Path) -> pd.DataFrame:
    """The same series in plain pandas (reads the columns it needs, filters to the range in memory)."""
    ctx, start, last = _range(source_dir)
    tz = ctx.tables.timezone
    users = pd.read_parquet(source_dir / "users.parquet", columns=["user_id", "signup_at", "platform", "country"])
    users = users.dropna(subset=["signup_at"]).groupby("user_id", as_index=False).agg(
        t0=("signup_at", "min"), platform=("platform", "min"), country=("country", "min"))
    for col in ("platform", "country"):
        users[col] = users[col].astype(object).where(users[col].notna(), "(none)").astype(str)
    users["d"] = users["t0"].dt.tz_convert(tz).dt.date
    ev = pd.read_parquet(source_dir / "events.parquet", columns=["user_id", "event", "timestamp"])
    ev["day"] = ev["timestamp"].dt.tz_convert(tz).dt.date
    recent = ev[(ev["day"] >= start) & (ev["day"] <= last)]
    x = recent.merge(users[["user_id", "platform", "country"]], on="user_id", how="left")
    x[["platform", "country"]] = x[["platform", "country"]].fillna("(none)")
    frames = [
        _grouped(x, lambda g: g["user_id"].nunique().rename("value").reset_index()).assign(metric="dau"),
        _grouped(x, lambda g: g.size().rename("value").reset_index()).assign(metric="events"),
        recent.groupby(["event", "day"]).size().rename("value").reset_index().assign(segment=ALL)
        .assign(metric=lambda f: "events:" + f["event"].astype(str)),
    ]
    cohort = users[(users["d"] >= start - timedelta(days=30)) & (users["d"] <= last)].rename(columns={"d": "day"})
    frames.append(_grouped(cohort[cohort["day"] >= start], lambda g: g.size().rename("value").reset_index())
                  .assign(metric="new_users"))
    cev = ev[ev["user_id"].isin(cohort["user_id"])].merge(cohort[["user_id", "t0", "day"]], on="user_id",
                                                          suffixes=("", "_c"))
    cev = cev[cev["timestamp"] >= cev["t0"]]
    for m in ctx.config.metrics.values():
        lag = metric_lag(m)
        c = cohort[(cohort["day"] >= start - timedelta(days=lag)) & (cohort["day"] <= last - timedelta(days=lag))]
        sub = cev if m.event is None else cev[cev["event"] == m.event]
        if m.kind == "retention":
            hits = sub.loc[(pd.to_datetime(sub["day"]) - pd.to_datetime(sub["day_c"])).dt.days == lag, "user_id"]
            v = c["user_id"].isin(hits.unique()).astype(float)
        else:
            counts = sub[sub["timestamp"] < sub["t0"] + timedelta(days=lag)].groupby("user_id").size()
            v = c["user_id"].map(counts).fillna(0).astype(float)
            if m.kind != "mean":
                v = (v > 0).astype(float)
        per_user = c.assign(v=v.to_numpy())
        frames.append(_grouped(per_user, lambda g: g["v"].agg(value="mean", count="size").reset_index())
                      .assign(metric=m.name))
    out = pd.concat(frames, ignore_index=True)
    if "count" not in out:
        out["count"] = np.nan
    out["count"] = out["count"].fillna(out["value"])
    return _tidy(out)


def cases() -> list[BenchCase]:
    """The benchmark case of this module.

    Returns
    -------
    list of BenchCase
    """
    return [BenchCase("anomaly_check_day", anomaly_project, anomaly_duckdb, anomaly_pandas)]
