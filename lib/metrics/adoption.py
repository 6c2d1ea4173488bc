"""Feature adoption as SQLAlchemy Selects (DESIGN.md R5 and the ``adoption`` command of section 6).

Definitions (periods are local calendar weeks, Monday first, or months):

- **active_users** of a period: distinct users with an activity event in it. Using a feature is activity, so
  when ``[activity] events`` lists some events, the features' events count as activity too; that keeps
  "adopters are those active users who used the feature" true without a join.
- **adopters**: distinct users who used the feature (its ``event``) in the period; **adoption_rate** =
  adopters / active_users; **uses**: the feature's events in the period.
- **cumulative_adopters**: distinct users whose first use of the feature falls in or before the period (all
  history counts, also before ``--start``).
- **depth**: uses per adopter over the whole range, as a distribution.
- **stickiness of a feature**: of the users who used it in period p, the share who use it again in period p+1
  ("repeat rate"), over complete pairs of periods.
- **adopter retention**: of the users active in period p, the share active again in p+1, for those who used
  the feature in p versus those who did not. An association, not a cause: heavy users both adopt and stay.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import FromClause
from sqlalchemy.sql.elements import ColumnElement

from lib.config import FeatureConfig
from lib.definitions import AsOf, local_day_start_utc
from lib.schema import Tables
from lib.sqlcompat import Period, add_periods, int_const, local_date, trunc_date

# Lower bounds of the depth buckets (uses per adopter): 1, 2, 3-5, 6-10, 11+.
DEPTH_BUCKETS: tuple[int, ...] = (1, 2, 3, 6, 11)


def _text(value: str) -> ColumnElement[Any]:
    # Typed explicitly so PostgreSQL knows the type of a text parameter in a select list.
    return sa.cast(sa.literal(value), sa.String)


def feature_list(features: Sequence[FeatureConfig]) -> FromClause:
    """The configured features as a relation (``feature``, ``event``), one SELECT per feature.

    Parameters
    ----------
    features
        ``[[features]]`` of the config; at least one.

    Returns
    -------
    FromClause
        CTE ``features``.
    """
    if not features:
        raise ValueError("no features configured")
    rows = [sa.select(_text(f.name).label("feature"), _text(f.event).label("event")) for f in features]
    return (rows[0] if len(rows) == 1 else sa.union_all(*rows)).cte("features")


def _period_of(ts: Any, tables: Tables, period: Period) -> ColumnElement[Any]:
    return trunc_date(local_date(ts, tables.timezone), period)


def _activity(
    tables: Tables, features: Sequence[FeatureConfig], activity_events: Sequence[str]
) -> FromClause:
    ev = tables.events
    cond: list[ColumnElement[bool]] = [ev.c.ts.is_not(None)]
    if activity_events:
        cond.append(ev.c.event.in_(list(dict.fromkeys([*activity_events, *(f.event for f in features)]))))
    return sa.select(ev.c.user_id, ev.c.event, ev.c.ts).where(*cond).subquery("activity_events")


def _uses(tables: Tables, features: Sequence[FeatureConfig], period: Period) -> FromClause:
    ev = tables.events
    return (
        sa.select(ev.c.user_id, ev.c.event, _period_of(ev.c.ts, tables, period).label("period_start"))
        .where(ev.c.event.in_(list(dict.fromkeys(f.event for f in features))), ev.c.ts.is_not(None))
        .cte("feature_uses")
    )


def _user_periods(
    tables: Tables, features: Sequence[FeatureConfig], period: Period, activity_events: Sequence[str]
) -> FromClause:
    act = _activity(tables, features, activity_events)
    return (
        sa.select(act.c.user_id, _period_of(act.c.ts, tables, period).label("period_start"))
        .distinct()
        .cte("active_user_periods")
    )


def _period_bounds(
    tables: Tables, period: Period, start: date | None, end: date | None, as_of: AsOf | None
) -> list[tuple[str, date]]:
    """(op, date) bounds on period_start: periods overlapping [start, end], none starting after as_of."""
    out: list[tuple[str, date]] = []
    if start is not None:
        # The period holding `start`; week starts are Mondays, month starts the 1st.
        first = (
            start - timedelta(days=start.weekday())
            if period == "week"
            else (start.replace(day=1) if period == "month" else start)
        )
        out.append((">=", first))
    last = min(d for d in (end, as_of.date if as_of else None) if d is not None) if (end or as_of) else None
    if last is not None:
        out.append(("<=", last))
    return out


def adoption_select(
    tables: Tables,
    features: Sequence[FeatureConfig],
    period: Period = "week",
    *,
    activity_events: Sequence[str] = (),
    start: date | None = None,
    end: date | None = None,
    as_of: AsOf | None = None,
) -> sa.Select[Any]:
    """Per feature and period: active users, adopters, adoption rate inputs, uses and cumulative adopters.

    Parameters
    ----------
    tables
        Canonical tables (already filtered).
    features
        The features to measure.
    period
        ``"week"`` or ``"month"`` (``"day"`` works too).
    activity_events
        ``[activity] events`` (empty: any event is activity).
    start, end
        Inclusive local dates: periods overlapping them are returned (cumulative counts use all history).
    as_of
        Periods starting after as_of.date are left out.

    Returns
    -------
    Select
        Columns ``feature, period_start, active_users, adopters, uses, new_adopters, cumulative_adopters``,
        one row per feature and every period that has activity, ordered by feature and period.
    """
    feats = feature_list(features)
    up = _user_periods(tables, features, period, activity_events)
    active = (
        sa.select(up.c.period_start, sa.func.count().label("active_users"))
        .group_by(up.c.period_start)
        .cte("active_per_period")
    )
    uses = _uses(tables, features, period)
    used = (
        sa.select(
            uses.c.event,
            uses.c.period_start,
            sa.func.count(sa.distinct(uses.c.user_id)).label("adopters"),
            sa.func.count().label("uses"),
        )
        .group_by(uses.c.event, uses.c.period_start)
        .cte("feature_per_period")
    )
    first = (
        sa.select(uses.c.event, uses.c.user_id, sa.func.min(uses.c.period_start).label("first_period"))
        .group_by(uses.c.event, uses.c.user_id)
        .subquery("first_use")
    )
    new = (
        sa.select(first.c.event, first.c.first_period, sa.func.count().label("new_adopters"))
        .group_by(first.c.event, first.c.first_period)
        .cte("new_adopters")
    )
    new_n = sa.func.coalesce(new.c.new_adopters, int_const(0))
    grid = active.join(feats, sa.true())
    joined = grid.outerjoin(
        used, sa.and_(used.c.event == feats.c.event, used.c.period_start == active.c.period_start)
    ).outerjoin(new, sa.and_(new.c.event == feats.c.event, new.c.first_period == active.c.period_start))
    inner = (
        sa.select(
            feats.c.feature,
            active.c.period_start,
            active.c.active_users,
            sa.func.coalesce(used.c.adopters, int_const(0)).label("adopters"),
            sa.func.coalesce(used.c.uses, int_const(0)).label("uses"),
            new_n.label("new_adopters"),
            sa.func.sum(new_n)
            .over(partition_by=feats.c.feature, order_by=active.c.period_start, rows=(None, 0))
            .label("cumulative_adopters"),
        )
        .select_from(joined)
        .subquery("adoption_all_periods")
    )
    # Bounds go outside the window sum, so adopters from before --start still count as cumulative.
    cond = [
        inner.c.period_start >= sa.literal(d, sa.Date)
        if op == ">="
        else inner.c.period_start <= sa.literal(d, sa.Date)
        for op, d in _period_bounds(tables, period, start, end, as_of)
    ]
    return sa.select(inner).where(*cond).order_by(inner.c.feature, inner.c.period_start)


def depth_select(
    tables: Tables,
    features: Sequence[FeatureConfig],
    *,
    start: date | None = None,
    end: date | None = None,
) -> sa.Select[Any]:
    """Uses per adopter over a date range, bucketed (1, 2, 3-5, 6-10, 11+).

    Parameters
    ----------
    tables
        Canonical tables.
    features
        Features to measure.
    start, end
        Inclusive local dates bounding the uses counted (None: all).

    Returns
    -------
    Select
        Columns ``feature, bucket`` (the bucket's lower bound, see :data:`DEPTH_BUCKETS`), ``adopters``,
        ``uses``; ordered.
    """
    feats = feature_list(features)
    ev = tables.events
    cond: list[ColumnElement[bool]] = [ev.c.event.in_(list(dict.fromkeys(f.event for f in features)))]
    if start is not None:
        cond.append(
            ev.c.ts >= sa.literal(local_day_start_utc(start, tables.timezone), sa.DateTime(timezone=True))
        )
    if end is not None:
        upper = local_day_start_utc(end + timedelta(days=1), tables.timezone)
        cond.append(ev.c.ts < sa.literal(upper, sa.DateTime(timezone=True)))
    per_user = (
        sa.select(ev.c.event, ev.c.user_id, sa.func.count().label("n"))
        .where(*cond)
        .group_by(ev.c.event, ev.c.user_id)
        .subquery("uses_per_user")
    )
    whens = [(per_user.c.n >= int_const(b), int_const(b)) for b in reversed(DEPTH_BUCKETS[1:])]
    bucketed = sa.select(
        per_user.c.event, per_user.c.n, sa.case(*whens, else_=int_const(DEPTH_BUCKETS[0])).label("bucket")
    ).subquery("depth_buckets")
    return (
        sa.select(
            feats.c.feature,
            bucketed.c.bucket,
            sa.func.count().label("adopters"),
            sa.func.sum(bucketed.c.n).label("uses"),
        )
        .select_from(feats.join(bucketed, bucketed.c.event == feats.c.event))
        .group_by(feats.c.feature, bucketed.c.bucket)
        .order_by(feats.c.feature, bucketed.c.bucket)
    )


def retention_select(
    tables: Tables,
    features: Sequence[FeatureConfig],
    period: Period = "week",
    *,
    activity_events: Sequence[str] = (),
) -> sa.Select[Any]:
    """Next-period retention of adopters and all active users, and the feature's repeat use, per period.

    Parameters
    ----------
    tables
        Canonical tables.
    features
        Features to measure.
    period
        ``"week"`` or ``"month"``.
    activity_events
        ``[activity] events``.

    Returns
    -------
    Select
        Columns ``feature, period_start, active_users, retained`` (of all active users, active again in the
        next period), ``adopters, adopters_retained, adopters_repeat`` (used the feature again in the next
        period).
        Non-adopters are the difference. The caller keeps periods whose next period is complete.
    """
    feats = feature_list(features)
    up = _user_periods(tables, features, period, activity_events)
    nxt = up.alias("next_period")
    upr = (
        sa.select(
            up.c.user_id,
            up.c.period_start,
            sa.case((nxt.c.user_id.is_not(None), int_const(1)), else_=int_const(0)).label("retained"),
        )
        .select_from(
            up.outerjoin(
                nxt,
                sa.and_(
                    nxt.c.user_id == up.c.user_id,
                    nxt.c.period_start == add_periods(up.c.period_start, 1, period),
                ),
            )
        )
        .cte("retained_user_periods")
    )
    totals = (
        sa.select(
            upr.c.period_start,
            sa.func.count().label("active_users"),
            sa.func.sum(upr.c.retained).label("retained"),
        )
        .group_by(upr.c.period_start)
        .cte("retained_per_period")
    )
    uses = _uses(tables, features, period)
    fup = sa.select(uses.c.event, uses.c.user_id, uses.c.period_start).distinct().cte("feature_user_periods")
    fnext = fup.alias("feature_next_period")
    per = (
        sa.select(
            fup.c.event,
            fup.c.period_start,
            sa.func.count().label("adopters"),
            sa.func.sum(upr.c.retained).label("adopters_retained"),
            sa.func.count(fnext.c.user_id).label("adopters_repeat"),
        )
        .select_from(
            fup.join(
                upr, sa.and_(upr.c.user_id == fup.c.user_id, upr.c.period_start == fup.c.period_start)
            ).outerjoin(
                fnext,
                sa.and_(
                    fnext.c.event == fup.c.event,
                    fnext.c.user_id == fup.c.user_id,
                    fnext.c.period_start == add_periods(fup.c.period_start, 1, period),
                ),
            )
        )
        .group_by(fup.c.event, fup.c.period_start)
        .cte("adopter_retention")
    )
    return (
        sa.select(
            feats.c.feature,
            totals.c.period_start,
            totals.c.active_users,
            totals.c.retained,
            sa.func.coalesce(per.c.adopters, int_const(0)).label("adopters"),
            sa.func.coalesce(per.c.adopters_retained, int_const(0)).label("adopters_retained"),
            sa.func.coalesce(per.c.adopters_repeat, int_const(0)).label("adopters_repeat"),
        )
        .select_from(
            totals.join(feats, sa.true()).outerjoin(
                per, sa.and_(per.c.event == feats.c.event, per.c.period_start == totals.c.period_start)
            )
        )
        .order_by(feats.c.feature, totals.c.period_start)
    )
