"""SQL of the release review: per-metric sufficient statistics of groups of users picked by anchor date.

A release has no random assignment, so its "variants" are groups of users by the local date of their anchor
(signup, else first event): ``before``/``after`` windows around the release, or one group per anchor week for
the weekly series. Those groups are shaped like an experiment's ``exposed`` relation
(``user_id, variant, exposure_ts``) with ``exposure_ts`` = the anchor, so the per-user metric SQL of
experiments (:mod:`lib.metrics.experiments`) is reused unchanged: a metric means the same thing on every page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import FromClause

from lib.config import MetricConfig
from lib.definitions import AsOf, anchors, cohort_start

# The experiments helper's per-metric builder; it has no public alias yet (asked for in the report).
from lib.metrics.experiments import _one_metric
from lib.schema import Tables
from lib.sqlcompat import int_const

STAT_COLUMNS = ("part", "metric", "variant", "n", "sum", "sum_sq", "maturing")


@dataclass(frozen=True)
class AnchorGroup:
    """Users whose local anchor date falls in [first, last] (inclusive), called ``label``."""

    label: str
    first: date
    last: date


@dataclass(frozen=True)
class GroupQuery:
    """One metric over some anchor groups, judged mature at ``as_of``."""

    metric: MetricConfig
    groups: tuple[AnchorGroup, ...]
    as_of: AsOf


def _date(d: date) -> Any:
    return sa.literal(d, sa.Date)


def _grouped(anchor: FromClause, groups: Sequence[AnchorGroup], name: str) -> FromClause:
    """An ``exposed``-shaped CTE: one row per user anchored in one of the groups."""
    conds = [sa.and_(anchor.c.anchor_date >= _date(g.first), anchor.c.anchor_date <= _date(g.last)) for g in groups]
    variant = sa.case(*[(c, sa.cast(sa.literal(g.label), sa.String)) for c, g in zip(conds, groups, strict=True)])
    return (
        sa.select(anchor.c.user_id, variant.label("variant"), anchor.c.anchor_ts.label("exposure_ts"))
        .where(sa.or_(*conds))
        .cte(name)
    )


def group_stats(tables: Tables, queries: Sequence[GroupQuery], activity: Sequence[str] = ()) -> sa.Select[Any]:
    """Sufficient statistics per (query, group) for metrics over users grouped by anchor date.

    Parameters
    ----------
    tables
        Canonical (filtered) tables.
    queries
        One entry per metric and grouping; ``part`` in the output is the entry's index.
    activity
        ``[activity] events`` (what "active" means for retention metrics without an event).

    Returns
    -------
    Select
        Columns ``part, metric, variant, n, sum, sum_sq, maturing``; ``n`` counts users whose metric window
        ended by the query's ``as_of``, ``maturing`` the others. A group with no user has no row.
    """
    if not queries:
        raise ValueError("group_stats needs at least one query")
    anchor = anchors(tables)
    parts = []
    for i, q in enumerate(queries):
        exposed = _grouped(anchor, q.groups, f"release_groups_{i}")
        inner = _one_metric(tables, exposed, q.metric, q.as_of, activity, None, False, i).subquery(f"stats_{i}")
        parts.append(sa.select(int_const(i).label("part"), *inner.c))
    union = (parts[0] if len(parts) == 1 else sa.union_all(*parts)).subquery("release_stats")
    return sa.select(*union.c).order_by(union.c.part, union.c.variant)


def weekly_stats(
    tables: Tables, metrics: Sequence[MetricConfig], first: date, as_of: AsOf, activity: Sequence[str] = ()
) -> sa.Select[Any]:
    """Sufficient statistics per metric and anchor week (ISO week, local), for users anchored from ``first``.

    Parameters
    ----------
    tables
        Canonical (filtered) tables.
    metrics
        The metrics of the series.
    first
        First local anchor date (use a Monday so the first week is whole).
    as_of
        Maturity is judged at as_of; weeks with ``maturing > 0`` are not fully mature.
    activity
        ``[activity] events``.

    Returns
    -------
    Select
        Columns ``metric, week, n, sum, sum_sq, maturing``, ordered by metric and week.
    """
    if not metrics:
        raise ValueError("weekly_stats needs at least one metric")
    anchor = anchors(tables)
    exposed = (
        sa.select(
            anchor.c.user_id,
            cohort_start(anchor.c.anchor_date, "week").label("variant"),
            anchor.c.anchor_ts.label("exposure_ts"),
        )
        .where(anchor.c.anchor_date >= _date(first), anchor.c.anchor_date <= _date(as_of.date))
        .cte("anchor_weeks")
    )
    parts = [_one_metric(tables, exposed, m, as_of, activity, None, False, i) for i, m in enumerate(metrics)]
    union = (parts[0] if len(parts) == 1 else sa.union_all(*parts)).subquery("weekly_stats")
    return sa.select(
        union.c.metric, union.c.variant.label("week"), union.c.n, union.c.sum, union.c.sum_sq, union.c.maturing
    ).order_by(union.c.metric, union.c.variant)
