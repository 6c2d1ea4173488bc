"""Plain-language adoption sentences, built only from AdoptionPeriod / FeatureSummary objects."""

from __future__ import annotations

import math
from collections.abc import Sequence

from lib.metrics.adoption_results import AdoptionPeriod, FeatureSummary

_ADVICE = {
    "core": "broad and frequent: a core feature",
    "niche": "used often by few: worth showing to more users",
    "shallow": "tried by many but rarely repeated: worth deepening",
    "retire candidate": "used by few and rarely: a candidate to rethink or retire",
}


def _pct(x: float) -> str:
    return f"{x:.0%}"


def feature_latest(periods: Sequence[AdoptionPeriod], feature: str) -> str | None:
    """The feature's adoption in its latest complete period and its adopters to date.

    Parameters
    ----------
    periods
        All periods.
    feature
        The feature name.

    Returns
    -------
    str or None
        None when no complete period has active users.
    """
    rows = [p for p in periods if p.feature == feature and p.complete and p.active_users > 0]
    if not rows:
        return None
    last = rows[-1]
    return (
        f"{feature}: {_pct(last.adoption_rate)} of active users used it in the period starting "
        f"{last.period_start:%d %B %Y} ({last.adopters:,} of {last.active_users:,}); "
        f"{last.cumulative_adopters:,} users have used it so far."
    )


def matrix(summary: FeatureSummary) -> str:
    """Where the feature sits in the engagement matrix, in words.

    Parameters
    ----------
    summary
        One feature's summary.

    Returns
    -------
    str
    """
    if summary.periods == 0 or math.isnan(summary.breadth):
        return f"{summary.feature}: no complete period yet."
    return (
        f"{summary.feature} reaches {_pct(summary.breadth)} of active users, {summary.frequency:.1f} uses "
        f"per adopter per period: {_ADVICE[summary.quadrant]}."
    )


def retention(summary: FeatureSummary) -> str | None:
    """Adopters' next-period retention against other active users, labelled as an association.

    Parameters
    ----------
    summary
        One feature's summary.

    Returns
    -------
    str or None
        None when either rate is missing.
    """
    a, n = summary.adopter_retention, summary.non_adopter_retention
    if math.isnan(a) or math.isnan(n):
        return None
    word = "more" if a > n else ("less" if a < n else "as")
    compare = "as often as" if word == "as" else f"{word} often than"
    return (
        f"Users of {summary.feature} come back the next period {compare} other active users "
        f"({_pct(a)} vs {_pct(n)}). This is an association, not proof that {summary.feature} causes it."
    )
