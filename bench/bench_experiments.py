"""Benchmark cases for experiment sufficient statistics (``bench/run.py`` times them).

Each case computes, for one configured experiment, ``metric, variant, n, sum, sum_sq`` of its primary and
guardrail metrics over mature exposed users, three ways on the same storage (a folder with events.parquet,
assignments.parquet and review.toml): through Launch Review in-process (compile, execute, fetch), as a
hand-written DuckDB query, and in plain pandas. All three return the same frame so the runner can compare.

The hand-written versions assume what the sample product has: assignment timestamps (exposure = the
assignment's timestamp), conversion, retention (any event) and event-count mean metrics.
"""

from __future__ import annotations

import functools
from datetime import timedelta
from pathlib import Path

import duckdb
import pandas as pd

from bench.common import BenchCase
from lib.config import ExperimentConfig, MetricConfig, resolve_config
from lib.context import Context, open_context
from lib.metrics.experiments import metric_stats

COLUMNS = ["metric", "variant", "n", "sum", "sum_sq"]




@functools.lru_cache(maxsize=4)
def _context(source_dir: str) -> Context:
    # Opened once per folder so warm runs time the metric, not the config and as_of lookups.
    return open_context(resolve_config(source_dir, None))


def _plan(source_dir: Path, name: str) -> tuple[Context, ExperimentConfig, list[MetricConfig]]:
    ctx = _context(str(source_dir))
    exp = next(e for e in ctx.config.experiments if e.name == name)
    metrics = [ctx.config.metrics[m] for m in (exp.primary, *exp.guardrails)]
    return ctx, exp, metrics


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[COLUMNS].copy()
    out["metric"] = out["metric"].astype(str)
    out["variant"] = out["variant"].astype(str)
    out["n"] = out["n"].astype("int64")
    out["sum"] = out["sum"].astype("float64")
    out["sum_sq"] = out["sum_sq"].astype("float64")
    return out.sort_values(["metric", "variant"]).reset_index(drop=True)


def _project(name: str, source_dir: Path) -> pd.DataFrame:
    ctx, exp, metrics = _plan(source_dir, name)
    stmt = metric_stats(ctx.tables, exp, metrics, ctx.require_as_of(), ctx.config.activity.events)
    return _tidy(ctx.run(stmt))


def _parquet(source_dir: Path, table: str) -> str:
    return "read_parquet('" + str(source_dir / f"{table}.parquet").replace("'", "''") + "')"


def _metric_sql(m: MetricConfig, tz: str) -> str:
    # The value per exposed user; `x` holds user_id, variant, t0. tz comes from the validated config.
    zone = "'" + tz.replace("'", "") + "'"
    if m.kind == "retention":
        event = "" if m.event is None else "AND e.event = $event"
        cond = (
            f"e.timestamp >= x.t0 AND e.timestamp < x.t0 + to_hours({24 * ((m.day or 0) + 2)}) "
            f"AND CAST(timezone({zone}, e.timestamp) AS DATE) - CAST(timezone({zone}, x.t0) AS DATE) = {m.day} "
            f"{event}"
        )
        value = "CASE WHEN count(e.user_id) > 0 THEN 1.0 ELSE 0.0 END"
        mature = f"CAST(timezone({zone}, t0) AS DATE) + {m.day} <= $as_of_date"
    else:
        hours = 24 * (m.window_days or 7)
        cond = f"e.event = $event AND e.timestamp >= x.t0 AND e.timestamp < x.t0 + to_hours({hours})"
        value = "count(e.user_id) * 1.0" if m.kind == "mean" else "CASE WHEN count(e.user_id) > 0 THEN 1.0 ELSE 0.0 END"
        mature = f"t0 + to_hours({hours}) <= $as_of_end"
    return f"""
        WITH y AS (
            SELECT x.user_id, x.variant, x.t0, {value} AS v
            FROM x LEFT JOIN events e ON e.user_id = x.user_id AND {cond}
            GROUP BY x.user_id, x.variant, x.t0
        )
        SELECT $metric AS metric, variant, count(*) AS n, sum(v) AS sum, sum(v * v) AS sum_sq
        FROM y WHERE {mature} GROUP BY variant
    """


