"""Windows and exposure (DESIGN.md section 3), part of the shared definitions in lib/definitions.py.

- **window_days = N**: the half-open interval [t0, t0 + N x 24 h) on instants.
- **exposure**: the assignment's timestamp, else the first event at or after the experiment's start.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.sql import FromClause
from sqlalchemy.sql.elements import ColumnElement

from lib.schema import Tables
from lib.sqlcompat import add_hours

if TYPE_CHECKING:  # lib.definitions imports this module; the annotation alone needs AsOf
    from lib.definitions import AsOf


def window_end(t0: Any, window_days: int) -> ColumnElement[Any]:
    """The exclusive end of the window [t0, t0 + N x 24 h).

    Parameters
    ----------
    t0
        An instant expression (exposure, anchor or step-1 time).
    window_days
        N.

    Returns
    -------
    ColumnElement
        An instant expression.
    """
    return add_hours(t0, 24 * int(window_days))


def in_window(ts: Any, t0: Any, window_days: int) -> ColumnElement[bool]:
    """Whether instant ``ts`` lies in [t0, t0 + N x 24 h).

    Parameters
    ----------
    ts, t0
        Instant expressions.
    window_days
        N.

    Returns
    -------
    ColumnElement
        Boolean expression.
    """
    return sa.and_(ts >= t0, ts < window_end(t0, window_days))


def window_is_mature(t0: Any, window_days: int, as_of: AsOf) -> ColumnElement[bool]:
    """Whether the window starting at t0 ended on or before as_of.

    Parameters
    ----------
    t0
        Instant expression.
    window_days
        N.
    as_of
        The data's as_of.

    Returns
    -------
    ColumnElement
        Boolean expression (``as_of.end_utc`` is a bound value).
    """
    return window_end(t0, window_days) <= sa.literal(as_of.end_utc, sa.DateTime(timezone=True))


def local_day_start_utc(d: date, tz: str) -> datetime:
    """The UTC instant a local date starts at (for bounding queries by ``--start``/``--end``).

    Parameters
    ----------
    d
        Local date.
    tz
        Product zone.

    Returns
    -------
    datetime
        Timezone-aware UTC.
    """
    return datetime.combine(d, time(0), tzinfo=ZoneInfo(tz)).astimezone(ZoneInfo("UTC"))


def exposures(
    tables: Tables, experiment: str, start: date | None, end: date | None = None
) -> tuple[FromClause, FromClause]:
    """Exposure per assigned user of one experiment, and the users assigned to several variants.

    Exposure is the assignment's timestamp when the assignments table has one, else the user's first event at
    or after the experiment's start (local midnight). Users in several variants are left out of the first
    relation and listed in the second. Assigned users never exposed have a NULL ``exposure_ts``.

    Parameters
    ----------
    tables
        Canonical tables (must have assignments).
    experiment
        The experiment name as it appears in ``assignments.experiment``.
    start
        The experiment's start date (local); required when assignments carry no timestamps.
    end
        The planned end; exposures after its local end are ignored when exposure comes from events.

    Returns
    -------
    tuple of FromClause
        ``exposed``: ``user_id``, ``variant``, ``exposure_ts``; ``multi``: ``user_id``, ``variants``.
    """
    if tables.assignments is None:
        raise ValueError("exposures need an assignments table")
    a = tables.assignments
    per_user = (
        sa.select(
            a.c.user_id,
            sa.func.min(a.c.variant).label("variant"),
            sa.func.count(sa.distinct(a.c.variant)).label("variants"),
            (sa.func.min(a.c.ts) if tables.has_exposure_ts else sa.null()).label("assigned_ts"),
        )
        .where(a.c.experiment == experiment)
        .group_by(a.c.user_id)
        .cte(f"assigned_{_ident(experiment)}")
    )
    multi = sa.select(per_user.c.user_id, per_user.c.variants).where(per_user.c.variants > 1).cte("multi_variant")
    single = sa.select(per_user).where(per_user.c.variants == 1).cte("single_variant")
    if tables.has_exposure_ts:
        exposed = sa.select(single.c.user_id, single.c.variant, single.c.assigned_ts.label("exposure_ts"))
    else:
        if start is None:
            raise ValueError(f"experiment {experiment!r} needs a start date: its assignments carry no timestamps")
        ev = tables.events
        since = local_day_start_utc(start, tables.timezone)
        cond = [ev.c.ts >= sa.literal(since, sa.DateTime(timezone=True))]
        if end is not None:
            until = local_day_start_utc(end + timedelta(days=1), tables.timezone)
            cond.append(ev.c.ts < sa.literal(until, sa.DateTime(timezone=True)))
        first = (
            sa.select(ev.c.user_id, sa.func.min(ev.c.ts).label("first_ts"))
            .where(*cond)
            .where(ev.c.user_id.in_(sa.select(single.c.user_id)))
            .group_by(ev.c.user_id)
            .cte("first_after_start")
        )
        exposed = sa.select(single.c.user_id, single.c.variant, first.c.first_ts.label("exposure_ts")).select_from(
            single.outerjoin(first, first.c.user_id == single.c.user_id)
        )
    return exposed.cte("exposed"), multi


def _ident(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name)[:40]
