"""Plain-language sentences about activity, built from the activity result (never from a new query)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd


@dataclass(frozen=True)
class ActivityReading:
    """The latest day of the daily activity table and MAU 30 days before it.

    Attributes
    ----------
    day
        The latest day.
    dau, wau, mau
        Its counts (None while a window is incomplete).
    stickiness
        DAU / MAU, or None.
    mau_before
        MAU 30 days earlier, or None.
    """

    day: date
    dau: int
    wau: int | None
    mau: int | None
    stickiness: float | None
    mau_before: int | None


def _opt_int(v: object) -> int | None:
    return None if v is None or pd.isna(v) else int(v)  # type: ignore[call-overload]


def read_activity(daily: pd.DataFrame) -> ActivityReading | None:
    """Take the reading the summary talks about from the daily table.

    Parameters
    ----------
    daily
        ``date, dau, wau, mau, stickiness`` (one row per day).

    Returns
    -------
    ActivityReading or None
        None for an empty table.
    """
    if daily.empty:
        return None
    by_day = daily.set_index("date")
    last = by_day.index.max()
    row = by_day.loc[last]
    before = last - timedelta(days=30)
    mau_before = _opt_int(by_day.loc[before, "mau"]) if before in by_day.index else None
    stick = row["stickiness"]
    return ActivityReading(
        last,
        int(row["dau"]),
        _opt_int(row["wau"]),
        _opt_int(row["mau"]),
        None if pd.isna(stick) else float(stick),
        mau_before,
    )


def _day(d: date) -> str:
    return f"{d:%A} {d.day} {d:%B}"


def activity_summary(r: ActivityReading | None) -> str:
    """Two sentences: the latest day's DAU, MAU and stickiness, and MAU against 30 days earlier.

    Parameters
    ----------
    r
        The reading.

    Returns
    -------
    str
    """
    if r is None:
        return "No activity in the selected range. Widen the dates or remove a filter."
    if r.mau is None or r.stickiness is None:
        return (
            f"On {_day(r.day)}, {r.dau:,} people used the product. The data covers less than 30 days, so "
            "monthly active users and stickiness are not shown yet."
        )
    first = (
        f"On {_day(r.day)}, {r.dau:,} people used the product and {r.mau:,} did in the last 30 days, so "
        f"stickiness (DAU/MAU) is {r.stickiness:.0%}."
    )
    if r.mau_before is None or r.mau_before == 0:
        return first + " There is no full 30-day window a month earlier to compare with."
    change = r.mau / r.mau_before - 1
    if abs(change) < 0.005:
        return first + f" Monthly active users are flat on 30 days earlier ({r.mau_before:,})."
    word = "up" if change > 0 else "down"
    return (
        first + f" Monthly active users are {word} {abs(change):.0%} on 30 days earlier ({r.mau_before:,})."
    )


def lifecycle_summary(life: pd.DataFrame, period: str) -> str:
    """Two sentences on the latest complete-looking period of the lifecycle table.

    Parameters
    ----------
    life
        ``period_start, new, returning, resurrected, dormant, active``.
    period
        ``day``, ``week`` or ``month``.

    Returns
    -------
    str
    """
    if life.empty:
        return "No activity in the selected range."
    r = life.iloc[-1]
    start = pd.Timestamp(r["period_start"]).date()
    label = {
        "day": f"On {_day(start)}",
        "week": f"In the week of {start.day} {start:%B}",
        "month": f"In {start:%B %Y}",
    }.get(period, f"In the period starting {start}")
    return (
        f"{label}, {int(r['active']):,} users were active: {int(r['new']):,} new, {int(r['returning']):,} "
        f"returning and {int(r['resurrected']):,} back after a break. {-int(r['dormant']):,} users active the "
        f"{period} before did not come back (shown below zero)."
    )


def activation_summary(overall: pd.Series, event: str, window_days: int) -> str:
    """Two sentences on activation rate and time to first value.

    Parameters
    ----------
    overall
        One row of :func:`lib.metrics.activity.activation` with ``period=None``.
    event
        The activation event.
    window_days
        Its window.

    Returns
    -------
    str
    """
    matured = int(overall["matured"])
    if matured == 0 or pd.isna(overall["rate"]):
        return (
            f"No user's {window_days}-day activation window has ended yet, so the activation rate is not "
            "available. Come back when the first cohort is old enough."
        )
    first = (
        f"{overall['rate']:.0%} of users did {event} within {window_days} days of joining "
        f"({int(overall['activated']):,} of {matured:,} whose window has ended)."
    )
    if pd.isna(overall["median_hours"]):
        return first
    return first + (
        f" Half of them got there within {overall['median_hours']:.1f} hours, three quarters within "
        f"{overall['p75_hours']:.1f} hours."
    )
