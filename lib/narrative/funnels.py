"""Plain-language funnel sentences, built only from FunnelResult / FunnelPeriod objects (never a query)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from lib.metrics.funnel_results import FunnelPeriod, FunnelResult
from lib.metrics.funnels import RELEASE_SIDE_DAYS


def _pct(x: float) -> str:
    return f"{x:.0%}"


def overall(result: FunnelResult) -> str:
    """One sentence on the whole funnel, with the denominator and what is still maturing.

    Parameters
    ----------
    result
        One segment's result.

    Returns
    -------
    str
    """
    if result.status != "ok":
        return result.reason or "No user entered this funnel."
    last = result.steps[-1]
    text = (
        f"{_pct(last.overall_rate)} of users who did {result.steps[0].step} reached {last.step} within "
        f"{result.window_days} days ({last.users:,} of {result.entered:,})."
    )
    if result.maturing:
        text += f" {result.maturing:,} more are still inside their window and not counted yet."
    return text


def biggest_drop(result: FunnelResult) -> str | None:
    """Where most users are lost (the step with the lowest step rate).

    Parameters
    ----------
    result
        One segment's result.

    Returns
    -------
    str or None
        None without entries.
    """
    later = [s for s in result.steps[1:] if not math.isnan(s.step_rate)]
    if result.status != "ok" or not later:
        return None
    worst = min(later, key=lambda s: s.step_rate)
    prev = result.steps[worst.index - 2]
    return (
        f"The biggest drop is from {prev.step} to {worst.step}: {_pct(1 - worst.step_rate)} of users stop "
        f"there ({worst.dropped:,} people)."
    )


def before_after(before: FunnelResult, after: FunnelResult, release: str) -> str:
    """Compare entries after a release with those of the same number of days before it.

    Parameters
    ----------
    before, after
        The ``before`` and ``after`` segments of a release split.
    release
        The release name.

    Returns
    -------
    str
        E.g. "Only 41% of new users reach first_project within 7 days after 2.0, 9 points below the 28 days
        before (50%)."
    """
    if after.status != "ok" or before.status != "ok":
        missing = "after" if after.status != "ok" else "before"
        return f"Not enough complete entries {missing} {release} to compare yet."
    a, b = after.overall_rate, before.overall_rate
    points = round((a - b) * 100)
    last = after.steps[-1].step
    head = f"{_pct(a)} of new users reach {last} within {after.window_days} days after {release}"
    if points == 0:
        return f"{head}, the same as in the {RELEASE_SIDE_DAYS} days before ({_pct(b)})."
    word = "above" if points > 0 else "below"
    head = head if points > 0 else "Only " + head
    return f"{head}, {abs(points)} points {word} the {RELEASE_SIDE_DAYS} days before ({_pct(b)})."


def trend(periods: Sequence[FunnelPeriod]) -> str | None:
    """The latest mature entry period's conversion, and how many periods are still maturing.

    Parameters
    ----------
    periods
        One segment's periods, in order.

    Returns
    -------
    str or None
        None when no period is mature.
    """
    mature = [p for p in periods if p.mature and p.entered > 0]
    if not mature:
        return None
    last = mature[-1]
    waiting = sum(1 for p in periods if not p.mature)
    start = f"{last.period_start:%d %B %Y}"
    text = f"Users who entered in the period starting {start} converted at {_pct(last.rate)}."
    if waiting:
        text += (
            f" The {waiting} later period{'s are' if waiting > 1 else ' is'} still maturing (hollow points)."
        )
    return text
