"""Experiment data as sufficient statistics: assignments + events -> one row per (metric, variant).

The database does the per-user work; Python receives ``n``, ``sum`` and ``sum_sq`` per variant and metric
(plus the CUPED cross sums when ``cuped_days`` is set), never user rows. Definitions (DESIGN.md section 3):

- **exposure**: :func:`lib.definitions.exposures` (the assignment timestamp, else the first event at or
  after ``start``); users in several variants are left out there and listed by :func:`multi_variant_users`.
- **conversion**: 1 if the user did ``event`` in [exposure, exposure + N x 24 h), else 0.
- **retention**: 1 if the user was active (any activity event, or ``event`` when set) on local day ``day``
  after the exposure's local date, counting only events at or after exposure.
- **mean**: the count of ``event`` (or the sum of ``value_column``) in [exposure, exposure + N x 24 h).
- **mature**: the window ended by ``as_of`` (retention: exposure date + day <= as_of date). Only mature users
  are counted in ``n``; the others are reported as ``maturing``.
- **CUPED covariate** x: the same metric in the ``cuped_days`` x 24 h before exposure (retention: any
  activity in those days).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import FromClause
from sqlalchemy.sql.elements import ColumnElement

from lib.config import ExperimentConfig, MetricConfig
from lib.definitions import AsOf, active_events, exposures, window_is_mature
from lib.errors import ReviewError
from lib.schema import Tables
from lib.sqlcompat import add_days, add_hours, day_diff, local_date

STAT_COLUMNS = ("n", "sum", "sum_sq", "maturing")
CUPED_COLUMNS = ("sum_x", "sum_x2", "sum_xy")


def _exposures(
    tables: Tables, exp: ExperimentConfig, as_of: AsOf | None = None
) -> tuple[FromClause, FromClause]:
    if tables.assignments is None:
        raise ReviewError(
            f"Experiment {exp.name!r} needs an assignments table (user_id, experiment, variant"
            "[, timestamp]), and the source has none. Add assignments.csv|parquet to the folder, or map "
            "it under [source.tables] (assignments = \"your_table\")."
        )
    try:
        exposed, multi = exposures(tables, exp.name, exp.start, exp.end)
    except ValueError as err:
        raise ReviewError(
            f"{err}. Set start = YYYY-MM-DD in the [[experiments]] entry named {exp.name!r} in review.toml."
        ) from None
    if as_of is None:
        return exposed, multi
    # Seen from as_of (e.g. --end), users exposed later are not in the experiment yet.
    end = sa.literal(as_of.end_utc, sa.DateTime(timezone=True))
    ts = exposed.c.exposure_ts
    bounded = sa.select(exposed).where(sa.or_(ts.is_(None), ts < end)).cte("exposed_by_as_of")
    return bounded, multi


def _metric_events(tables: Tables, metric: MetricConfig, activity: Sequence[str]) -> FromClause:
    if metric.kind == "retention" and metric.event is None:
        return active_events(tables, activity)
    if metric.event is None:
        return tables.events
    ev = tables.events
    return sa.select(ev).where(ev.c.event == metric.event).subquery(f"ev_{_ident(metric.name)}")


def _value_column(tables: Tables, metric: MetricConfig, events: FromClause) -> ColumnElement[Any] | None:
    if metric.kind != "mean" or metric.value_column is None:
        return None
    try:
        tables.event_property(metric.value_column)
    except ValueError as err:
        raise ReviewError(
            f"Metric {metric.name!r}: value_column {err}. Fix [metrics.{metric.name}] in review.toml."
        ) from None
    return events.c[metric.value_column]


def _per_user(
    tables: Tables,
    exposed: FromClause,
    metric: MetricConfig,
    activity: Sequence[str],
    t0: ColumnElement[Any],
    window_start: ColumnElement[Any],
    window_end: ColumnElement[Any],
    name: str,
    day_n: int | None = None,
) -> FromClause:
    """Per exposed user: the metric's value over events in [window_start, window_end) (a CTE)."""
    ev = _metric_events(tables, metric, activity)
    cond: list[ColumnElement[bool]] = [
        ev.c.user_id == exposed.c.user_id,
        ev.c.ts >= window_start,
        ev.c.ts < window_end,
    ]
    if day_n is not None:
        # Local day N after the exposure's local date; the window bounds above only prune the join.
        tz = tables.timezone
        cond.append(day_diff(local_date(ev.c.ts, tz), local_date(t0, tz)) == day_n)
    value_col = _value_column(tables, metric, ev)
    if value_col is not None:
        value: ColumnElement[Any] = sa.func.coalesce(sa.func.sum(sa.cast(value_col, sa.Float)), 0.0)
    elif metric.kind == "mean":
        value = sa.func.count(ev.c.ts)
    else:
        value = sa.case((sa.func.count(ev.c.ts) > 0, 1), else_=0)
    return (
        sa.select(exposed.c.user_id, sa.cast(value, sa.Float).label("value"))
        .select_from(exposed.join(ev, sa.and_(*cond), isouter=True))
        .where(exposed.c.exposure_ts.is_not(None))
        .group_by(exposed.c.user_id)
        .cte(name)
    )


