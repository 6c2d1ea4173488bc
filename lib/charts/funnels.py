"""Funnel charts: steps, times to convert, and conversion by entry period. Pure functions -> alt.Chart."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Any

import altair as alt
import pandas as pd

from lib.charts import theme
from lib.metrics.funnel_results import FunnelPeriod, FunnelResult, steps_frame, trend_frame


def funnel_steps(results: Sequence[FunnelResult], title: str = "Users reaching each step") -> Any:
    """Horizontal bars of users per step (one colour per segment), labelled with the overall rate.

    Parameters
    ----------
    results
        One result per segment.
    title
        Chart title.

    Returns
    -------
    alt.Chart
    """
    frame = steps_frame(results)
    frame["label"] = [f"{r:.0%}" if pd.notna(r) else "" for r in frame["overall_rate"]]
    frame["step_name"] = [f"{i}. {s}" for i, s in zip(frame["step_index"], frame["step"], strict=True)]
    y = alt.Y("step_name:N", sort=None, title=None)
    color = alt.Color("segment:N", title="Segment", legend=None if len(results) == 1 else alt.Legend())
    tooltip = [
        "segment:N",
        "step:N",
        "users:Q",
        alt.Tooltip("step_rate:Q", format=".1%"),
        alt.Tooltip("overall_rate:Q", format=".1%"),
        "dropped:Q",
    ]
    # Head-room right of the longest bar, so its rate label stays inside the plot (not under the legend).
    top = float(frame["users"].max()) if len(frame) else 0.0
    x = alt.X("users:Q", title="Users", scale=alt.Scale(domain=[0, top * 1.12]) if top > 0 else alt.Undefined)
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(y=y, x=x, color=color, yOffset="segment:N", tooltip=tooltip)
    )
    text = bars.mark_text(align="left", dx=4, fontSize=16).encode(text="label:N", color=alt.value("#333"))
    return theme.base(alt.layer(bars, text), title=title)


def time_to_convert(result: FunnelResult, title: str = "Hours from the previous step") -> Any:
    """Median (bar) and 75th/90th percentile (ticks) hours from each step to the next.

    Parameters
    ----------
    result
        One segment's result.
    title
        Chart title.

    Returns
    -------
    alt.Chart
    """
    frame = steps_frame([result])
    frame = frame[frame["step_index"] > 1].copy()
    frame["step_name"] = [f"{i}. {s}" for i, s in zip(frame["step_index"], frame["step"], strict=True)]
    y = alt.Y("step_name:N", sort=None, title=None)
    tip = [
        "step:N",
        alt.Tooltip("p50_hours:Q", format=".1f"),
        alt.Tooltip("p75_hours:Q", format=".1f"),
        alt.Tooltip("p90_hours:Q", format=".1f"),
    ]
    hours = frame[["p50_hours", "p75_hours", "p90_hours"]].to_numpy(dtype="float64").ravel()
    positive = hours[hours > 0]
    # Minutes-long medians beside 90th percentiles of days leave the bars invisible on a linear axis:
    # past two orders of magnitude, a log axis (whole decades) shows both.
    title = "Hours (bar: median; ticks: 75th and 90th percentile)"
    if len(positive) and positive.max() / positive.min() > 100:
        lo = 10.0 ** math.floor(math.log10(positive.min()))
        hi = 10.0 ** math.ceil(math.log10(positive.max()))
        x = alt.X(
            "p50_hours:Q",
            title=f"{title}, log scale",
            scale=alt.Scale(type="log", domain=[lo, hi]),
            axis=alt.Axis(format="~g"),
        )
        # A log axis has no zero: the bars start at the axis' left end.
        median = alt.Chart(frame).mark_bar(color=theme.NEUTRAL).encode(y=y, x=x, x2=alt.datum(lo), tooltip=tip)
    else:
        x = alt.X("p50_hours:Q", title=title)
        median = alt.Chart(frame).mark_bar(color=theme.NEUTRAL).encode(y=y, x=x, tooltip=tip)
    p75 = alt.Chart(frame).mark_tick(color=theme.COLORS[1], thickness=3, size=30).encode(y=y, x="p75_hours:Q")
    p90 = alt.Chart(frame).mark_tick(color=theme.BAD, thickness=3, size=30).encode(y=y, x="p90_hours:Q")
    return theme.base(alt.layer(median, p75, p90), title=title)


def conversion_trend(
    periods: Sequence[FunnelPeriod],
    releases: Sequence[tuple[str, date]] = (),
    title: str = "Conversion by entry week",
) -> Any:
    """Overall conversion by entry period; immature periods drawn as hollow points (they can still rise).

    Parameters
    ----------
    periods
        From :func:`lib.metrics.funnel_results.trend_results`.
    releases
        (name, date) release markers.
    title
        Chart title.

    Returns
    -------
    alt.Chart
    """
    frame = trend_frame(periods)
    frame["period_start"] = pd.to_datetime(frame["period_start"])
    frame["status"] = ["mature" if m else "still maturing" for m in frame["mature"]]
    x = alt.X("period_start:T", title="Entry period")
    y = alt.Y("rate:Q", axis=theme.percent_axis("Reached the last step"))
    tip = ["period_start:T", "entered:Q", "converted:Q", alt.Tooltip("rate:Q", format=".1%"), "status:N"]
    line = alt.Chart(frame).mark_line().encode(x=x, y=y, color=alt.Color("segment:N", title="Segment"))
    points = (
        alt.Chart(frame)
        # Outlined points (stroke = segment colour), filled only when mature: a filled mark with a white fill
        # had no outline, so the hollow "still maturing" points and their legend symbols were invisible.
        .mark_point(size=90, strokeWidth=2, filled=False)
        .encode(
            x=x,
            y=y,
            color="segment:N",
            tooltip=tip,
            fill=alt.condition("datum.mature", alt.Color("segment:N", legend=None), alt.value("white")),
            # No shape legend: Vega-Lite draws its symbols with a transparent stroke and a white fill, so it
            # showed two labels and no symbols; the summary above the chart explains the hollow points.
            shape=alt.Shape("status:N", legend=None),
        )
    )
    layers = [line, points]
    if releases and not frame.empty:
        lo, hi = frame["period_start"].min().date(), frame["period_start"].max().date()
        inside = [(n, d) for n, d in releases if lo <= d <= hi]
        if inside:
            layers.append(theme.release_rules(inside, "period_start"))
    return theme.base(alt.layer(*layers), title=title)
