"""Onboarding funnels as SQLAlchemy Selects (DESIGN.md R4 and the ``funnel`` command of section 6).

The rule, for steps S1..Sn and a window of N days:

- **Entry**: a user's step-1 time t1 is their first S1 event inside the entry range (``start``/``end``,
  inclusive local dates; unbounded when None). Earlier S1 events outside the range do not count.
- **Chain**: step k's time is the user's FIRST Sk event at or after step k-1's time and before
  ``t1 + N x 24 h`` (the half-open window of lib/definitions.py). Ties in time between different event names
  count as in order ("at or after"). Out-of-order events are simply skipped, repeats after the match are
  ignored, and events after the window (or after dropping out) never count.
- **Repeated names**: when Sk has the same event name as an earlier step Sj, its event must be STRICTLY later
  than Sj's time. Event rows carry no identity, so two rows with one name at one instant cannot be told apart
  (they are almost always a duplicate send); requiring a strictly later instant is what makes "two steps with
  one event name match different rows" hold on every database.
- **Maturity**: an entry is mature when its window ended on or before ``as_of``. Only mature entries count in
  the step counts and rates; immature ones are counted separately as ``maturing``.

The query filters the log to the funnel's step events once (``funnel_events``) and chains the steps from it,
one grouped join per step over the users still in the funnel; the log is never joined to itself in full.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.sql import FromClause
from sqlalchemy.sql.elements import ColumnElement

from lib.definitions import AsOf, local_day_start_utc, window_end
from lib.schema import Tables
from lib.sqlcompat import Period, hours_between, int_const, local_date, quantile, trunc_date

QUANTILES: tuple[tuple[str, float], ...] = (("p50", 0.5), ("p75", 0.75), ("p90", 0.9))
# Days of entries on each side of a release in the before/after comparison: four whole weeks, so both sides
# hold every weekday the same number of times.
RELEASE_SIDE_DAYS = 28
ALL_SEGMENT = "all"

Scope = Literal["user", "event"]


def _instant(value: Any) -> ColumnElement[Any]:
    return sa.literal(value, sa.DateTime(timezone=True))


def _text(value: str) -> ColumnElement[Any]:
    # Typed explicitly: PostgreSQL cannot infer the type of a bare text parameter in a CTE's select list.
    return sa.cast(sa.literal(value), sa.String)


def resolve_breakdown(tables: Tables, by: str) -> tuple[Scope, str]:
    """Decide whether a breakdown names a user attribute or an event property (of the step-1 event).

    ``user.x`` / ``event.x`` say which explicitly; a bare name is the user attribute when the users table has
    that column, else the event property (the rule of ``--filter``).

    Parameters
    ----------
    tables
        Canonical tables.
    by
        The breakdown as typed.

    Returns
    -------
    tuple
        ``(scope, column name)``.

    Raises
    ------
    ValueError
        When no such attribute or property exists; the message lists the allowed names.
    """
    scope, dot, name = by.partition(".")
    if dot and scope in ("user", "event"):
        if scope == "user":
            tables.user_attribute(name)
            return "user", name
        tables.event_property(name)
        return "event", name
    if by in tables.user_attributes:
        return "user", by
    if by in tables.event_properties:
        return "event", by
    allowed = (
        f"user attributes {', '.join(tables.user_attributes) or 'none'}; "
        f"event properties {', '.join(f'event.{p}' for p in tables.event_properties) or 'none'}"
    )
    raise ValueError(f"unknown breakdown {by!r}; allowed: {allowed}")


def entry_bounds(
    tables: Tables, start: date | None, end: date | None, release: date | None = None
) -> tuple[Any, Any]:
    """The UTC instants bounding step-1 entries: ``[start, end + 1 day)`` in local time, or around a release.

    Parameters
    ----------
    tables
        Canonical tables (for the time zone).
    start, end
        Inclusive local dates, or None.
    release
        When given, entries are limited to :data:`RELEASE_SIDE_DAYS` days on each side of it (intersected
        with ``start``/``end``).

    Returns
    -------
    tuple
        ``(lower, upper)`` aware datetimes, each None when unbounded.
    """
    lo = start
    hi = end + timedelta(days=1) if end is not None else None
    if release is not None:
        before = release - timedelta(days=RELEASE_SIDE_DAYS)
        after = release + timedelta(days=RELEASE_SIDE_DAYS)
        lo = before if lo is None else max(lo, before)
        hi = after if hi is None else min(hi, after)
    tz = tables.timezone
    return (
        local_day_start_utc(lo, tz) if lo is not None else None,
        local_day_start_utc(hi, tz) if hi is not None else None,
    )


def funnel_users(
    tables: Tables,
    steps: Sequence[str],
    window_days: int,
    *,
    start: date | None = None,
    end: date | None = None,
    by: str | None = None,
    release: date | None = None,
) -> FromClause:
    """One row per entering user: their segment and the time of every step they reached (NULL if not).

    Parameters
    ----------
    tables
        Canonical tables (already filtered).
    steps
        Event names in order, at least 2.
    window_days
        N: every step must happen in [t1, t1 + N x 24 h).
    start, end
        Inclusive local dates bounding entries (step-1 times).
    by
        Breakdown: a user attribute or an event property of the step-1 event (see :func:`resolve_breakdown`).
    release
        Split entries into ``before``/``after`` this local date (segment), entries limited to
        :data:`RELEASE_SIDE_DAYS` days on each side. Exclusive with ``by``.

    Returns
    -------
    FromClause
        CTE ``funnel_users``: ``user_id``, ``segment``, ``t1`` .. ``tN``.
    """
    steps = list(steps)
    if len(steps) < 2:
        raise ValueError(f"a funnel needs at least 2 steps, got {len(steps)}")
    if window_days < 1:
        raise ValueError(f"window_days must be at least 1, got {window_days}")
    if by is not None and release is not None:
        raise ValueError("a funnel is split either by an attribute or by a release, not both")
    scope, attr = resolve_breakdown(tables, by) if by is not None else (None, None)
    ev = tables.events
    cols: list[ColumnElement[Any]] = [ev.c.user_id, ev.c.event, ev.c.ts]
    if scope == "event" and attr is not None:
        cols.append(tables.event_property(attr).label("seg"))
    fe = (
        sa.select(*cols)
        .where(ev.c.event.in_(list(dict.fromkeys(steps))), ev.c.ts.is_not(None))
        .cte("funnel_events")
    )
    lo, hi = entry_bounds(tables, start, end, release)
    entry = [fe.c.event == steps[0]]
    if lo is not None:
        entry.append(fe.c.ts >= _instant(lo))
    if hi is not None:
        entry.append(fe.c.ts < _instant(hi))
    first = sa.select(fe.c.user_id, sa.func.min(fe.c.ts).label("t1")).where(*entry).group_by(fe.c.user_id)
    chain: list[FromClause] = [first.cte("funnel_step1")]
    for k in range(1, len(steps)):
        chain.append(_next_step(chain[-1], fe, steps, k, window_days))

    head = chain[0]
    joined: FromClause = head
    for cte in chain[1:]:
        joined = joined.outerjoin(cte, cte.c.user_id == head.c.user_id)
    segment: ColumnElement[Any]
    if scope == "user" and attr is not None and tables.users is not None:
        users = tables.users
        joined = joined.outerjoin(users, users.c.user_id == head.c.user_id)
        segment = tables.user_attribute(attr)
    elif scope == "event":
        # The property of the step-1 event itself; min() picks one if two step-1 rows share the instant.
        seg = (
            sa.select(head.c.user_id, sa.func.min(fe.c.seg).label("seg"))
            .select_from(head.join(fe, sa.and_(fe.c.user_id == head.c.user_id, fe.c.ts == head.c.t1)))
            .where(fe.c.event == steps[0])
            .group_by(head.c.user_id)
            .cte("funnel_entry_segment")
        )
        joined = joined.outerjoin(seg, seg.c.user_id == head.c.user_id)
        segment = seg.c.seg
    elif release is not None:
        cut = local_day_start_utc(release, tables.timezone)
        segment = sa.case((head.c.t1 < _instant(cut), _text("before")), else_=_text("after"))
    else:
        segment = _text(ALL_SEGMENT)
    times = [head.c.t1] + [cte.c[f"t{k + 1}"] for k, cte in enumerate(chain) if k > 0]
    return sa.select(head.c.user_id, segment.label("segment"), *times).select_from(joined).cte("funnel_users")


def _next_step(
    prev: FromClause, fe: FromClause, steps: Sequence[str], k: int, window_days: int
) -> FromClause:
    """Step k+1 (0-based ``k``): the first matching event of each user still in the funnel."""
    carried = [prev.c[f"t{i}"] for i in range(1, k + 1)]
    cond: list[ColumnElement[bool]] = [
        fe.c.user_id == prev.c.user_id,
        fe.c.event == steps[k],
        fe.c.ts < window_end(prev.c.t1, window_days),
    ]
    same = [j for j in range(k) if steps[j] == steps[k]]
    if same:
        # A repeated event name must be a later row: strictly after the last step with that name.
        cond.append(fe.c.ts > prev.c[f"t{max(same) + 1}"])
    if not same or max(same) < k - 1:
        cond.append(fe.c.ts >= prev.c[f"t{k}"])
    return (
        sa.select(prev.c.user_id, *carried, sa.func.min(fe.c.ts).label(f"t{k + 1}"))
        .select_from(prev.join(fe, sa.and_(*cond)))
        .group_by(prev.c.user_id, *carried)
        .cte(f"funnel_step{k + 1}")
    )


def _mature(users: FromClause, window_days: int, as_of: AsOf) -> ColumnElement[bool]:
    return window_end(users.c.t1, window_days) <= _instant(as_of.end_utc)


def funnel_select(
    tables: Tables,
    steps: Sequence[str],
    window_days: int,
    as_of: AsOf,
    *,
    start: date | None = None,
    end: date | None = None,
    by: str | None = None,
    release: date | None = None,
) -> sa.Select[Any]:
    """Step counts and times to convert, one row per segment, over entries whose window matured by as_of.

    Parameters
    ----------
    tables, steps, window_days, start, end, by, release
        As in :func:`funnel_users`.
    as_of
        The data's as_of; entries whose window ends after it are counted as ``maturing`` only.

    Returns
    -------
    Select
        Columns ``segment``, ``maturing``, ``reached_1`` .. ``reached_N`` (mature entries that reached each
        step; ``reached_1`` is the number of mature entries), and for k >= 2 ``p50_k``, ``p75_k``, ``p90_k``:
        hours from step k-1 to step k among mature users who reached step k. Ordered by segment.
    """
    u = funnel_users(tables, steps, window_days, start=start, end=end, by=by, release=release)
    mature = _mature(u, window_days, as_of)
    cols: list[ColumnElement[Any]] = [
        u.c.segment,
        sa.func.sum(sa.case((mature, int_const(0)), else_=int_const(1))).label("maturing"),
    ]
    for k in range(1, len(steps) + 1):
        cols.append(sa.func.count(sa.case((mature, u.c[f"t{k}"]))).label(f"reached_{k}"))
    for k in range(2, len(steps) + 1):
        hours = sa.case((mature, hours_between(u.c[f"t{k}"], u.c[f"t{k - 1}"])))
        for label, q in QUANTILES:
            cols.append(quantile(hours, q).label(f"{label}_{k}"))
    return sa.select(*cols).group_by(u.c.segment).order_by(u.c.segment)


def funnel_trend_select(
    tables: Tables,
    steps: Sequence[str],
    window_days: int,
    as_of: AsOf,
    *,
    period: Period = "week",
    start: date | None = None,
    end: date | None = None,
    by: str | None = None,
    release: date | None = None,
) -> sa.Select[Any]:
    """Conversion by entry period (conversion over time), with the maturity of each period.

    Parameters
    ----------
    tables, steps, window_days, start, end, by, release
        As in :func:`funnel_users`.
    as_of
        The data's as_of.
    period
        Entry period: ``"week"`` (ISO, Monday) by default, ``"day"`` or ``"month"``; local dates.

    Returns
    -------
    Select
        Columns ``segment``, ``period_start``, ``entered`` (all entries), ``maturing`` (entries whose window
        has not ended by as_of), ``reached_1`` .. ``reached_N`` over all entries of the period. A period with
        ``maturing > 0`` is immature: its rates can still rise. Ordered by segment and period.
    """
    u = funnel_users(tables, steps, window_days, start=start, end=end, by=by, release=release)
    mature = _mature(u, window_days, as_of)
    inner = sa.select(
        u,
        trunc_date(local_date(u.c.t1, tables.timezone), period).label("period_start"),
        sa.case((mature, int_const(0)), else_=int_const(1)).label("immature"),
    ).subquery("funnel_entries")
    cols: list[ColumnElement[Any]] = [
        inner.c.segment,
        inner.c.period_start,
        sa.func.count().label("entered"),
        sa.func.sum(inner.c.immature).label("maturing"),
    ]
    for k in range(1, len(steps) + 1):
        cols.append(sa.func.count(inner.c[f"t{k}"]).label(f"reached_{k}"))
    return (
        sa.select(*cols)
        .group_by(inner.c.segment, inner.c.period_start)
        .order_by(inner.c.segment, inner.c.period_start)
    )