def _maturity(metric: MetricConfig, t0: ColumnElement[Any], tz: str, as_of: AsOf) -> ColumnElement[bool]:
    if metric.kind == "retention":
        due = add_days(local_date(t0, tz), int(metric.day or 0))
        return due <= sa.literal(as_of.date, sa.Date)
    return window_is_mature(t0, int(metric.window_days or 7), as_of)


def _window(metric: MetricConfig, t0: ColumnElement[Any]) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    if metric.kind == "retention":
        # Local day N ends before t0 + (N + 2) x 24 h whatever the DST shift; the day_diff test is exact.
        return t0, add_hours(t0, 24 * (int(metric.day or 0) + 2))
    return t0, add_hours(t0, 24 * int(metric.window_days or 7))


def _one_metric(
    tables: Tables,
    exposed: FromClause,
    metric: MetricConfig,
    as_of: AsOf,
    activity: Sequence[str],
    cuped_days: int | None,
    by_day: bool,
    idx: int,
) -> sa.Select[Any]:
    t0 = exposed.c.exposure_ts
    start, end = _window(metric, t0)
    day_n = int(metric.day or 0) if metric.kind == "retention" else None
    y = _per_user(tables, exposed, metric, activity, t0, start, end, f"y_{idx}", day_n)
    x = None
    if cuped_days is not None:
        pre_metric = metric
        if metric.kind == "retention":
            # "Active in the days before exposure": a 0/1 covariate counted like a conversion.
            pre_metric = MetricConfig(metric.name, "conversion", metric.event, cuped_days, None, None, True)
        x = _per_user(
            tables, exposed, pre_metric, activity, t0, add_hours(t0, -24 * cuped_days), t0, f"x_{idx}"
        )
    mature = _maturity(metric, t0, tables.timezone, as_of)
    joined = exposed.join(y, y.c.user_id == exposed.c.user_id)
    if x is not None:
        joined = joined.join(x, x.c.user_id == exposed.c.user_id)

    def msum(expr: Any) -> ColumnElement[Any]:
        return sa.func.sum(sa.case((mature, expr), else_=0.0))

    cols: list[Any] = [
        sa.cast(sa.literal(metric.name), sa.String).label("metric"),
        exposed.c.variant.label("variant"),
    ]
    keys: list[Any] = [exposed.c.variant]
    if by_day:
        day = local_date(t0, tables.timezone)
        cols.insert(0, day.label("exposure_date"))
        keys.insert(0, day)
    cols += [
        sa.cast(sa.func.sum(sa.case((mature, 1), else_=0)), sa.BigInteger).label("n"),
        sa.cast(msum(y.c.value), sa.Float).label("sum"),
        sa.cast(msum(y.c.value * y.c.value), sa.Float).label("sum_sq"),
        sa.cast(sa.func.sum(sa.case((mature, 0), else_=1)), sa.BigInteger).label("maturing"),
    ]
    if x is not None:
        cols += [
            sa.cast(msum(x.c.value), sa.Float).label("sum_x"),
            sa.cast(msum(x.c.value * x.c.value), sa.Float).label("sum_x2"),
            sa.cast(msum(x.c.value * y.c.value), sa.Float).label("sum_xy"),
        ]
    return sa.select(*cols).select_from(joined).where(t0.is_not(None)).group_by(*keys)


def metric_stats(
    tables: Tables,
    exp: ExperimentConfig,
    metrics: Sequence[MetricConfig],
    as_of: AsOf,
    activity: Sequence[str] = (),
    by_exposure_day: bool = False,
) -> sa.Select[Any]:
    """Sufficient statistics per (metric, variant) of an experiment's exposed, single-variant users.

    Parameters
    ----------
    tables
        Canonical tables (with assignments).
    exp
        The experiment (name, start, end, cuped_days).
    metrics
        The metrics to compute (primary, guardrails, secondaries), from the config.
    as_of
        Only users whose metric window ended by as_of are counted in ``n``.
    activity
        ``[activity] events``: what "active" means for retention metrics without an event.
    by_exposure_day
        Also group by the local exposure date (column ``exposure_date``, first): the novelty view.

    Returns
    -------
    Select
        Columns ``[exposure_date,] metric, variant, n, sum, sum_sq, maturing`` and, with ``cuped_days``,
        ``sum_x, sum_x2, sum_xy``. A variant with no exposed user has no row.
    """
    if not metrics:
        raise ValueError("metric_stats needs at least one metric")
    exposed, _multi = _exposures(tables, exp, as_of)
    parts = [
        _one_metric(tables, exposed, m, as_of, activity, exp.cuped_days, by_exposure_day, i)
        for i, m in enumerate(metrics)
    ]
    union = (parts[0] if len(parts) == 1 else sa.union_all(*parts)).subquery("experiment_stats")
    order = [union.c.exposure_date] if by_exposure_day else []
    return sa.select(*union.c).order_by(*order, union.c.metric, union.c.variant)


