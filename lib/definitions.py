"""The shared definitions of DESIGN.md section 3, written once.

Every page and command uses these to say what an anchor, day N, period k, a window, ``as_of``, maturity,
activity and exposure mean. Each is a small SQL builder (returning SQLAlchemy expressions or CTEs) or a pure
function on dates, so the same rule holds on DuckDB, PostgreSQL and a warehouse.

- **anchor** of a user: ``users.signup_at`` when the users table has it, else the user's first event
  (``anchor="first_event"`` overrides). Users with a signup but no events still count in cohort sizes.
- **day N**: local date(event) - local date(anchor). **Period k**: the k-th calendar week/month after the one
  holding the anchor. Events before the anchor are ignored.
- **window_days = N**: the half-open interval [t0, t0 + N x 24 h) on instants.
- **as_of**: the end of the last complete local day in the data, or the end of ``--end``; never the wall clock.
- **mature**: a cell or window that ended on or before as_of.
- **active**: any event, or one of ``[activity] events``.
- **exposure**: the assignment's timestamp, else the first event at or after the experiment's start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.sql import FromClause
from sqlalchemy.sql.elements import ColumnElement

from lib.schema import Tables
from lib.sqlcompat import (
    Period,
    add_periods,
    day_diff,
    int_const,
    local_date,
    local_timestamp,
    period_index,
    trunc_date,
)

AnchorKind = Literal["signup", "first_event"]

# The latest event of the last day must be at least this late for that day to count as complete: a log
# exported at 23:59 is complete, one cut at 14:00 is not (its last day would look like a drop).
COMPLETE_DAY_AFTER = time(23, 0)


@dataclass(frozen=True)
class AsOf:
    """The point up to which data is considered complete.

    Attributes
    ----------
    date
        The last complete local date.
    end_utc
        The instant that day ends (local midnight after it), timezone-aware UTC.
    """

    date: date
    end_utc: datetime


def as_of_from(last_local: datetime | None, tz: str, end: date | None = None) -> AsOf | None:
    """Compute as_of from the latest event's local wall-clock time (or from ``--end``).

    Parameters
    ----------
    last_local
        The latest event's timestamp in local wall-clock time (naive), or None for an empty log.
    tz
        The product time zone.
    end
        An explicit ``--end`` date, which wins.

    Returns
    -------
    AsOf or None
        None when there is no event and no ``end``.
    """
    if end is not None:
        day = end
    elif last_local is None:
        return None
    else:
        day = last_local.date()
        if last_local.time() < COMPLETE_DAY_AFTER:
            day = day - timedelta(days=1)
    local_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZoneInfo(tz))
    return AsOf(day, local_end.astimezone(ZoneInfo("UTC")))


def last_event_local(tables: Tables) -> sa.Select[Any]:
    """A Select of the latest event's local wall-clock time (one row, column ``last_local``).

    Parameters
    ----------
    tables
        Canonical tables.

    Returns
    -------
    Select
        Feed the value to :func:`as_of_from`.
    """
    ts = sa.func.max(tables.events.c.ts)
    return sa.select(local_wall_clock(ts, tables.timezone).label("last_local"))


def local_wall_clock(ts: Any, tz: str) -> ColumnElement[Any]:
    """The local wall-clock time (naive timestamp) of an instant.

    Parameters
    ----------
    ts
        An instant expression.
    tz
        The product zone.

    Returns
    -------
    ColumnElement
    """
    # local_date's rule without the cast to DATE; DuckDB and PostgreSQL share it.
    return local_timestamp(ts, _safe_tz(tz))


def _safe_tz(tz: str) -> str:
    ZoneInfo(tz)  # raises for unknown names; config validation normally caught it already
    return tz


def active_events(tables: Tables, events: Sequence[str] | None = None) -> FromClause:
    """Events that count as activity: all of them, or those named in ``[activity] events``.

    Parameters
    ----------
    tables
        Canonical tables.
    events
        Event names; empty or None means every event.

    Returns
    -------
    FromClause
        ``tables.events`` or a filtered subquery with the same columns.
    """
    if not events:
        return tables.events
    ev = tables.events
    return sa.select(ev).where(ev.c.event.in_(list(events))).subquery("active_events")


def anchors(tables: Tables, anchor: AnchorKind | None = None, events: FromClause | None = None) -> FromClause:
    """One row per user with the anchor instant and local anchor date.

    Parameters
    ----------
    tables
        Canonical tables.
    anchor
        ``"signup"`` (needs ``users.signup_at``), ``"first_event"``, or None for the default rule.
    events
        The events to take the first one from (default: all events).

    Returns
    -------
    FromClause
        CTE ``anchors`` with columns ``user_id``, ``anchor_ts``, ``anchor_date``.

    Raises
    ------
    ValueError
        When ``anchor="signup"`` but the users table has no ``signup_at``.
    """
    kind: AnchorKind = anchor or ("signup" if tables.has_signup else "first_event")
    if kind == "signup":
        if not tables.has_signup or tables.users is None:
            raise ValueError("anchor 'signup' needs a users table with a signup_at column")
        u = tables.users
        base = sa.select(u.c.user_id.label("user_id"), sa.func.min(u.c.signup_at).label("anchor_ts")).where(
            u.c.signup_at.is_not(None)
        ).group_by(u.c.user_id)
    else:
        ev = tables.events if events is None else events
        base = (
            sa.select(ev.c.user_id.label("user_id"), sa.func.min(ev.c.ts).label("anchor_ts"))
            .where(ev.c.ts.is_not(None))
            .group_by(ev.c.user_id)
        )
    first = base.cte("anchor_ts")
    return sa.select(
        first.c.user_id, first.c.anchor_ts, local_date(first.c.anchor_ts, tables.timezone).label("anchor_date")
    ).cte("anchors")


def day_n(event_date: Any, anchor_date: Any) -> ColumnElement[Any]:
    """Day N of an event after the anchor: local date(event) - local date(anchor).

    Parameters
    ----------
    event_date, anchor_date
        Local DATE expressions.

    Returns
    -------
    ColumnElement
        Integer (negative for events before the anchor, which callers drop).
    """
    return day_diff(event_date, anchor_date)


def period_k(event_date: Any, anchor_date: Any, period: Period) -> ColumnElement[Any]:
    """Period k: calendar periods from the anchor's period to the event's (0 = the anchor's own).

    Parameters
    ----------
    event_date, anchor_date
        Local DATE expressions.
    period
        ``"day"``, ``"week"`` or ``"month"``.

    Returns
    -------
    ColumnElement
        Integer.
    """
    return period_index(event_date, anchor_date, period)


def cohort_start(anchor_date: Any, period: Period) -> ColumnElement[Any]:
    """The first day of the cohort period holding the anchor date.

    Parameters
    ----------
    anchor_date
        Local DATE expression.
    period
        Cohort granularity.

    Returns
    -------
    ColumnElement
        DATE.
    """
    return trunc_date(anchor_date, period)


def cell_end_date(cohort: Any, k: Any, period: Period) -> ColumnElement[Any]:
    """The last local date of period k of a cohort starting on ``cohort``.

    Parameters
    ----------
    cohort
        DATE starting the cohort period.
    k
        Period index (int or integer expression).
    period
        Cohort granularity.

    Returns
    -------
    ColumnElement
        DATE; the cell is mature when this is on or before ``as_of.date``.
    """
    nxt = add_periods(cohort, k + 1 if isinstance(k, int) else k + int_const(1), period)
    return add_periods(nxt, -1, "day")


def cell_is_mature(cohort: date, k: int, period: Period, as_of: date) -> bool:
    """Whether period k of a cohort has fully elapsed by as_of (pure Python twin of :func:`cell_end_date`).

    Parameters
    ----------
    cohort
        First day of the cohort period.
    k
        Period index.
    period
        Cohort granularity.
    as_of
        Last complete local date.

    Returns
    -------
    bool
    """
    return period_end(period_start_after(cohort, k, period), period) <= as_of


def period_start_after(start: date, k: int, period: Period) -> date:
    """The start of the period k periods after the one starting on ``start``.

    Parameters
    ----------
    start
        A period start.
    k
        Periods to move.
    period
        Granularity.

    Returns
    -------
    date
    """
    if period == "day":
        return start + timedelta(days=k)
    if period == "week":
        return start + timedelta(days=7 * k)
    months = start.year * 12 + (start.month - 1) + k
    return date(months // 12, months % 12 + 1, 1)


def period_end(start: date, period: Period) -> date:
    """The last date of the period starting on ``start``.

    Parameters
    ----------
    start
        A period start.
    period
        Granularity.

    Returns
    -------
    date
    """
    return period_start_after(start, 1, period) - timedelta(days=1)


# Windows and exposure live in their own module to keep this one small; they are part of the same definitions.
from lib.windows import exposures, in_window, local_day_start_utc, window_end, window_is_mature  # noqa: E402

__all__ = [
    "COMPLETE_DAY_AFTER",
    "AnchorKind",
    "AsOf",
    "active_events",
    "anchors",
    "as_of_from",
    "cell_end_date",
    "cell_is_mature",
    "cohort_start",
    "day_n",
    "exposures",
    "in_window",
    "last_event_local",
    "local_day_start_utc",
    "local_wall_clock",
    "period_end",
    "period_k",
    "period_start_after",
    "window_end",
    "window_is_mature",
]
