"""Result objects of the release review and the pure functions that build them from sufficient statistics.

No SQL here: :mod:`lib.release_review` runs the queries of :mod:`lib.release_review_sql` and hands the
per-group ``n, sum, sum_sq`` to these functions; charts, narrative, the page and the report read the results.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import pandas as pd

from lib.config import MetricConfig
from lib.release_review_sql import AnchorGroup
from lib.stats import EffectResult, SampleStats, compare

EPS = 1e-9

TargetStatus = Literal["met", "on track", "behind", "missed", "no data"]
Reason = Literal["ok", "no_users", "too_early", "n_lt_2", "zero_variance", "zero_baseline", "invalid_input"]


@dataclass(frozen=True)
class Comparison:
    """One metric before vs after a release.

    ``change``/``ci_low``/``ci_high`` are the relative change (after − before)/|before| and its two-sided
    95% interval; NaN with ``status="inconclusive"`` and a ``reason`` when it cannot be computed.
    """

    metric: str
    kind: Literal["conversion", "retention", "mean"]
    higher_is_better: bool
    before_first: date
    before_last: date
    after_first: date
    after_last: date
    before_n: int
    before_mean: float
    after_n: int
    after_mean: float
    abs_change: float
    change: float
    ci_low: float
    ci_high: float
    p_value: float
    status: Literal["ok", "inconclusive"]
    reason: Reason
    weeks: int = 0

    @property
    def significant(self) -> bool:
        """True when the interval excludes no change."""
        return self.status == "ok" and (self.ci_low > 0 or self.ci_high < 0)


@dataclass(frozen=True)
class TargetProgress:
    """Progress on one ``[[targets]]`` entry.

    ``progress`` = observed change / wanted change (1.0 = target reached); ``days_left`` = by − as_of (0 once
    the deadline has passed, when ``status`` is final: met or missed).
    """

    metric: str
    wanted: float
    release: str
    by: date
    judged_at: date
    comparison: Comparison
    progress: float
    status: TargetStatus
    days_left: int


@dataclass(frozen=True)
class NorthStar:
    """The North Star metric and its leading indicators, before vs after the release.

    ``weekly`` has one row per (metric, week) of mature anchor-week cohorts: ``metric, week, n, value,
    ci_low, ci_high, role`` (role ``north star`` or ``leading``).
    """

    metric: str
    leading: tuple[str, ...]
    comparisons: tuple[Comparison, ...]
    weekly: pd.DataFrame


@dataclass(frozen=True)
class ViewLink:
    """A link to another page of the app, showing this release."""

    page: str
    label: str
    query_params: Mapping[str, str]


@dataclass(frozen=True)
class ReleaseReview:
    """Everything the release page and the static report show."""

    release: str
    release_date: date
    as_of: date
    targets: tuple[TargetProgress, ...]
    north_star: NorthStar | None
    before_after: tuple[Comparison, ...]
    links: tuple[ViewLink, ...]
    experiments: tuple[str, ...]


def comparison_from(
    metric: MetricConfig, before: AnchorGroup, after: AnchorGroup, stats: Mapping[str, SampleStats], weeks: int = 0
) -> Comparison:
    """Compare the ``after`` group with the ``before`` group from their sufficient statistics.

    Parameters
    ----------
    metric
        The metric (binary variance for conversion and retention).
    before, after
        The groups (their dates are carried into the result).
    stats
        Sufficient statistics by group label; a missing label means no mature user.
    weeks
        N of a before/after comparison (0 for targets and the North Star).

    Returns
    -------
    Comparison
    """
    b = stats.get(before.label, SampleStats(0, 0.0, 0.0))
    a = stats.get(after.label, SampleStats(0, 0.0, 0.0))
    binary = metric.kind in ("conversion", "retention")
    eff: EffectResult = compare(b, a, relative=True, binary=binary)
    reason: Reason = "ok" if eff.ok else _reason(eff.reason, b, a)
    return Comparison(
        metric=metric.name,
        kind=metric.kind,
        higher_is_better=metric.higher_is_better,
        before_first=before.first,
        before_last=before.last,
        after_first=after.first,
        after_last=after.last,
        before_n=b.n,
        before_mean=b.mean if b.n else math.nan,
        after_n=a.n,
        after_mean=a.mean if a.n else math.nan,
        abs_change=eff.abs_lift if b.n and a.n else math.nan,
        change=eff.rel_lift if b.n and a.n else math.nan,
        ci_low=eff.ci_low,
        ci_high=eff.ci_high,
        p_value=eff.p_value,
        status=eff.status,
        reason=reason,
        weeks=weeks,
    )


def _reason(code: str | None, b: SampleStats, a: SampleStats) -> Reason:
    if b.n == 0 or a.n == 0:
        return "no_users"
    allowed: tuple[Reason, ...] = ("n_lt_2", "zero_variance", "zero_baseline", "invalid_input")
    return next((r for r in allowed if r == code), "invalid_input")


def target_status(wanted: float, cmp: Comparison, final: bool) -> TargetStatus:
    """Judge a target from the observed change.

    Parameters
    ----------
    wanted
        The relative change wanted (negative: a decrease is wanted).
    cmp
        Baseline vs current.
    final
        True once the deadline has passed: the target is then met (observed change at or beyond the wanted
        one) or missed.

    Returns
    -------
    str
        Before the deadline: ``met`` when the observed change reaches the wanted one and its interval
        excludes no change; ``on track`` when it moves the wanted way and the wanted change is still inside
        its interval; ``behind`` otherwise. ``no data`` when the change cannot be computed.
    """
    if cmp.status != "ok" or math.isnan(cmp.change):
        return "no data"
    sign = 1.0 if wanted >= 0 else -1.0
    observed = sign * cmp.change
    low, high = sorted((sign * cmp.ci_low, sign * cmp.ci_high))
    # A change exactly at the target must count as reaching it despite floating-point noise.
    reached = observed >= abs(wanted) - EPS
    if final:
        return "met" if reached else "missed"
    if reached and low > 0:
        return "met"
    if observed > 0 and high >= abs(wanted):
        return "on track"
    return "behind"


def weekly_points(frame: pd.DataFrame, metrics: Mapping[str, MetricConfig], north: str) -> pd.DataFrame:
    """Weekly values with a 95% normal interval, mature anchor weeks only.

    Parameters
    ----------
    frame
        Output of :func:`lib.release_review_sql.weekly_stats`.
    metrics
        The metrics by name (binary variance for conversion and retention).
    north
        The North Star's name (its rows get role ``north star``).

    Returns
    -------
    pandas.DataFrame
        Columns ``metric, role, week, n, value, ci_low, ci_high``.
    """
    rows = []
    for r in frame.itertuples(index=False):
        n = int(r.n)
        if n < 1 or int(r.maturing) > 0:
            continue
        s = SampleStats(n, float(r.sum), float(r.sum_sq))
        var = s.variance_for(metrics[str(r.metric)].kind in ("conversion", "retention")) if n > 1 else math.nan
        half = 1.96 * math.sqrt(var / n) if var == var else math.nan
        rows.append(
            {
                "metric": str(r.metric),
                "role": "north star" if r.metric == north else "leading",
                "week": pd.Timestamp(r.week).date(),
                "n": n,
                "value": s.mean,
                "ci_low": s.mean - half,
                "ci_high": s.mean + half,
            }
        )
    return pd.DataFrame(rows, columns=["metric", "role", "week", "n", "value", "ci_low", "ci_high"])


def before_after_frame(comparisons: Sequence[Comparison]) -> pd.DataFrame:
    """The comparisons as a table (for the page, the CSV download and the report).

    Parameters
    ----------
    comparisons
        Before/after or baseline/current comparisons.

    Returns
    -------
    pandas.DataFrame
        Columns ``metric, before_first, before_last, before_n, before, after_first, after_last, after_n, after,
        change, ci_low, ci_high, p_value``.
    """
    cols = [
        "metric",
        "before_first",
        "before_last",
        "before_n",
        "before",
        "after_first",
        "after_last",
        "after_n",
        "after",
        "change",
        "ci_low",
        "ci_high",
        "p_value",
    ]
    rows = [
        [
            c.metric,
            c.before_first,
            c.before_last,
            c.before_n,
            c.before_mean,
            c.after_first,
            c.after_last,
            c.after_n,
            c.after_mean,
            c.change,
            c.ci_low,
            c.ci_high,
            c.p_value,
        ]
        for c in comparisons
    ]
    return pd.DataFrame(rows, columns=cols)


def targets_frame(targets: Sequence[TargetProgress]) -> pd.DataFrame:
    """Targets as a table.

    Parameters
    ----------
    targets
        Target progress rows.

    Returns
    -------
    pandas.DataFrame
        Columns ``metric, wanted, by, baseline, current, change, ci_low, ci_high, progress, status, days_left``.
    """
    cols = [
        "metric",
        "wanted",
        "by",
        "baseline",
        "current",
        "change",
        "ci_low",
        "ci_high",
        "progress",
        "status",
        "days_left",
    ]
    rows = [
        [
            t.metric,
            t.wanted,
            t.by,
            t.comparison.before_mean,
            t.comparison.after_mean,
            t.comparison.change,
            t.comparison.ci_low,
            t.comparison.ci_high,
            t.progress,
            t.status,
            t.days_left,
        ]
        for t in targets
    ]
    return pd.DataFrame(rows, columns=cols)