def variant_counts(tables: Tables, exp: ExperimentConfig, as_of: AsOf | None = None) -> sa.Select[Any]:
    """Users per variant: raw (every assigned user), assigned to one variant only, and exposed.

    Parameters
    ----------
    tables
        Canonical tables (with assignments).
    exp
        The experiment.
    as_of
        Count only exposures (and timestamped assignments) before as_of ends.

    Returns
    -------
    Select
        Columns ``variant, raw_users, assigned, exposed``; ``assigned - exposed`` were never exposed.
    """
    exposed, _multi = _exposures(tables, exp, as_of)
    a = tables.assignments
    assert a is not None  # _exposures raised otherwise
    cond = [a.c.experiment == exp.name]
    if as_of is not None and tables.has_exposure_ts:
        cond.append(a.c.ts < sa.literal(as_of.end_utc, sa.DateTime(timezone=True)))
    raw = (
        sa.select(a.c.variant, sa.func.count(sa.distinct(a.c.user_id)).label("raw_users"))
        .where(*cond)
        .group_by(a.c.variant)
        .cte("raw_counts")
    )
    single = (
        sa.select(
            exposed.c.variant,
            sa.func.count().label("assigned"),
            sa.func.count(exposed.c.exposure_ts).label("exposed"),
        )
        .group_by(exposed.c.variant)
        .cte("single_counts")
    )
    return (
        sa.select(
            raw.c.variant,
            sa.cast(raw.c.raw_users, sa.BigInteger).label("raw_users"),
            sa.cast(sa.func.coalesce(single.c.assigned, 0), sa.BigInteger).label("assigned"),
            sa.cast(sa.func.coalesce(single.c.exposed, 0), sa.BigInteger).label("exposed"),
        )
        .select_from(raw.outerjoin(single, single.c.variant == raw.c.variant))
        .order_by(raw.c.variant)
    )


def multi_variant_users(tables: Tables, exp: ExperimentConfig, limit: int = 5) -> sa.Select[Any]:
    """Users assigned to several variants (excluded from the analysis): a few examples and the total.

    Parameters
    ----------
    tables
        Canonical tables (with assignments).
    exp
        The experiment.
    limit
        How many example users to return.

    Returns
    -------
    Select
        Columns ``user_id, variants, total`` (``total`` repeats the number of such users on every row).
    """
    _exposed, multi = _exposures(tables, exp)
    return (
        sa.select(
            multi.c.user_id,
            sa.cast(multi.c.variants, sa.BigInteger).label("variants"),
            sa.cast(sa.func.count().over(), sa.BigInteger).label("total"),
        )
        .order_by(multi.c.user_id)
        .limit(limit)
    )


def exposures_by_day(tables: Tables, exp: ExperimentConfig, as_of: AsOf | None = None) -> sa.Select[Any]:
    """New exposures per local day and variant (for days left and the exposure chart).

    Parameters
    ----------
    tables
        Canonical tables (with assignments).
    exp
        The experiment.
    as_of
        Count only exposures before as_of ends.

    Returns
    -------
    Select
        Columns ``day, variant, exposed``, ordered by day.
    """
    exposed, _multi = _exposures(tables, exp, as_of)
    dated = (
        sa.select(exposed.c.variant, local_date(exposed.c.exposure_ts, tables.timezone).label("day"))
        .where(exposed.c.exposure_ts.is_not(None))
        .cte("exposure_days")
    )
    return (
        sa.select(dated.c.day, dated.c.variant, sa.cast(sa.func.count(), sa.BigInteger).label("exposed"))
        .group_by(dated.c.day, dated.c.variant)
        .order_by(dated.c.day, dated.c.variant)
    )


def _ident(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name)[:40]


__all__ = [
    "CUPED_COLUMNS",
    "STAT_COLUMNS",
    "exposures_by_day",
    "metric_stats",
    "multi_variant_users",
    "variant_counts",
]