def _duckdb(name: str, source_dir: Path) -> pd.DataFrame:
    ctx, exp, metrics = _plan(source_dir, name)
    as_of = ctx.require_as_of()
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"CREATE TEMP VIEW events AS SELECT * FROM {_parquet(source_dir, 'events')}")
        con.execute(
            f"""CREATE TEMP TABLE x AS
            SELECT user_id, min(variant) AS variant, min(timestamp) AS t0
            FROM {_parquet(source_dir, 'assignments')} WHERE experiment = $exp
            GROUP BY user_id HAVING count(DISTINCT variant) = 1""",
            {"exp": exp.name},
        )
        frames = []
        for m in metrics:
            params: dict[str, object] = {"metric": m.name}
            if m.event is not None:
                params["event"] = m.event
            if m.kind == "retention":
                params["as_of_date"] = as_of.date
            else:
                params["as_of_end"] = as_of.end_utc
            frames.append(con.execute(_metric_sql(m, ctx.tables.timezone), params).df())
        return _tidy(pd.concat(frames, ignore_index=True))
    finally:
        con.close()


def _pandas(name: str, source_dir: Path) -> pd.DataFrame:
    ctx, exp, metrics = _plan(source_dir, name)
    as_of = ctx.require_as_of()
    tz = ctx.tables.timezone
    ev = pd.read_parquet(source_dir / "events.parquet", columns=["user_id", "event", "timestamp"])
    asg = pd.read_parquet(source_dir / "assignments.parquet")
    asg = asg[asg["experiment"] == exp.name]
    per = asg.groupby("user_id").agg(variant=("variant", "min"), nv=("variant", "nunique"), t0=("timestamp", "min"))
    x = per[per["nv"] == 1].reset_index()[["user_id", "variant", "t0"]]
    ev = ev[ev["user_id"].isin(x["user_id"])].merge(x, on="user_id")
    ev = ev[ev["timestamp"] >= ev["t0"]]
    rows = []
    for m in metrics:
        if m.kind == "retention":
            sub = ev if m.event is None else ev[ev["event"] == m.event]
            days = (sub["timestamp"].dt.tz_convert(tz).dt.normalize() - sub["t0"].dt.tz_convert(tz).dt.normalize())
            hits = sub.loc[days.dt.days == m.day, "user_id"].unique()
            value = x["user_id"].isin(hits).astype(float)
            mature = x["t0"].dt.tz_convert(tz).dt.date + timedelta(days=m.day or 0) <= as_of.date
        else:
            window = timedelta(days=m.window_days or 7)
            sub = ev[(ev["event"] == m.event) & (ev["timestamp"] < ev["t0"] + window)]
            counts = sub.groupby("user_id").size()
            value = x["user_id"].map(counts).fillna(0).astype(float)
            if m.kind != "mean":
                value = (value > 0).astype(float)
            mature = x["t0"] + window <= pd.Timestamp(as_of.end_utc)
        frame = pd.DataFrame({"variant": x["variant"], "v": value})[mature.to_numpy()]
        agg = frame.groupby("variant")["v"].agg(n="size", sum="sum", sum_sq=lambda s: float((s * s).sum()))
        rows.append(agg.reset_index().assign(metric=m.name))
    return _tidy(pd.concat(rows, ignore_index=True))


def cases() -> list[BenchCase]:
    """The benchmark cases: the sufficient statistics of each sample experiment's primary and guardrails.

    Returns
    -------
    list of BenchCase
    """
    names = ("new_onboarding", "pricing_page")
    return [
        BenchCase(
            f"experiment_stats_{n}",
            functools.partial(_project, n),
            functools.partial(_duckdb, n),
            functools.partial(_pandas, n),
        )
        for n in names
    ]
