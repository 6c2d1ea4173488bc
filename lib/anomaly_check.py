"""The daily anomaly check (R7): daily series + same-weekday scoring + the segment that moved.

:func:`load_series` runs the handful of Selects of :mod:`lib.metrics.anomalies` ONCE for a whole range of
judged dates; :func:`judge` scores one date in Python from those rows, so checking 30 days costs the same
queries as checking one. What is judged on a date D:

- ``dau``, ``new_users`` and ``events`` (all events), overall and per ``[check] segments`` value;
- ``events:<name>``, the volume of each event type, overall;
- every configured metric by signup-day cohort, judged on its latest mature day: the cohort of D - lag (lag =
  ``window_days``, or ``day`` for retention), overall and per user attribute.

A series is judged when it has at least 3 same-weekday values in the 8 weeks before and its expected count
(users behind a rate) reaches ``[check] min_count``. Volumes and rates are flagged in both directions;
``bad`` says whether the move hurts (a drop, or a rise for ``higher_is_better = false`` metrics and for the
volume of their events). A day with no events at all is a flagged outage whatever the history.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from lib.anomaly_results import (
    ALL,
    SEVERITY_RANK,
    CheckResult,
    CheckRow,
    Contribution,
    Daily,
    DailySeries,
    SeriesSpec,
)
from lib.context import Context
from lib.errors import ReviewError
from lib.metrics import anomalies as sql
from lib.stats.anomaly import (
    WEEKS_HISTORY,
    WEEKS_LEVEL,
    Kind,
    Score,
    baseline,
    rate_is_judgeable,
    sampling_sd,
    score,
    weekly_growth,
)

__all__ = [
    "ALL", "CHECK_COLUMNS", "HISTORY_DAYS", "SEVERITY_RANK", "CheckResult", "CheckRow", "Contribution", "Daily",
    "DailySeries", "Runner", "SeriesSpec", "check_dates", "check_day", "check_frame", "judge", "load_series",
    "recent_values",
]

HISTORY_DAYS = 7 * WEEKS_HISTORY
Runner = Callable[[sa.Select[Any]], pd.DataFrame]


def _specs(ctx: Context, events: list[str]) -> list[SeriesSpec]:
    cfg = ctx.config
    bad_up = {m.event for m in cfg.metrics.values() if m.event and not m.higher_is_better}
    specs = [
        SeriesSpec("dau", "DAU", "count", 0, True),
        SeriesSpec("new_users", "new users", "count", 0, True),
        SeriesSpec("events", "events", "count", 0, True),
    ]
    specs += [SeriesSpec(f"events:{e}", f"{e} events", "count", 0, e not in bad_up) for e in events]
    for m in cfg.metrics.values():
        kind: Kind = "mean" if m.kind == "mean" else "proportion"
        specs.append(SeriesSpec(m.name, m.name, kind, sql.metric_lag(m), m.higher_is_better))
    return specs


def _segment_name(attribute: Any, segment: Any) -> str:
    return ALL if not attribute else f"{attribute}={segment}"


def _dense(part: pd.DataFrame, col: str, origin: date, size: int, zero_from: date | None) -> np.ndarray:
    """A column as a dense array over ``size`` days; counts are 0 on data days without rows, else NaN."""
    out = np.full(size, np.nan)
    idx = np.array([(pd.Timestamp(d).date() - origin).days for d in part["day"]], dtype=int)
    keep = (idx >= 0) & (idx < size)
    out[idx[keep]] = part[col].to_numpy(dtype=float)[keep]
    if zero_from is not None:
        start = max((zero_from - origin).days, 0)
        tail = out[start:]
        tail[np.isnan(tail)] = 0.0
    return out


def load_series(ctx: Context, first: date, last: date, run: Runner | None = None) -> DailySeries:
    """Run the check's Selects once for every date in [first, last] (plus the 8 weeks of history before).

    Parameters
    ----------
    ctx
        The context (its filtered tables and config).
    first, last
        The range of check dates.
    run
        Executes a Select (default ``ctx.run``; the UI passes its cached runner).

    Returns
    -------
    DailySeries
    """
    runner: Runner = run or ctx.run
    tables, cfg = ctx.tables, ctx.config
    try:
        segs = sql.resolve_segments(tables, cfg.check.segments)
    except ValueError as err:
        raise ReviewError(f"[check] segments: {err}. Fix [check] segments in review.toml.") from None
    start = first - timedelta(days=HISTORY_DAYS)
    size = (last - start).days + 1
    fd = runner(sql.first_day(tables)).iloc[0, 0]
    first_day = None if fd is None or pd.isna(fd) else pd.Timestamp(fd).date()
    activity = runner(sql.activity_series(tables, segs, start, last, cfg.activity.events))
    types = runner(sql.event_type_series(tables, start, last))
    specs = _specs(ctx, sorted(str(e) for e in types["event"].unique()))
    out: dict[tuple[str, str], Daily] = {}

    def counts(part: pd.DataFrame, col: str) -> np.ndarray:
        return _dense(part, col, start, size, first_day)

    for (attr, seg), part in activity.groupby(["attribute", "segment"], sort=False):
        name = _segment_name(attr, seg)
        dau, events = counts(part, "dau"), counts(part, "events")
        out[("dau", name)] = Daily(start, dau, dau)
        # A user's events come in one session: Var(sum) ~ (1 + events per user) x Poisson.
        with np.errstate(divide="ignore", invalid="ignore"):
            out[("events", name)] = Daily(start, events, events, None, 1.0 + events / np.where(dau > 0, dau, np.nan))
    for (attr, seg), part in runner(sql.signup_series(tables, segs, start, last)).groupby(
        ["attribute", "segment"], sort=False
    ):
        users = counts(part, "users")
        out[("new_users", _segment_name(attr, seg))] = Daily(start, users, users)
    for metric in ("dau", "events", "new_users"):
        if (metric, ALL) not in out:  # nothing at all in the range: zeros from the first day on
            zeros = counts(pd.DataFrame({"day": [], "n": []}), "n")
            out[(metric, ALL)] = Daily(start, zeros, zeros)
    overall_dispersion = out[("events", ALL)].dispersion
    for name, part in types.groupby("event", sort=False):
        ev = counts(part, "events")
        out[(f"events:{name}", ALL)] = Daily(start, ev, ev, None, overall_dispersion)
    for spec in specs:
        if spec.kind == "count":
            continue
        mcfg = cfg.metrics[spec.metric]
        lo, hi = start - timedelta(days=spec.lag), last - timedelta(days=spec.lag)
        frame = runner(sql.cohort_metric_series(tables, mcfg, segs, lo, hi, cfg.activity.events))
        for (attr, seg), part in frame.groupby(["attribute", "segment"], sort=False):
            n = _dense(part, "n", lo, size, None)
            total = _dense(part, "sum", lo, size, None)
            sq = _dense(part, "sum_sq", lo, size, None)
            with np.errstate(divide="ignore", invalid="ignore"):
                value = np.where(n > 0, total / n, np.nan)
                var = np.where(n > 1, (sq - total * total / n) / (n - 1), np.nan)
            out[(spec.metric, _segment_name(attr, seg))] = Daily(lo, value, n, np.sqrt(np.clip(var, 0.0, None)))
    return DailySeries(tuple(specs), out, first_day, cfg.check.min_count)


def _median(values: list[float]) -> float:
    vals = [v for v in values if not math.isnan(v)]
    return float(np.median(vals)) if vals else math.nan


def _judge_one(series: DailySeries, spec: SeriesSpec, segment: str, checked: date) -> tuple[CheckRow | None, Any]:
    """Score one series on one date; also returns the baseline for contributions (even when not judged)."""
    d = series.series[(spec.metric, segment)]
    day = checked - timedelta(days=spec.lag)
    value, n = d.at(d.value, day), d.at(d.count, day)
    if math.isnan(value):
        return None, None
    history = d.weekly(d.value, day, WEEKS_HISTORY)
    growth = weekly_growth(history) if spec.kind == "count" else 1.0
    base0 = baseline(history, growth=growth)
    if base0 is None:
        return None, None
    # Noise of ordinary days: today's own spread shrinks with the very drop it should reveal.
    sd_unit = _median(d.weekly(d.sd_unit, day, WEEKS_LEVEL))
    noise = sampling_sd(spec.kind, base0.expected, n, sd_unit)
    if d.dispersion is not None:
        noise *= math.sqrt(max(_median(d.weekly(d.dispersion, day, WEEKS_LEVEL)), 1.0))
    base = baseline(history, noise, growth)
    assert base is not None
    floor_n = base.expected if spec.kind == "count" else _median(d.weekly(d.count, day, WEEKS_LEVEL))
    if not floor_n >= series.min_count:
        return None, base  # too small to judge, but it still counts in a breakdown
    if spec.kind == "proportion" and not rate_is_judgeable(base.expected, n):
        return None, base
    sc = score(value, base, spec.higher_is_better)
    return CheckRow(spec, segment, day, checked, n, sc), base


def _contribution(series: DailySeries, spec: SeriesSpec, overall: CheckRow, checked: date) -> Contribution | None:
    move = overall.score.value - overall.score.expected
    if move == 0 or not math.isfinite(move):
        return None
    day = checked - timedelta(days=spec.lag)
    best: Contribution | None = None
    for seg in series.segments(spec.metric):
        if seg == ALL:
            continue
        _, base = _judge_one(series, spec, seg, checked)
        if base is None:
            continue
        d = series.series[(spec.metric, seg)]
        value = d.at(d.value, day)
        delta = value - base.expected
        change = delta / base.expected if base.expected else math.nan
        if spec.kind != "count":
            # A segment moves a rate by its own move weighted by its share of the users.
            delta *= d.at(d.count, day) / overall.count if overall.count else math.nan
        share = delta / move
        if math.isfinite(share) and share > 0 and (best is None or share > best.share):
            best = Contribution(seg, change, share)
    return best


def _outage_row(series: DailySeries, checked: date) -> CheckRow:
    spec = next(s for s in series.specs if s.metric == "events")
    d = series.series[("events", ALL)]
    history = d.weekly(d.value, checked, WEEKS_HISTORY)
    base = baseline(history, growth=weekly_growth(history))
    expected = base.expected if base else math.nan
    low = base.low if base else math.nan
    high = base.high if base else math.nan
    sc = Score(0.0, expected, low, high, -1.0 if base else math.nan, math.inf, "high", "down", True)
    return CheckRow(spec, ALL, checked, checked, 0.0, sc, None, outage=True)


def judge(series: DailySeries, checked: date) -> CheckResult:
    """Score every series on one check date (pure Python on the loaded series).

    Parameters
    ----------
    series
        From :func:`load_series`, covering ``checked``.
    checked
        The date to check.

    Returns
    -------
    CheckResult
    """
    events = series.series[("events", ALL)]
    total = events.at(events.value, checked)
    outage = series.first_day is not None and checked >= series.first_day and not total > 0
    rows: list[CheckRow] = []
    for spec in series.specs:
        for seg in series.segments(spec.metric):
            if outage and spec.metric == "events" and seg == ALL:
                rows.append(_outage_row(series, checked))
                continue
            row, _ = _judge_one(series, spec, seg, checked)
            if row is None:
                continue
            if seg == ALL and row.flagged and len(series.segments(spec.metric)) > 1:
                row = CheckRow(row.spec, row.segment, row.date, row.checked, row.count, row.score,
                               _contribution(series, spec, row, checked))
            rows.append(row)
    flagged = sorted((r for r in rows if r.flagged),
                     key=lambda r: (-SEVERITY_RANK[r.score.severity], -min(r.score.excess, 1e9)))
    return CheckResult(checked, tuple(flagged + [r for r in rows if not r.flagged]), outage)


def check_dates(ctx: Context, first: date, last: date | None = None, run: Runner | None = None) -> list[CheckResult]:
    """Check every date in [first, last] with one set of queries.

    Parameters
    ----------
    ctx
        The context.
    first
        The first date to check.
    last
        The last (default: ``first``).
    run
        Executes a Select (default ``ctx.run``).

    Returns
    -------
    list of CheckResult

    Raises
    ------
    ReviewError
        When a date is after as_of or before the first event.
    """
    last = last or first
    as_of = ctx.require_as_of()
    if last > as_of.date:
        raise ReviewError(
            f"--date {last} is after the last complete day in the data ({as_of.date}). Check a day up to "
            f"{as_of.date}, or leave --date out."
        )
    series = load_series(ctx, first, last, run)
    if series.first_day is None or first < series.first_day:
        since = f"starts on {series.first_day}" if series.first_day else "has no events"
        raise ReviewError(f"--date {first} is before the data, which {since}. Pick a later day.")
    return [judge(series, first + timedelta(days=i)) for i in range((last - first).days + 1)]


CHECK_COLUMNS = (
    "metric", "segment", "date", "value", "expected", "low", "high", "severity", "direction", "bad", "explanation",
)


def check_frame(result: CheckResult) -> pd.DataFrame:
    """The ``check`` command's table (DESIGN.md section 6): one row per judged (metric, segment).

    Parameters
    ----------
    result
        The check of one date.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CHECK_COLUMNS`, flagged rows first.
    """
    from lib.narrative.today import explain

    rows = [
        (r.spec.metric, r.segment, r.date, r.score.value, r.score.expected, r.score.low, r.score.high,
         r.score.severity, r.score.direction, bool(r.score.bad), explain(r))
        for r in result.rows
    ]
    return pd.DataFrame(rows, columns=list(CHECK_COLUMNS))


def recent_values(series: DailySeries, row: CheckRow, days: int = 28) -> list[float]:
    """The row's series over the ``days`` days up to the judged day (for sparklines; NaN where undefined).

    Parameters
    ----------
    series
        The loaded series.
    row
        A judged row.
    days
        How many days.

    Returns
    -------
    list of float
    """
    d = series.series[(row.spec.metric, row.segment)]
    return [d.at(d.value, row.date - timedelta(days=k)) for k in range(days - 1, -1, -1)]


def check_day(ctx: Context, day: date, run: Runner | None = None) -> tuple[DailySeries, CheckResult]:
    """Check one date and keep its series (the Today page draws sparklines from them).

    Parameters
    ----------
    ctx
        The context.
    day
        The date to check (at most as_of).
    run
        Executes a Select (default ``ctx.run``).

    Returns
    -------
    tuple
        The series and the result.
    """
    as_of = ctx.require_as_of()
    if day > as_of.date:
        raise ReviewError(f"{day} is after the last complete day in the data ({as_of.date}). Pick an earlier day.")
    series = load_series(ctx, day, day, run)
    return series, judge(series, day)
