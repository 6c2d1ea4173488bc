"""Cohort retention (R3): one row per cohort cell, computed where the data lives.

A cohort is the users whose anchor (signup, or first event) falls in one day, ISO week or month. Period k of a
user is the k-th calendar period after the one holding their anchor (DESIGN.md section 3), so every user of a
calendar cohort shares the cell's dates: a cell is mature when its last day is on or before as_of, and its
eligible users are the whole cohort. Immature cells still carry their partial counts, marked ``mature =
false``; summaries (:mod:`lib.metrics.retention_summary`) never average them.

Modes: ``on`` counts users active in period k; ``on_or_after`` counts users active in period k or any later
period (unbounded retention). A return event narrows activity to that one event. ``by`` splits cohorts by a
user attribute; ``release`` keeps the cohorts anchored from 90 days before a release onwards and labels each
user ``before NAME`` or ``after NAME`` (the 90-day baseline against the new cohorts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.sql import FromClause

from lib.definitions import (
    AnchorKind,
    AsOf,
    active_events,
    anchors,
    cell_end_date,
    cohort_start,
    local_day_start_utc,
    period_k,
)
from lib.schema import Tables
from lib.sqlcompat import Period, add_periods, int_const, local_date, period_index

Mode = Literal["on", "on_or_after"]
MODES: tuple[Mode, ...] = ("on", "on_or_after")
BASELINE_DAYS = 90
COLUMNS = ("cohort", "cohort_size", "period", "active", "eligible", "mature", "rate")
MISSING_SEGMENT = "(none)"


@dataclass(frozen=True)
class ReleaseSplit:
    """Cohorts around a release: the 90 days before it (baseline) and everything from its date on.

    Attributes
    ----------
    name
        Release name, used in the segment labels ``before NAME`` / ``after NAME``.
    date
        Release date (local); users anchored on it are ``after``.
    baseline_days
        Length of the baseline before the release.
    """

    name: str
    date: date
    baseline_days: int = BASELINE_DAYS

    @property
    def before_label(self) -> str:
        """Segment label of the baseline cohorts."""
        return f"before {self.name}"

    @property
    def after_label(self) -> str:
        """Segment label of the cohorts that joined on or after the release."""
        return f"after {self.name}"


@dataclass(frozen=True)
class RetentionSpec:
    """What to compute (everything but the tables and as_of).

    Attributes
    ----------
    period
        Cohort and period granularity.
    mode
        ``on`` or ``on_or_after``.
    anchor
        ``signup``, ``first_event`` or None for the default rule.
    return_event
        When set, only this event counts as a return.
    by
        A user attribute to break cohorts down by (whitelisted through the schema).
    release
        Split cohorts around a release (baseline vs new cohorts).
    events
        ``[activity] events``: what counts as active when there is no return event (empty: any event).
    start, end
        Inclusive local dates bounding the anchors; later activity still counts.
    """

    period: Period = "week"
    mode: Mode = "on"
    anchor: AnchorKind | None = None
    return_event: str | None = None
    by: str | None = None
    release: ReleaseSplit | None = None
    events: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None

    @property
    def segmented(self) -> bool:
        """Whether the output has a ``segment`` column."""
        return self.by is not None or self.release is not None


def output_columns(spec: RetentionSpec) -> tuple[str, ...]:
    """The CLI/CSV column order for a spec: ``[segment,] cohort, cohort_size, period, ...``.

    Parameters
    ----------
    spec
        The retention spec.

    Returns
    -------
    tuple of str
    """
    return (("segment",) if spec.segmented else ()) + COLUMNS


def _segment_expr(tables: Tables, spec: RetentionSpec, anc: FromClause) -> tuple[Any, list[Any]]:
    """The per-user segment label and the extra FROM items it needs."""
    parts: list[Any] = []
    joins: list[Any] = []
    if spec.release is not None:
        rel = spec.release
        parts.append(
            sa.case(
                (anc.c.anchor_date >= sa.literal(rel.date, sa.Date), sa.literal(rel.after_label, sa.String)),
                else_=sa.literal(rel.before_label, sa.String),
            )
        )
    if spec.by is not None:
        col = tables.user_attribute(spec.by)  # ValueError listing allowed names for an unknown attribute
        assert tables.users is not None
        u = tables.users
        # One value per user even if the users table repeats a user.
        attr = (
            sa.select(u.c.user_id, sa.func.min(col).label("value")).group_by(u.c.user_id).cte("user_segment")
        )
        joins.append(attr)
        parts.append(
            sa.func.coalesce(sa.cast(attr.c.value, sa.String), sa.literal(MISSING_SEGMENT, sa.String))
        )
    if not parts:
        return None, joins
    label = parts[0]
    for p in parts[1:]:
        label = label + sa.literal(" · ", sa.String) + p
    return label, joins


def _cohort_users(tables: Tables, spec: RetentionSpec, as_of: AsOf) -> FromClause:
    anc = anchors(tables, spec.anchor)
    segment, joins = _segment_expr(tables, spec, anc)
    cols: list[Any] = [anc.c.user_id, anc.c.anchor_ts, anc.c.anchor_date]
    cols.append(cohort_start(anc.c.anchor_date, spec.period).label("cohort"))
    cols.append((segment if segment is not None else sa.literal("all", sa.String)).label("segment"))
    frm: Any = anc
    for j in joins:
        frm = frm.outerjoin(j, j.c.user_id == anc.c.user_id)
    q = sa.select(*cols).select_from(frm)
    lo = spec.start
    if spec.release is not None:
        base_start = spec.release.date - timedelta(days=spec.release.baseline_days)
        lo = base_start if lo is None else max(lo, base_start)
    hi = as_of.date if spec.end is None else min(spec.end, as_of.date)
    if lo is not None:
        q = q.where(anc.c.anchor_date >= sa.literal(lo, sa.Date))
    q = q.where(anc.c.anchor_date <= sa.literal(hi, sa.Date))
    return q.cte("cohort_users")


def retention(tables: Tables, spec: RetentionSpec, as_of: AsOf) -> sa.Select[Any]:
    """Retention cells: cohort size, active and eligible users and maturity per (segment, cohort, period k).

    Parameters
    ----------
    tables
        Canonical (filtered) tables.
    spec
        Period, mode, anchor, return event, breakdown, release split and date bounds.
    as_of
        The data's as_of: cells ending after ``as_of.date`` are immature; cohorts anchored after it are left
        out.

    Returns
    -------
    Select
        Columns ``segment`` (``"all"`` when not segmented), ``cohort`` (DATE, the cohort period's first day),
        ``cohort_size``, ``period`` (k >= 0), ``active``, ``eligible``, ``mature`` (bool), ``rate`` (active /
        eligible). One row per cell that has started by as_of, including period 0 and cells nobody returned
        in; ordered by segment, cohort, period.
    """
    tz = tables.timezone
    cu = _cohort_users(tables, spec, as_of)
    wanted: Sequence[str] = (spec.return_event,) if spec.return_event else spec.events
    ev = active_events(tables, wanted)
    k = period_k(local_date(ev.c.ts, tz), cu.c.anchor_date, spec.period)
    act = (
        sa.select(cu.c.segment, cu.c.cohort, cu.c.user_id, k.label("k"))
        .select_from(ev.join(cu, cu.c.user_id == ev.c.user_id))
        # Events before the anchor are ignored.
        .where(ev.c.ts >= cu.c.anchor_ts)
    )
    if spec.start is not None or spec.release is not None:
        # Filter early on the raw scan too: nothing before the earliest possible anchor can count.
        lo = spec.start or spec.release.date  # type: ignore[union-attr]
        if spec.release is not None:
            lo = min(lo, spec.release.date - timedelta(days=spec.release.baseline_days))
            if spec.start is not None:
                lo = max(lo, spec.start)
        act = act.where(ev.c.ts >= sa.literal(local_day_start_utc(lo, tz), sa.DateTime(timezone=True)))
    user_k = act.distinct().cte("user_periods")

    sizes = (
        sa.select(cu.c.segment, cu.c.cohort, sa.func.count().label("cohort_size"))
        .group_by(cu.c.segment, cu.c.cohort)
        .cte("cohort_sizes")
    )
    as_of_d = sa.literal(as_of.date, sa.Date)
    max_k = sa.select(period_index(as_of_d, sa.func.min(sizes.c.cohort), spec.period)).scalar_subquery()
    ks = sa.select(int_const(0).label("k")).cte("ks", recursive=True)
    ks = ks.union_all(sa.select((ks.c.k + int_const(1)).label("k")).where(ks.c.k < max_k))
    grid = (
        sa.select(sizes.c.segment, sizes.c.cohort, sizes.c.cohort_size, ks.c.k)
        .select_from(sizes.join(ks, add_periods(sizes.c.cohort, ks.c.k, spec.period) <= as_of_d))
        .cte("grid")
    )

    if spec.mode == "on":
        counts = (
            sa.select(user_k.c.segment, user_k.c.cohort, user_k.c.k, sa.func.count().label("active"))
            .group_by(user_k.c.segment, user_k.c.cohort, user_k.c.k)
            .cte("cell_active")
        )
        on = sa.and_(
            counts.c.segment == grid.c.segment, counts.c.cohort == grid.c.cohort, counts.c.k == grid.c.k
        )
        active = sa.func.coalesce(counts.c.active, int_const(0))
        cells = sa.select(grid, active.label("active")).select_from(grid.outerjoin(counts, on)).cte("cells")
    else:
        last = (
            sa.select(
                user_k.c.segment, user_k.c.cohort, user_k.c.user_id, sa.func.max(user_k.c.k).label("last_k")
            )
            .group_by(user_k.c.segment, user_k.c.cohort, user_k.c.user_id)
            .cte("last_period")
        )
        per_last = (
            sa.select(last.c.segment, last.c.cohort, last.c.last_k, sa.func.count().label("n"))
            .group_by(last.c.segment, last.c.cohort, last.c.last_k)
            .cte("last_counts")
        )
        # Active in k or later = last active period >= k; a tiny non-equi join (cells x distinct last periods).
        on = sa.and_(
            per_last.c.segment == grid.c.segment,
            per_last.c.cohort == grid.c.cohort,
            per_last.c.last_k >= grid.c.k,
        )
        active = sa.func.coalesce(sa.func.sum(per_last.c.n), int_const(0))
        cells = (
            sa.select(grid, active.label("active"))
            .select_from(grid.outerjoin(per_last, on))
            .group_by(grid.c.segment, grid.c.cohort, grid.c.cohort_size, grid.c.k)
            .cte("cells")
        )

    mature = cell_end_date(cells.c.cohort, cells.c.k, spec.period) <= as_of_d
    eligible = cells.c.cohort_size
    q = sa.select(
        cells.c.segment.label("segment"),
        cells.c.cohort.label("cohort"),
        sa.cast(cells.c.cohort_size, sa.BigInteger).label("cohort_size"),
        sa.cast(cells.c.k, sa.Integer).label("period"),
        sa.cast(cells.c.active, sa.BigInteger).label("active"),
        sa.cast(eligible, sa.BigInteger).label("eligible"),
        mature.label("mature"),
        (sa.cast(cells.c.active, sa.Double) / sa.func.nullif(sa.cast(eligible, sa.Double), 0.0)).label(
            "rate"
        ),
    )
    return q.order_by(cells.c.segment, cells.c.cohort, cells.c.k)
