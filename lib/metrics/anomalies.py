"""Daily series for the anomaly check (R7): one Select per family, one row per (day, segment).

The check judges many days at once, so every series is computed ONCE for a whole date range and Python only
sees ``(attribute, segment, day, n, sum, sum_sq)`` rows:

- :func:`activity_series`: DAU (distinct active users) and event volume per local day, overall and per
  segment attribute;
- :func:`event_type_series`: event volume per local day and event name (overall);
- :func:`signup_series`: new users (anchors) per local anchor day, overall and per user attribute;
- :func:`cohort_metric_series`: a configured metric per *signup-day cohort* as sufficient statistics (users
  ``n``, ``sum`` and ``sum_sq`` of the per-user value), overall and per user attribute. The value follows
  :mod:`lib.metrics.experiments` with the anchor as t0: conversion = did ``event`` in [t0, t0 + N x 24 h);
  retention = active (or did ``event``) on local day N after the anchor's date; mean = count of ``event`` (or
  sum of ``value_column``) in the window. Events before the anchor are ignored.

The overall rows carry ``attribute = ''`` and ``segment = ''``; segment values are text, NULL as ``(none)``.
A segment attribute is a user attribute when the users table has it, else an event property (the rule of
``--filter``); cohort series are only broken down by user attributes (a cohort has no event yet).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.sql import FromClause
from sqlalchemy.sql.elements import ColumnElement

from lib.config import MetricConfig
from lib.definitions import active_events, anchors, day_n, in_window, local_day_start_utc
from lib.schema import Tables
from lib.sqlcompat import add_hours, local_date

Scope = Literal["user", "event"]
SERIES_COLUMNS = ("attribute", "segment", "day", "n", "sum", "sum_sq")
NONE_SEGMENT = "(none)"


@dataclass(frozen=True)
class SegmentAttr:
    """A breakdown attribute of the check and where its column lives.

    Attributes
    ----------
    name
        The attribute as configured in ``[check] segments``.
    scope
        ``"user"`` (a users column) or ``"event"`` (an event property).
    """

    name: str
    scope: Scope


def resolve_segments(tables: Tables, names: Sequence[str]) -> tuple[SegmentAttr, ...]:
    """Resolve ``[check] segments`` against the reflected schema (user attribute first, as ``--filter``).

    Parameters
    ----------
    tables
        Canonical tables.
    names
        Attribute names from the config.

    Returns
    -------
    tuple of SegmentAttr

    Raises
    ------
    ValueError
        For a name in neither table; the message lists the allowed names.
    """
    out = []
    for name in names:
        if name in tables.user_attributes:
            out.append(SegmentAttr(name, "user"))
        elif name in tables.event_properties:
            out.append(SegmentAttr(name, "event"))
        else:
            allowed = ", ".join([*tables.user_attributes, *tables.event_properties]) or "none"
            raise ValueError(f"unknown segment attribute {name!r}; allowed: {allowed}")
    return tuple(out)


def _text(value: str) -> ColumnElement[Any]:
    # Typed explicitly: PostgreSQL cannot infer the type of a bare text parameter in a union's select list.
    return sa.cast(sa.literal(value), sa.String)


def _seg(col: Any) -> ColumnElement[Any]:
    return sa.func.coalesce(sa.cast(col, sa.String), _text(NONE_SEGMENT))


def _instant(d: date, tz: str) -> ColumnElement[Any]:
    return sa.literal(local_day_start_utc(d, tz), sa.DateTime(timezone=True))


def _grouped(base: FromClause, day: str, seg_cols: Sequence[tuple[str, str]], aggs: Sequence[Any]) -> sa.Select[Any]:
    """UNION ALL of the overall grouping and one grouping per segment column (portable GROUPING SETS)."""
    parts = [
        sa.select(_text("").label("attribute"), _text("").label("segment"), base.c[day].label("day"), *aggs)
        .group_by(base.c[day])
    ]
    for attr, col in seg_cols:
        parts.append(
            sa.select(_text(attr).label("attribute"), base.c[col].label("segment"), base.c[day].label("day"), *aggs)
            .group_by(base.c[col], base.c[day])
        )
    return sa.select(sa.union_all(*parts).subquery("grouped")).order_by("attribute", "segment", "day")


def activity_series(
    tables: Tables, segments: Sequence[SegmentAttr], start: date, until: date, events: Sequence[str] = ()
) -> sa.Select[Any]:
    """DAU and event volume per local day, overall and per segment.

    Parameters
    ----------
    tables
        Canonical (filtered) tables.
    segments
        Resolved breakdown attributes.
    start, until
        Inclusive local dates to read.
    events
        ``[activity] events`` (which events make a user active); event volume counts every event.

    Returns
    -------
    Select
        Columns ``attribute``, ``segment``, ``day``, ``dau``, ``events``.
    """
    ev = tables.events
    tz = tables.timezone
    active = sa.case((ev.c.event.in_(list(events)), ev.c.user_id), else_=sa.null()) if events else ev.c.user_id
    cols: list[Any] = [ev.c.user_id.label("user_id"), active.label("active_user"), local_date(ev.c.ts, tz).label("d")]
    seg_cols: list[tuple[str, str]] = []
    src: FromClause = ev
    for i, s in enumerate(segments):
        col = tables.users.c[s.name] if s.scope == "user" and tables.users is not None else ev.c[s.name]
        cols.append(_seg(col).label(f"s{i}"))
        seg_cols.append((s.name, f"s{i}"))
    if any(s.scope == "user" for s in segments) and tables.users is not None:
        src = ev.join(tables.users, tables.users.c.user_id == ev.c.user_id, isouter=True)
    base = (
        sa.select(*cols)
        .select_from(src)
        .where(ev.c.ts >= _instant(start, tz), ev.c.ts < _instant(until + timedelta(days=1), tz))
        .cte("check_events")
    )
    # Reduce to one row per (day, user, segment values) first: the groupings below then read this smaller
    # relation instead of every event row, and the user id is hashed once instead of once per grouping.
    # Non-active events share one NULL-user row per day and segment values (count() skips NULL).
    keys = [base.c.d, base.c.active_user, *[base.c[c] for _, c in seg_cols]]
    per_user = sa.select(*keys, sa.func.count().label("n")).group_by(*keys).cte("check_user_days")
    # A user attribute has one value per user (one users row per user_id), so a (day, user) is one row here and
    # counting rows counts users. An event property can vary within a user's day (two platforms): then only
    # DISTINCT is exact.
    active_user: Any = per_user.c.active_user
    if any(s.scope == "event" or tables.users is None for s in segments):
        active_user = sa.distinct(active_user)
    aggs = [
        sa.cast(sa.func.count(active_user), sa.BigInteger).label("dau"),
        sa.cast(sa.func.sum(per_user.c.n), sa.BigInteger).label("events"),
    ]
    return _grouped(per_user, "d", seg_cols, aggs)


def event_type_series(tables: Tables, start: date, until: date) -> sa.Select[Any]:
    """Event volume per local day and event name.

    Parameters
    ----------
    tables
        Canonical (filtered) tables.
    start, until
        Inclusive local dates to read.

    Returns
    -------
    Select
        Columns ``event``, ``day``, ``events``.
    """
    ev = tables.events
    tz = tables.timezone
    day = local_date(ev.c.ts, tz)
    return (
        sa.select(ev.c.event.label("event"), day.label("day"), sa.cast(sa.func.count(), sa.BigInteger).label("events"))
        .where(ev.c.ts >= _instant(start, tz), ev.c.ts < _instant(until + timedelta(days=1), tz))
        .group_by(ev.c.event, day)
        .order_by(ev.c.event, day)
    )


def _user_segments(tables: Tables, segments: Sequence[SegmentAttr]) -> list[SegmentAttr]:
    return [s for s in segments if s.scope == "user" and tables.users is not None]


def _cohort(tables: Tables, segments: Sequence[SegmentAttr], start: date, until: date) -> tuple[FromClause, list[Any]]:
    """Anchored users with an anchor date in [start, until] and their segment values."""
    anc = anchors(tables)
    user_segs = _user_segments(tables, segments)
    cols: list[Any] = [anc.c.user_id, anc.c.anchor_ts, anc.c.anchor_date]
    src: FromClause = anc
    if user_segs and tables.users is not None:
        u = tables.users
        cols += [_seg(u.c[s.name]).label(f"s{i}") for i, s in enumerate(user_segs)]
        src = anc.join(u, u.c.user_id == anc.c.user_id, isouter=True)
    q = (
        sa.select(*cols)
        .select_from(src)
        .where(anc.c.anchor_date >= sa.literal(start, sa.Date), anc.c.anchor_date <= sa.literal(until, sa.Date))
    )
    return q.cte("check_cohort"), [(s.name, f"s{i}") for i, s in enumerate(user_segs)]


def signup_series(tables: Tables, segments: Sequence[SegmentAttr], start: date, until: date) -> sa.Select[Any]:
    """New users (anchors: signup, else first event) per local anchor day, overall and per user attribute.

    Parameters
    ----------
    tables
        Canonical (filtered) tables.
    segments
        Resolved breakdown attributes (event properties are skipped).
    start, until
        Inclusive local anchor dates.

    Returns
    -------
    Select
        Columns ``attribute``, ``segment``, ``day``, ``users``.
    """
    cohort, seg_cols = _cohort(tables, segments, start, until)
    return _grouped(cohort, "anchor_date", seg_cols, [sa.cast(sa.func.count(), sa.BigInteger).label("users")])


def metric_lag(metric: MetricConfig) -> int:
    """Days after a signup day until its cohort's value is complete (the maturity lag).

    Parameters
    ----------
    metric
        A configured metric.

    Returns
    -------
    int
        ``day`` for retention, ``window_days`` (default 7) otherwise: the cohort of day A is mature at the end
        of day A + lag, so on day D the check judges the cohort of D - lag.
    """
    if metric.kind == "retention":
        return int(metric.day or 0)
    return int(metric.window_days or 7)


def cohort_metric_series(
    tables: Tables,
    metric: MetricConfig,
    segments: Sequence[SegmentAttr],
    start: date,
    until: date,
    activity: Sequence[str] = (),
) -> sa.Select[Any]:
    """A configured metric per signup-day cohort, as sufficient statistics.

    Parameters
    ----------
    tables
        Canonical (filtered) tables.
    metric
        The metric (conversion, retention or mean).
    segments
        Resolved breakdown attributes (event properties are skipped).
    start, until
        Inclusive local anchor dates (callers keep ``until`` at least :func:`metric_lag` days before as_of,
        so every cohort returned is mature).
    activity
        ``[activity] events``, for retention without an ``event``.

    Returns
    -------
    Select
        Columns ``attribute``, ``segment``, ``day`` (the anchor date), ``n``, ``sum``, ``sum_sq``.
    """
    cohort, seg_cols = _cohort(tables, segments, start, until)
    if metric.kind == "retention" and metric.event is None:
        ev = active_events(tables, activity)
    elif metric.event is None:
        ev = tables.events
    else:
        ev = sa.select(tables.events).where(tables.events.c.event == metric.event).subquery("metric_events")
    t0 = cohort.c.anchor_ts
    lag = metric_lag(metric)
    if metric.kind == "retention":
        # Local day N ends before t0 + (N + 2) x 24 h whatever the DST shift; the day_n test is exact.
        cond = sa.and_(
            ev.c.user_id == cohort.c.user_id,
            ev.c.ts >= t0,
            ev.c.ts < add_hours(t0, 24 * (lag + 2)),
            day_n(local_date(ev.c.ts, tables.timezone), cohort.c.anchor_date) == lag,
        )
    else:
        cond = sa.and_(ev.c.user_id == cohort.c.user_id, in_window(ev.c.ts, t0, lag))
    if metric.kind == "mean" and metric.value_column is not None:
        tables.event_property(metric.value_column)  # whitelist check; raises ValueError listing names
        value: Any = sa.func.coalesce(sa.func.sum(sa.cast(ev.c[metric.value_column], sa.Float)), 0.0)
    elif metric.kind == "mean":
        value = sa.func.count(ev.c.ts)
    else:
        value = sa.case((sa.func.count(ev.c.ts) > 0, 1), else_=0)
    keys = [cohort.c.user_id, cohort.c.anchor_date, *[cohort.c[c] for _, c in seg_cols]]
    per_user = (
        sa.select(*keys, sa.cast(value, sa.Float).label("v"))
        .select_from(cohort.join(ev, cond, isouter=True))
        .group_by(*keys)
        .cte("check_per_user")
    )
    aggs = [
        sa.cast(sa.func.count(), sa.BigInteger).label("n"),
        sa.func.sum(per_user.c.v).label("sum"),
        sa.func.sum(per_user.c.v * per_user.c.v).label("sum_sq"),
    ]
    return _grouped(per_user, "anchor_date", seg_cols, aggs)


def first_day(tables: Tables) -> sa.Select[Any]:
    """The first local day with any event (one row, column ``first_day``; NULL for an empty log).

    Parameters
    ----------
    tables
        Canonical (filtered) tables.

    Returns
    -------
    Select
    """
    return sa.select(local_date(sa.func.min(tables.events.c.ts), tables.timezone).label("first_day"))
