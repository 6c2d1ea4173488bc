"""Funnel reports: resolve what to compute from the config and user input, run the Selects, build results.

The CLI and the funnel page share these, so both say the same thing. Execution goes through a ``run``
callable (``ctx.run`` on the CLI, the UI's cached runner on a page); nothing here opens a connection.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa

from lib.config import FunnelConfig, ReviewConfig
from lib.context import Context
from lib.errors import ReviewError
from lib.metrics.funnel_results import FunnelPeriod, FunnelResult, funnel_results, trend_results
from lib.metrics.funnels import funnel_select, funnel_trend_select, resolve_breakdown
from lib.sqlcompat import Period

Runner = Callable[[sa.Select[Any]], pd.DataFrame]
DEFAULT_WINDOW_DAYS = 7


@dataclass(frozen=True)
class FunnelSpec:
    """What funnel to compute.

    Attributes
    ----------
    name
        Config name or ``"ad hoc"``.
    steps
        Event names in order.
    window_days
        N.
    """

    name: str
    steps: tuple[str, ...]
    window_days: int


def resolve_spec(
    config: ReviewConfig, steps: str | Sequence[str] | None, name: str | None, window_days: int | None
) -> FunnelSpec:
    """Pick the funnel: ad-hoc ``steps``, a config funnel by ``name``, or the config's first funnel.

    Parameters
    ----------
    config
        The review config.
    steps
        ``"A,B,C"`` or a sequence, or None.
    name
        A ``[[funnels]]`` name, or None.
    window_days
        Overrides the funnel's window (default: the config funnel's, else 7).

    Returns
    -------
    FunnelSpec

    Raises
    ------
    ReviewError
        For an unknown name, fewer than 2 steps, a window below 1, or nothing to compute.
    """
    chosen: FunnelConfig | None = None
    if name is not None:
        by_name = {f.name: f for f in config.funnels}
        if name not in by_name:
            known = ", ".join(by_name) or "none configured"
            raise ReviewError(
                f"No funnel named {name!r} in the config (funnels: {known}). Check [[funnels]]."
            )
        chosen = by_name[name]
    if steps is not None:
        parts = (
            [s.strip() for s in steps.split(",")] if isinstance(steps, str) else [s.strip() for s in steps]
        )
        step_list = tuple(p for p in parts if p)
        label = chosen.name if chosen is not None else "ad hoc"
    elif chosen is not None or config.funnels:
        chosen = chosen or config.funnels[0]
        step_list, label = tuple(chosen.steps), chosen.name
    else:
        raise ReviewError(
            "No funnel to compute: pass --steps A,B,C (event names in order), or add a [[funnels]] table to "
            "review.toml."
        )
    if len(step_list) < 2:
        raise ReviewError(
            f"A funnel needs at least 2 steps, got {len(step_list)}. Example: --steps signup,first_project."
        )
    window = (
        window_days if window_days is not None else (chosen.window_days if chosen else DEFAULT_WINDOW_DAYS)
    )
    if window < 1:
        raise ReviewError(f"--window-days must be at least 1, got {window}.")
    return FunnelSpec(label, step_list, int(window))


def _release_date(config: ReviewConfig, release: str | None) -> date | None:
    if release is None:
        return None
    by_name = {r.name: r.date for r in config.releases}
    if release not in by_name:
        known = ", ".join(by_name) or "none configured"
        raise ReviewError(
            f"No release named {release!r} in the config (releases: {known}). Check [[releases]]."
        )
    return by_name[release]


def _check_by(ctx: Context, by: str | None) -> None:
    if by is None:
        return
    try:
        resolve_breakdown(ctx.tables, by)
    except ValueError as err:
        raise ReviewError(f"Cannot break the funnel down by {by!r}: {err}.") from None


def compute_funnel(
    ctx: Context, spec: FunnelSpec, run: Runner, *, by: str | None = None, release: str | None = None
) -> tuple[FunnelResult, ...]:
    """Run the funnel and build one result per segment.

    Parameters
    ----------
    ctx
        The open context (filters, ``start``/``end`` bound entries, as_of).
    spec
        From :func:`resolve_spec`.
    run
        Executes a Select.
    by
        Breakdown attribute/property, or None.
    release
        A release name: segments ``before``/``after`` it (exclusive with ``by``).

    Returns
    -------
    tuple of FunnelResult
    """
    _check_by(ctx, by)
    if by is not None and release is not None:
        raise ReviewError("Pick either --by or --release for a funnel, not both.")
    stmt = funnel_select(
        ctx.tables,
        spec.steps,
        spec.window_days,
        ctx.require_as_of(),
        start=ctx.start,
        end=ctx.end,
        by=by,
        release=_release_date(ctx.config, release),
    )
    return funnel_results(run(stmt), spec.steps, spec.window_days, spec.name)


def compute_trend(
    ctx: Context, spec: FunnelSpec, run: Runner, *, period: Period = "week", by: str | None = None
) -> tuple[FunnelPeriod, ...]:
    """Run conversion over time by entry period.

    Parameters
    ----------
    ctx, spec, run, by
        As in :func:`compute_funnel`.
    period
        Entry period.

    Returns
    -------
    tuple of FunnelPeriod
    """
    _check_by(ctx, by)
    stmt = funnel_trend_select(
        ctx.tables,
        spec.steps,
        spec.window_days,
        ctx.require_as_of(),
        period=period,
        start=ctx.start,
        end=ctx.end,
        by=by,
    )
    return trend_results(run(stmt), len(spec.steps))
