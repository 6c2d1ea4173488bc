"""Activity charts: DAU/WAU/MAU, stickiness, lifecycle and activation, each with release markers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import altair as alt
import pandas as pd

from lib.charts import theme

LIFECYCLE_ORDER = ("new", "returning", "resurrected", "dormant")
LIFECYCLE_COLORS = (theme.COLORS[0], theme.COLORS[2], theme.COLORS[1], theme.BAD)


def _in_range(releases: Sequence[tuple[str, date]], dates: pd.Series) -> list[tuple[str, date]]:
    if dates.empty:
        return []
    lo, hi = pd.Timestamp(dates.min()), pd.Timestamp(dates.max())
    return [(n, d) for n, d in releases if lo <= pd.Timestamp(d) <= hi]


def _with_releases(chart: Any, releases: Sequence[tuple[str, date]], dates: pd.Series, x_field: str) -> Any:
    shown = _in_range(releases, dates)
    return chart + theme.release_rules(shown, x_field) if shown else chart


def active_users_chart(daily: pd.DataFrame, releases: Sequence[tuple[str, date]] = ()) -> Any:
    """DAU, trailing WAU and MAU per day, one line each.

    Parameters
    ----------
    daily
        ``date, dau, wau, mau, stickiness`` (from :func:`lib.metrics.activity.complete_days`).
    releases
        (name, date) markers.

    Returns
    -------
    alt.Chart
    """
    long = daily.melt(
        id_vars=["date"], value_vars=["dau", "wau", "mau"], var_name="series", value_name="users"
    )
    long = long.dropna(subset=["users"]).assign(
        date=lambda f: pd.to_datetime(f["date"]),
        users=lambda f: f["users"].astype("float64"),
        series=lambda f: f["series"].str.upper(),
    )
    lines = (
        alt.Chart(long)
        .mark_line(strokeWidth=3)
        .encode(
            x=alt.X("date:T", title=None),
            y=alt.Y("users:Q", title="Active users"),
            color=alt.Color("series:N", title=None, sort=["DAU", "WAU", "MAU"]),
            tooltip=[alt.Tooltip("date:T"), "series:N", alt.Tooltip("users:Q", format=",.0f")],
        )
    )
    return theme.base(
        _with_releases(lines, releases, long["date"], "date"), "Active users (trailing 7 and 30 days)"
    )


def stickiness_chart(daily: pd.DataFrame, releases: Sequence[tuple[str, date]] = ()) -> Any:
    """Stickiness (DAU / MAU) per day.

    Parameters
    ----------
    daily
        ``date, dau, wau, mau, stickiness``.
    releases
        (name, date) markers.

    Returns
    -------
    alt.Chart
    """
    frame = daily.dropna(subset=["stickiness"]).assign(date=lambda f: pd.to_datetime(f["date"]))
    line = (
        alt.Chart(frame)
        .mark_line(strokeWidth=3, color=theme.NEUTRAL)
        .encode(
            x=alt.X("date:T", title=None),
            y=alt.Y("stickiness:Q", axis=theme.percent_axis("DAU / MAU")),
            tooltip=[alt.Tooltip("date:T"), alt.Tooltip("stickiness:Q", format=".1%")],
        )
    )
    return theme.base(_with_releases(line, releases, frame["date"], "date"), "Stickiness")


def lifecycle_chart(life: pd.DataFrame, releases: Sequence[tuple[str, date]] = ()) -> Any:
    """New, returning and resurrected users stacked above zero, dormant users below.

    Parameters
    ----------
    life
        ``period_start, new, returning, resurrected, dormant, active`` (dormant <= 0).
    releases
        (name, date) markers.

    Returns
    -------
    alt.Chart
    """
    long = life.melt(
        id_vars=["period_start"], value_vars=list(LIFECYCLE_ORDER), var_name="group", value_name="users"
    )
    long = long.assign(
        period_start=lambda f: pd.to_datetime(f["period_start"]), users=lambda f: f["users"].astype(int)
    )
    long["order"] = long["group"].map({g: i for i, g in enumerate(LIFECYCLE_ORDER)})
    bars = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("period_start:T", title=None),
            y=alt.Y("users:Q", title="Users (dormant below zero)", stack="zero"),
            color=alt.Color(
                "group:N",
                title=None,
                sort=list(LIFECYCLE_ORDER),
                scale=alt.Scale(domain=list(LIFECYCLE_ORDER), range=list(LIFECYCLE_COLORS)),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("period_start:T", title="period"),
                "group:N",
                alt.Tooltip("users:Q", format=","),
            ],
        )
    )
    chart = _with_releases(bars, releases, long["period_start"], "period_start")
    return theme.base(chart, "Who is active: new, returning, resurrected, dormant")


def activation_chart(act: pd.DataFrame, releases: Sequence[tuple[str, date]] = ()) -> Any:
    """Activation rate per anchor cohort (matured windows only).

    Parameters
    ----------
    act
        ``cohort, users, matured, activated, rate, median_hours, p75_hours``.
    releases
        (name, date) markers.

    Returns
    -------
    alt.Chart
    """
    frame = act.dropna(subset=["rate", "cohort"]).assign(cohort=lambda f: pd.to_datetime(f["cohort"]))
    line = (
        alt.Chart(frame)
        .mark_line(point=alt.OverlayMarkDef(size=80), strokeWidth=3)
        .encode(
            x=alt.X("cohort:T", title="Cohort (anchor period)"),
            y=alt.Y("rate:Q", axis=theme.percent_axis("Activation rate")),
            tooltip=[
                alt.Tooltip("cohort:T"),
                alt.Tooltip("rate:Q", format=".1%"),
                alt.Tooltip("matured:Q", title="users (window matured)", format=","),
                alt.Tooltip("median_hours:Q", title="median hours to value", format=".1f"),
            ],
        )
    )
    return theme.base(_with_releases(line, releases, frame["cohort"], "cohort"), "Activation rate by cohort")
