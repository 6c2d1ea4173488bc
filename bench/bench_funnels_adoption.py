"""Benchmark cases for the onboarding funnel and weekly feature adoption (the lead's runner times them).

Each case computes the same table three ways over the same storage (a folder with events.parquet and its
review.toml): through the project (Context + Selects), as a hand-written DuckDB query, and in plain pandas.
All three return the contract columns, so the runner can check the results are equal.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from bench.common import BenchCase
from lib.config import FeatureConfig, FunnelConfig, resolve_config
from lib.context import open_context
from lib.metrics.adoption_report import compute_periods
from lib.metrics.adoption_results import adoption_table
from lib.metrics.funnel_report import FunnelSpec, compute_funnel
from lib.metrics.funnel_results import funnel_table

STEPS = ("signup", "onboarding_start", "profile_completed", "first_project")
WINDOW_DAYS = 7
DEFAULT_FEATURES = (FeatureConfig("Export", "export_clicked", None), FeatureConfig("Comments", "comment_added", None))




def _funnel_spec(source_dir: Path) -> FunnelSpec:
    config = resolve_config(str(source_dir), None)
    f: FunnelConfig | None = config.funnels[0] if config.funnels else None
    return FunnelSpec("bench", tuple(f.steps) if f else STEPS, f.window_days if f else WINDOW_DAYS)


def _features(source_dir: Path) -> tuple[FeatureConfig, ...]:
    return tuple(resolve_config(str(source_dir), None).features) or DEFAULT_FEATURES


def _as_of_end(last: datetime) -> pd.Timestamp:
    # The rule of lib/definitions.as_of_from in UTC: the last day counts when its last event is after 23:00.
    day = last.date() if last.time() >= time(23, 0) else last.date() - timedelta(days=1)
    return pd.Timestamp(day + timedelta(days=1), tz="UTC")


def project_funnel(source_dir: Path) -> pd.DataFrame:
    """The funnel through the project's Context and Selects."""
    ctx = open_context(resolve_config(str(source_dir), None))
    try:
        return funnel_table(compute_funnel(ctx, _funnel_spec(source_dir), ctx.run), with_segment=False)
    finally:
        ctx.source.engine.dispose()


