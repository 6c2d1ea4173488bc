"""Charts of the release review: target progress, North Star with leading indicators, before/after changes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Any

import altair as alt
import pandas as pd

from lib.charts import theme
from lib.release_review import Comparison, NorthStar, TargetProgress


def _verdict(c: Comparison) -> str:
    if not c.significant:
        return "no clear change"
    up = c.ci_low > 0
    return "better" if up == c.higher_is_better else "worse"


# Plot height per metric row of the interval charts: every label readable, even in presentation mode.
ROW_HEIGHT = 56
_VERDICT_SCALE = alt.Scale(domain=["better", "worse", "no clear change"], range=[theme.GOOD, theme.BAD, theme.MUTED])


def change_frame(comparisons: Sequence[Comparison]) -> pd.DataFrame:
    """Rows for the change charts: one per computable comparison.

    Parameters
    ----------
    comparisons
        Comparisons.

    Returns
    -------
    pandas.DataFrame
        Columns ``metric, change, ci_low, ci_high, verdict``.
    """
    rows = [
        {"metric": c.metric, "change": c.change, "ci_low": c.ci_low, "ci_high": c.ci_high, "verdict": _verdict(c)}
        for c in comparisons
        if c.status == "ok" and not math.isnan(c.change)
    ]
    return pd.DataFrame(rows, columns=["metric", "change", "ci_low", "ci_high", "verdict"])


def before_after_chart(comparisons: Sequence[Comparison], release: str) -> Any:
    """Relative change after vs before the release per metric, with its 95% interval and a line at zero.

    Parameters
    ----------
    comparisons
        Before/after comparisons.
    release
        Release name (title).

    Returns
    -------
    alt.Chart
    """
    frame = change_frame(comparisons)
    y = alt.Y("metric:N", title=None, sort=None, axis=alt.Axis(labelOverlap=False))
    x_axis = alt.Axis(format="+.0%", title="Change vs before (95% interval)", labelFlush=False)
    bars = (
        alt.Chart(frame)
        .mark_rule(strokeWidth=4)
        .encode(
            y=y,
            x=alt.X("ci_low:Q", axis=x_axis),
            x2="ci_high:Q",
            color=alt.Color("verdict:N", scale=_VERDICT_SCALE, title=None),
        )
    )
    points = (
        alt.Chart(frame)
        .mark_point(filled=True, size=220)
        .encode(
            y=y,
            x="change:Q",
            color=alt.Color("verdict:N", scale=_VERDICT_SCALE, title=None),
            tooltip=[
                alt.Tooltip("metric:N"),
                alt.Tooltip("change:Q", format="+.1%"),
                alt.Tooltip("ci_low:Q", format="+.1%"),
                alt.Tooltip("ci_high:Q", format="+.1%"),
            ],
        )
    )
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#333").encode(x="x:Q")
    height = ROW_HEIGHT * max(2, len(frame))
    return theme.base(alt.layer(zero, bars, points), title=f"Before vs after {release}", height=height)


def target_chart(targets: Sequence[TargetProgress]) -> Any:
    """Observed change per target with its interval, and the wanted change as a black tick.

    Parameters
    ----------
    targets
        Target progress rows.

    Returns
    -------
    alt.Chart
    """
    frame = change_frame([t.comparison for t in targets])
    wanted = pd.DataFrame(
        {
            "metric": [t.metric for t in targets],
            "wanted": [t.wanted for t in targets],
            "status": [t.status for t in targets],
        }
    )
    frame = frame.merge(wanted, on="metric", how="right")
    y = alt.Y("metric:N", title=None, sort=None, axis=alt.Axis(labelOverlap=False))
    base = alt.Chart(frame)
    x_axis = alt.Axis(format="+.0%", title="Change vs 90-day baseline", labelFlush=False)
    ci = base.mark_rule(strokeWidth=4, color=theme.NEUTRAL).encode(
        y=y, x=alt.X("ci_low:Q", axis=x_axis), x2="ci_high:Q"
    )
    point = base.mark_point(filled=True, size=220, color=theme.NEUTRAL).encode(
        y=y,
        x="change:Q",
        tooltip=[
            alt.Tooltip("metric:N"),
            alt.Tooltip("change:Q", format="+.1%"),
            alt.Tooltip("wanted:Q", format="+.1%"),
            alt.Tooltip("status:N"),
        ],
    )
    tick = base.mark_tick(color="#000", thickness=4, size=40).encode(y=y, x="wanted:Q")
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color=theme.MUTED).encode(x="x:Q")
    height = ROW_HEIGHT * max(2, len(frame))
    return theme.base(
        alt.layer(zero, ci, point, tick), title="Targets: observed change (dot) vs wanted (tick)", height=height
    )


def north_star_chart(ns: NorthStar, releases: Sequence[tuple[str, date]]) -> Any:
    """Weekly value of the North Star and each leading indicator (mature anchor weeks), with release markers.

    Parameters
    ----------
    ns
        The North Star result (``weekly`` frame).
    releases
        (name, date) of the releases to mark; those outside the series are dropped.

    Returns
    -------
    alt.VConcatChart
        One panel per metric, the North Star first.
    """
    weekly = ns.weekly.assign(week=pd.to_datetime(ns.weekly["week"]))
    panels = []
    domain: Any = alt.Undefined
    marks: list[tuple[str, date]] = []
    if len(weekly):
        first, last = weekly["week"].min(), weekly["week"].max()
        # One x range for every panel, so a week sits at the same place in all of them.
        domain = [first.isoformat(), last.isoformat()]
        marks = [(n, d) for n, d in releases if first <= pd.Timestamp(d) <= last]
    for i, name in enumerate([ns.metric, *ns.leading]):
        data = weekly[weekly["metric"] == name]
        color = theme.COLORS[i % len(theme.COLORS)]
        x = alt.X("week:T", title="Users who joined in the week of", scale=alt.Scale(domain=domain))
        band = alt.Chart(data).mark_area(opacity=0.2, color=color).encode(x=x, y="ci_low:Q", y2="ci_high:Q")
        line = (
            alt.Chart(data)
            .mark_line(point=alt.OverlayMarkDef(color=color), color=color, strokeWidth=3)
            .encode(
                x=x,
                y=alt.Y("value:Q", title=name, scale=alt.Scale(zero=False)),
                tooltip=[alt.Tooltip("week:T"), alt.Tooltip("value:Q", format=".3f"), alt.Tooltip("n:Q")],
            )
        )
        layers = [band, line] + ([theme.release_rules(marks, "week")] if marks else [])
        title = f"North Star: {name}" if i == 0 else f"Leading: {name}"
        panels.append(alt.layer(*layers).properties(width=theme.WIDTH, height=180, title=title))
    return theme.base(alt.vconcat(*panels))
