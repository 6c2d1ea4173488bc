"""Plain-language sentences about retention, built from the cell summaries (never from a new query)."""

from __future__ import annotations

import pandas as pd

from lib.metrics.retention_summary import PeriodReading

UNITS = {"day": "day", "week": "week", "month": "month"}
# The periods teams usually quote: day 7, week 4, month 3 (month 1 for the release comparison).
QUOTED = {"day": 7, "week": 4, "month": 3}
RELEASE_QUOTED = {"day": 7, "week": 4, "month": 1}


def _k(period: str, k: int) -> str:
    return f"{UNITS.get(period, 'period')} {k}"


def average_summary(average: pd.DataFrame, period: str) -> str:
    """Two sentences on the weighted average curve.

    Parameters
    ----------
    average
        :func:`lib.metrics.retention_summary.average_row`.
    period
        ``day``, ``week`` or ``month``.

    Returns
    -------
    str
    """
    later = average[average["period"] > 0]
    if later.empty:
        return (
            "No cohort has completed its first period after joining yet, so there is no retention to report. "
            "Grey cells with an asterisk are periods that have not ended."
        )
    first = later.iloc[0]
    quoted = later[later["period"] == QUOTED.get(period)]
    last = quoted.iloc[0] if not quoted.empty else later.iloc[-1]
    if int(last["period"]) == int(first["period"]):
        head = f"Across mature cohorts, {first['rate']:.0%} of users come back in {_k(period, int(first['period']))}."
    else:
        head = (
            f"Across mature cohorts, {first['rate']:.0%} of users come back in {_k(period, int(first['period']))} "
            f"and {last['rate']:.0%} in {_k(period, int(last['period']))}."
        )
    return head + (
        " Averages are weighted by cohort size and leave out periods that have not ended yet (grey "
        "cells with an asterisk)."
    )


def release_summary(reading: PeriodReading | None, release: str, period: str) -> str:
    """Two sentences comparing the cohorts after a release with the 90-day baseline.

    Parameters
    ----------
    reading
        :func:`lib.metrics.retention_summary.latest_comparable`.
    release
        Release name.
    period
        ``day``, ``week`` or ``month``.

    Returns
    -------
    str
    """
    if reading is None:
        return (
            f"No cohort that joined after {release} has a completed period yet, so it cannot be compared with "
            "the 90 days before. Come back when the first cohort is a period old."
        )
    points = round(abs(reading.difference) * 100)
    where = "in line with" if points == 0 else ("above" if reading.difference > 0 else "below")
    gap = f"{points} point{'s' if points != 1 else ''} {where}" if points else where
    label = f"{UNITS.get(period, 'period').capitalize()}-{reading.period}"
    first = (
        f"{label} retention of the {release} cohorts is {reading.rate:.0%}, {gap} the 90-day baseline "
        f"({reading.baseline_rate:.0%})."
    )
    sizes = f"{reading.eligible:,} and {reading.baseline_eligible:,} users"
    if reading.clear:
        return first + f" The gap is larger than chance would make it at these sizes ({sizes})."
    return first + f" At these sizes ({sizes}) the gap could be chance; the shaded bands overlap."


def segment_summary(averages: pd.DataFrame, attribute: str, period: str, k: int = 1) -> str:
    """Which segment retains best and worst at period k.

    Parameters
    ----------
    averages
        Average rows with a ``segment`` column.
    attribute
        The breakdown attribute.
    period
        ``day``, ``week`` or ``month``.
    k
        The period to compare at (falls back to the largest period every segment has).

    Returns
    -------
    str
    """
    at = averages[averages["period"] == k]
    if at["segment"].nunique() < 2:
        return f"Not enough mature cohorts to compare {attribute} values at {_k(period, k)}."
    at = at.sort_values("rate")
    worst, best = at.iloc[0], at.iloc[-1]
    return (
        f"By {attribute}, {_k(period, k)} retention is lowest for {worst['segment']} ({worst['rate']:.0%}) and "
        f"highest for {best['segment']} ({best['rate']:.0%}). This is a correlation between who users are and "
        "how they retain, not proof of cause."
    )
