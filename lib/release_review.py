"""The release review (R8): targets with progress, the North Star with its leading indicators, and a
before/after comparison for releases without an experiment.

Every number compares groups of users by the local date of their anchor (signup, else first event), with a
metric measured from the anchor exactly as for experiments, and only users whose metric window ended by
as_of (mature users):

- **baseline**: users anchored in the 90 days before the release; **current**: users anchored from the release
  date on. A target is judged at ``min(as_of, by)``: the deadline's data, once it has passed.
- **before/after**: the N whole weeks after the release against the N whole weeks just before it (same
  weekdays, same cohort ages), N = whole weeks from the release to as_of minus the metric's window, at most 12.
- the change is relative, (after − before)/|before|, with the delta-method interval of
  :func:`lib.stats.compare` (variance p(1 − p) for conversion and retention metrics).

This is an observational comparison, not an experiment: anything else that changed at the same time (season,
marketing, an experiment running on the new cohorts) is mixed into it. The narrative says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pandas as pd

from lib.config import MetricConfig, ReleaseConfig, ReviewConfig, TargetConfig
from lib.context import Context
from lib.definitions import AsOf, as_of_from
from lib.errors import ReviewError
from lib.release_review_results import (
    Comparison,
    NorthStar,
    ReleaseReview,
    TargetProgress,
    TargetStatus,
    ViewLink,
    before_after_frame,
    comparison_from,
    target_status,
    targets_frame,
    weekly_points,
)
from lib.release_review_sql import AnchorGroup, GroupQuery, group_stats, weekly_stats
from lib.stats import SampleStats

BASELINE_DAYS = 90
MAX_WEEKS = 12
SERIES_WEEKS_BEFORE = 13


def find_release(config: ReviewConfig, name: str) -> ReleaseConfig:
    """The ``[[releases]]`` entry called ``name``.

    Parameters
    ----------
    config
        The review config.
    name
        Release name.

    Returns
    -------
    ReleaseConfig

    Raises
    ------
    ReviewError
        When no release has that name; the message lists the configured ones.
    """
    for rel in config.releases:
        if rel.name == name:
            return rel
    known = ", ".join(r.name for r in config.releases) or "none"
    where = config.path.name if config.path else "review.toml"
    raise ReviewError(
        f"No release named {name!r} in {where} (configured: {known}). Pick one of those, or add a "
        "[[releases]] entry with name and date."
    )


def window_lag(metric: MetricConfig) -> int:
    """Days after the anchor date until every user anchored that day has a mature value.

    Parameters
    ----------
    metric
        The metric.

    Returns
    -------
    int
        ``day`` for retention (day N must be over), else ``window_days`` (default 7).
    """
    if metric.kind == "retention":
        return int(metric.day or 0)
    return int(metric.window_days or 7)


def before_after_weeks(release: date, as_of: date, metric: MetricConfig) -> int:
    """N: whole weeks from the release to the last anchor date whose users are all mature, at most 12.

    Parameters
    ----------
    release
        Release date.
    as_of
        Last complete local date.
    metric
        The metric (its window sets the lag).

    Returns
    -------
    int
        0 when not even one week after the release is mature.
    """
    days = (as_of - timedelta(days=window_lag(metric)) - release).days + 1
    return max(0, min(MAX_WEEKS, days // 7))


def _as_of_at(day: date, tz: str) -> AsOf:
    got = as_of_from(None, tz, day)
    assert got is not None  # an explicit day always gives an AsOf
    return got


def _stats_by_part(frame: pd.DataFrame) -> dict[int, dict[str, SampleStats]]:
    out: dict[int, dict[str, SampleStats]] = {}
    for row in frame.itertuples(index=False):
        out.setdefault(int(row.part), {})[str(row.variant)] = SampleStats(int(row.n), float(row.sum), float(row.sum_sq))
    return out


def _metric(config: ReviewConfig, name: str) -> MetricConfig:
    try:
        return config.metrics[name]
    except KeyError:
        raise ReviewError(f"Metric {name!r} is not defined. Add a [metrics.{name}] table to review.toml.") from None


def baseline_groups(release: date, last: date) -> tuple[AnchorGroup, AnchorGroup]:
    """The 90-day pre-release baseline and the post-release group up to ``last``.

    Parameters
    ----------
    release
        Release date.
    last
        Last anchor date of the current group (maturity trims it further).

    Returns
    -------
    tuple of AnchorGroup
        (``before``, ``after``).
    """
    before = AnchorGroup("before", release - timedelta(days=BASELINE_DAYS), release - timedelta(days=1))
    return before, AnchorGroup("after", release, last)


def review_release(ctx: Context, name: str, run: Callable[[Any], pd.DataFrame] | None = None) -> ReleaseReview:
    """Compute the release review of release ``name``.

    Parameters
    ----------
    ctx
        The context (filtered tables, config, as_of).
    name
        A ``[[releases]]`` name.
    run
        Executes a Select (default ``ctx.run``); the app passes its cached runner so a warm page is instant.

    Returns
    -------
    ReleaseReview

    Raises
    ------
    ReviewError
        For an unknown release or an empty events table.
    """
    run = run or ctx.run
    config = ctx.config
    rel = find_release(config, name)
    as_of = ctx.require_as_of()
    tz = config.source.timezone
    activity = config.activity.events

    queries: list[GroupQuery] = []
    targets = [t for t in config.targets if t.release == rel.name]
    for t in targets:
        judged = min(as_of.date, t.by)
        queries.append(GroupQuery(_metric(config, t.metric), baseline_groups(rel.date, judged), _as_of_at(judged, tz)))
    ns = config.north_star
    ns_names = [ns.metric, *ns.leading] if ns else []
    for m in ns_names:
        queries.append(GroupQuery(_metric(config, m), baseline_groups(rel.date, as_of.date), as_of))
    ba_names = list(dict.fromkeys([*ns_names, *(t.metric for t in targets)])) or list(config.metrics)
    weeks: list[int] = []
    for m in ba_names:
        metric = _metric(config, m)
        n = before_after_weeks(rel.date, as_of.date, metric)
        weeks.append(n)
        queries.append(GroupQuery(metric, _ba_groups(rel.date, max(n, 1)), as_of))

    by_part = _stats_by_part(run(group_stats(ctx.tables, queries, activity))) if queries else {}
    results = [comparison_from(q.metric, q.groups[0], q.groups[1], by_part.get(i, {})) for i, q in enumerate(queries)]
    target_rows = tuple(_progress(t, results[i], as_of.date, rel.date) for i, t in enumerate(targets))
    ns_cmp = results[len(targets) : len(targets) + len(ns_names)]
    ba_cmp = results[len(targets) + len(ns_names) :]
    before_after = tuple(_with_weeks(c, n) for c, n in zip(ba_cmp, weeks, strict=True))
    north = None
    if ns is not None:
        weekly = _weekly(ctx, run, [_metric(config, m) for m in ns_names], rel.date, as_of, ns.metric)
        north = NorthStar(ns.metric, tuple(ns.leading), tuple(ns_cmp), weekly)
    exps = tuple(e.name for e in config.experiments if e.start is not None and e.start >= rel.date)
    return ReleaseReview(rel.name, rel.date, as_of.date, target_rows, north, before_after, view_links(rel, exps), exps)


def _with_weeks(c: Comparison, n: int) -> Comparison:
    if n >= 1:
        return replace(c, weeks=n)
    nan = math.nan
    return replace(
        c,
        weeks=0,
        status="inconclusive",
        reason="too_early",
        change=nan,
        abs_change=nan,
        ci_low=nan,
        ci_high=nan,
        p_value=nan,
    )


def _ba_groups(release: date, weeks: int) -> tuple[AnchorGroup, AnchorGroup]:
    span = timedelta(days=7 * weeks)
    return (
        AnchorGroup("before", release - span, release - timedelta(days=1)),
        AnchorGroup("after", release, release + span - timedelta(days=1)),
    )


def _progress(t: TargetConfig, cmp: Comparison, as_of: date, release: date) -> TargetProgress:
    final = as_of >= t.by
    progress = cmp.change / t.change if t.change else math.nan
    return TargetProgress(
        metric=t.metric,
        wanted=t.change,
        release=t.release,
        by=t.by,
        judged_at=min(as_of, t.by),
        comparison=cmp,
        progress=progress,
        status=target_status(t.change, cmp, final),
        days_left=max(0, (t.by - as_of).days),
    )


def _weekly(
    ctx: Context,
    run: Callable[[Any], pd.DataFrame],
    metrics: Sequence[MetricConfig],
    release: date,
    as_of: AsOf,
    north: str,
) -> pd.DataFrame:
    monday = release - timedelta(days=release.weekday())
    first = monday - timedelta(weeks=SERIES_WEEKS_BEFORE)
    frame = run(weekly_stats(ctx.tables, metrics, first, as_of, ctx.config.activity.events))
    return weekly_points(frame, {m.name: m for m in metrics}, north)


def view_links(rel: ReleaseConfig, experiments: Sequence[str]) -> tuple[ViewLink, ...]:
    """Links to the retention, funnel, adoption and experiment views of a release.

    Parameters
    ----------
    rel
        The release.
    experiments
        Experiments starting on or after the release.

    Returns
    -------
    tuple of ViewLink
    """
    params = {"release": rel.name}
    links = [
        ViewLink("views/retention.py", f"Retention: cohorts before vs after {rel.name}", params),
        ViewLink("views/funnels.py", f"Funnels: before vs after {rel.name}", params),
        ViewLink("views/adoption.py", "Feature adoption", params),
    ]
    if experiments:
        links.append(
            ViewLink("views/experiments.py", f"Experiments since {rel.name}: {', '.join(experiments)}", params)
        )
    return tuple(links)


__all__ = [
    "AnchorGroup",
    "Comparison",
    "NorthStar",
    "ReleaseReview",
    "TargetProgress",
    "TargetStatus",
    "ViewLink",
    "before_after_frame",
    "before_after_weeks",
    "comparison_from",
    "find_release",
    "review_release",
    "target_status",
    "targets_frame",
    "view_links",
    "weekly_points",
    "window_lag",
]