def _rates(users: list[int], steps: tuple[str, ...]) -> pd.DataFrame:
    rows = []
    for k, (step, n) in enumerate(zip(steps, users, strict=True)):
        rows.append(
            {
                "step_index": k + 1,
                "step": step,
                "users": n,
                "step_rate": 1.0 if k == 0 else n / users[k - 1] if users[k - 1] else float("nan"),
                "overall_rate": 1.0 if k == 0 else n / users[0] if users[0] else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def duckdb_funnel(source_dir: Path) -> pd.DataFrame:
    """A hand-written DuckDB funnel over the Parquet file (assumes distinct step names)."""
    spec = _funnel_spec(source_dir)
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.read_parquet(str(source_dir / "events.parquet")).create_view("raw")
        con.execute("CREATE VIEW ev AS SELECT user_id, event, timestamp AS ts FROM raw")
        last = con.execute("SELECT max(ts) AT TIME ZONE 'UTC' FROM ev").fetchone()
        end = _as_of_end(last[0] if last else datetime(1970, 1, 1)).to_pydatetime()
        ctes = [
            "fe AS (SELECT user_id, event, ts FROM ev WHERE event IN (SELECT unnest($steps)))",
            "s1 AS (SELECT user_id, min(ts) AS t1, min(ts) AS tp FROM fe WHERE event = $s0 GROUP BY user_id)",
        ]
        for k in range(1, len(spec.steps)):
            ctes.append(
                f"s{k + 1} AS (SELECT p.user_id, p.t1, min(e.ts) AS tp FROM s{k} p JOIN fe e ON e.user_id = p.user_id"
                f" AND e.event = $s{k} AND e.ts >= p.tp AND e.ts < p.t1 + INTERVAL {int(spec.window_days)} DAY"
                f" WHERE p.t1 + INTERVAL {int(spec.window_days)} DAY <= $end GROUP BY p.user_id, p.t1)"
            )
        mature = f" WHERE t1 + INTERVAL {int(spec.window_days)} DAY <= $end"
        counts = ", ".join(f"(SELECT count(*) FROM s{k + 1}{mature if k == 0 else ''})" for k in range(len(spec.steps)))
        params: dict[str, Any] = {"steps": list(spec.steps), "end": end}
        params.update({f"s{k}": s for k, s in enumerate(spec.steps)})
        row = con.execute(f"WITH {', '.join(ctes)} SELECT {counts}", params).fetchone()
        return _rates([int(x) for x in (row or ())], spec.steps)
    finally:
        con.close()


def pandas_funnel(source_dir: Path) -> pd.DataFrame:
    """The funnel in plain pandas: merge_asof finds each next step (assumes distinct step names)."""
    spec = _funnel_spec(source_dir)
    ev = pd.read_parquet(
        source_dir / "events.parquet",
        columns=["user_id", "event", "timestamp"],
        filters=[("event", "in", list(spec.steps))],
    ).rename(columns={"timestamp": "ts"})
    all_last = pd.read_parquet(source_dir / "events.parquet", columns=["timestamp"])["timestamp"].max()
    end = _as_of_end(all_last.tz_convert("UTC").tz_localize(None).to_pydatetime())
    window = pd.Timedelta(days=spec.window_days)
    cur = ev[ev["event"] == spec.steps[0]].groupby("user_id", as_index=False)["ts"].min()
    cur = cur.rename(columns={"ts": "t1"})
    cur = cur[cur["t1"] + window <= end].assign(tp=lambda d: d["t1"])
    users = [len(cur)]
    for step in spec.steps[1:]:
        right = ev[ev["event"] == step][["user_id", "ts"]].sort_values("ts")
        hit = pd.merge_asof(
            cur.sort_values("tp"), right, left_on="tp", right_on="ts", by="user_id", direction="forward"
        )
        hit = hit[hit["ts"].notna() & (hit["ts"] < hit["t1"] + window)]
        cur = hit.drop(columns=["tp"]).rename(columns={"ts": "tp"})
        users.append(len(cur))
    return _rates(users, spec.steps)


def project_adoption(source_dir: Path) -> pd.DataFrame:
    """Weekly adoption through the project."""
    ctx = open_context(resolve_config(str(source_dir), None))
    try:
        return adoption_table(compute_periods(ctx, _features(source_dir), "week", ctx.run))
    finally:
        ctx.source.engine.dispose()


def duckdb_adoption(source_dir: Path) -> pd.DataFrame:
    """Weekly adoption as hand-written DuckDB SQL (activity = any event; UTC weeks)."""
    feats = _features(source_dir)
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.read_parquet(str(source_dir / "events.parquet")).create_view("raw")
        con.execute(
            "CREATE VIEW ev AS SELECT user_id, event, CAST(date_trunc('week', timestamp) AS DATE) AS wk FROM raw"
        )
        con.execute("CREATE TEMP TABLE f (feature VARCHAR, event VARCHAR)")
        con.executemany("INSERT INTO f VALUES (?, ?)", [(f.name, f.event) for f in feats])
        last = con.execute("SELECT max(timestamp) AT TIME ZONE 'UTC' FROM raw").fetchone()
        as_of = (_as_of_end(last[0]) - pd.Timedelta(days=1)).date() if last and last[0] else None
        sql = """
        WITH a AS (SELECT wk, count(DISTINCT user_id) AS active_users FROM ev GROUP BY wk),
        u AS (SELECT event, wk, count(DISTINCT user_id) AS adopters FROM ev
              WHERE event IN (SELECT event FROM f) GROUP BY event, wk),
        n AS (SELECT event, wk, count(*) AS n FROM (SELECT event, user_id, min(wk) AS wk FROM ev
              WHERE event IN (SELECT event FROM f) GROUP BY event, user_id) GROUP BY event, wk)
        SELECT f.feature, a.wk AS period_start, a.active_users, coalesce(u.adopters, 0) AS adopters,
               coalesce(u.adopters, 0) / a.active_users AS adoption_rate,
               sum(coalesce(n.n, 0)) OVER (PARTITION BY f.feature ORDER BY a.wk) AS cumulative_adopters
        FROM a CROSS JOIN f LEFT JOIN u ON u.event = f.event AND u.wk = a.wk
        LEFT JOIN n ON n.event = f.event AND n.wk = a.wk
        QUALIFY a.wk <= ? ORDER BY f.feature, a.wk
        """
        return con.execute(sql, [as_of]).df()
    finally:
        con.close()


def pandas_adoption(source_dir: Path) -> pd.DataFrame:
    """Weekly adoption in plain pandas (activity = any event; UTC weeks)."""
    feats = _features(source_dir)
    ev = pd.read_parquet(source_dir / "events.parquet", columns=["user_id", "event", "timestamp"])
    as_of = (
        _as_of_end(ev["timestamp"].max().tz_convert("UTC").tz_localize(None).to_pydatetime()) - pd.Timedelta(days=1)
    ).date()
    day = ev["timestamp"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
    ev["wk"] = (day - pd.to_timedelta(day.dt.weekday, unit="D")).dt.date
    active = ev.groupby("wk")["user_id"].nunique().rename("active_users")
    out = []
    for f in feats:
        use = ev[ev["event"] == f.event]
        adopters = use.groupby("wk")["user_id"].nunique()
        first = use.groupby("user_id")["wk"].min().value_counts()
        frame = active.to_frame().assign(feature=f.name, adopters=adopters, new=first).fillna(0)
        frame["cumulative_adopters"] = frame["new"].cumsum()
        out.append(frame.reset_index(names="period_start"))
    res = pd.concat(out)
    res = res[res["period_start"] <= as_of]
    res["adoption_rate"] = res["adopters"] / res["active_users"]
    cols = ["feature", "period_start", "active_users", "adopters", "adoption_rate", "cumulative_adopters"]
    return res[cols].sort_values(["feature", "period_start"]).reset_index(drop=True)


def cases() -> list[BenchCase]:
    """The benchmark cases of issue 4.

    Returns
    -------
    list of BenchCase
    """
    return [
        BenchCase("onboarding funnel (4 steps, 7 days)", project_funnel, duckdb_funnel, pandas_funnel),
        BenchCase("weekly feature adoption", project_adoption, duckdb_adoption, pandas_adoption),
    ]
