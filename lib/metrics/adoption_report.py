"""Adoption reports: pick the features, run the Selects, build results (shared by the CLI and the page).

Execution goes through a ``run`` callable (``ctx.run`` on the CLI, the UI's cached runner on a page).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa

from lib.config import FeatureConfig
from lib.context import Context
from lib.errors import ReviewError
from lib.metrics.adoption import adoption_select, depth_select, retention_select
from lib.metrics.adoption_results import (
    AdoptionPeriod,
    FeatureSummary,
    adoption_periods,
    depth_frame,
    summarize,
)
from lib.sqlcompat import Period

Runner = Callable[[sa.Select[Any]], pd.DataFrame]


@dataclass(frozen=True)
class AdoptionReport:
    """Everything the adoption page shows.

    Attributes
    ----------
    period
        ``"week"`` or ``"month"``.
    periods
        Per feature and period (see :class:`AdoptionPeriod`).
    summaries
        Per feature: breadth, frequency, stickiness, adopter retention, quadrant.
    depth
        Uses per adopter distribution (``feature, uses_per_adopter, adopters, share``).
    """

    period: Period
    periods: tuple[AdoptionPeriod, ...]
    summaries: tuple[FeatureSummary, ...]
    depth: pd.DataFrame


def pick_features(ctx: Context, names: Sequence[str] | None = None) -> tuple[FeatureConfig, ...]:
    """The configured features, optionally only those named.

    Parameters
    ----------
    ctx
        The open context.
    names
        Feature names to keep (None: all).

    Returns
    -------
    tuple of FeatureConfig

    Raises
    ------
    ReviewError
        When no feature is configured or a name is unknown.
    """
    features = tuple(ctx.config.features)
    if not features:
        raise ReviewError(
            "No features to measure: add a [[features]] table (name, event, released) to review.toml."
        )
    if not names:
        return features
    by_name = {f.name: f for f in features}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ReviewError(
            f"Unknown feature {unknown[0]!r} (features: {', '.join(by_name)}). "
            "Check [[features]] in review.toml."
        )
    return tuple(by_name[n] for n in names)


def compute_periods(
    ctx: Context, features: Sequence[FeatureConfig], period: Period, run: Runner
) -> tuple[AdoptionPeriod, ...]:
    """Adoption per feature and period over the context's range.

    Parameters
    ----------
    ctx
        The open context.
    features
        From :func:`pick_features`.
    period
        ``"week"`` or ``"month"``.
    run
        Executes a Select.

    Returns
    -------
    tuple of AdoptionPeriod
    """
    as_of = ctx.require_as_of()
    stmt = adoption_select(
        ctx.tables,
        features,
        period,
        activity_events=ctx.config.activity.events,
        start=ctx.start,
        end=ctx.end,
        as_of=as_of,
    )
    return adoption_periods(run(stmt), period, as_of.date)


def compute_report(
    ctx: Context, features: Sequence[FeatureConfig], period: Period, run: Runner
) -> AdoptionReport:
    """Periods, summaries (engagement matrix, stickiness, adopter retention) and depth.

    Parameters
    ----------
    ctx, features, period, run
        As in :func:`compute_periods`.

    Returns
    -------
    AdoptionReport
    """
    as_of = ctx.require_as_of()
    periods = compute_periods(ctx, features, period, run)
    retention = run(
        retention_select(ctx.tables, features, period, activity_events=ctx.config.activity.events)
    )
    depth = depth_frame(run(depth_select(ctx.tables, features, start=ctx.start, end=ctx.end or as_of.date)))
    return AdoptionReport(period, periods, summarize(periods, retention, features, period, as_of.date), depth)
