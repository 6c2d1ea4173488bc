"""Feature adoption charts: adoption curves, engagement matrix, depth, adopter retention. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import altair as alt
import pandas as pd

from lib.charts import theme
from lib.metrics.adoption_results import AdoptionPeriod, FeatureSummary, periods_frame, summary_frame


def adoption_curve(
    periods: Sequence[AdoptionPeriod],
    releases: Sequence[tuple[str, date]] = (),
    title: str = "Share of active users using each feature",
) -> Any:
    """Adoption rate per period and feature; the incomplete last period drawn hollow.

    Parameters
    ----------
    periods
        From :func:`lib.metrics.adoption_results.adoption_periods`.
    releases
        (name, date) markers (feature releases are good candidates).
    title
        Chart title.

    Returns
    -------
    alt.Chart
    """
    frame = periods_frame(periods)
    frame["period_start"] = pd.to_datetime(frame["period_start"])
    x = alt.X("period_start:T", title="Period")
    y = alt.Y("adoption_rate:Q", axis=theme.percent_axis("Adoption rate"))
    tip = [
        "feature:N",
        "period_start:T",
        "active_users:Q",
        "adopters:Q",
        alt.Tooltip("adoption_rate:Q", format=".1%"),
        "cumulative_adopters:Q",
        "complete:N",
    ]
    line = alt.Chart(frame).mark_line().encode(x=x, y=y, color=alt.Color("feature:N", title="Feature"))
    points = (
        alt.Chart(frame)
        # Outlined points, filled only for complete periods (a filled mark with a white fill had no outline).
        .mark_point(size=70, strokeWidth=2, filled=False)
        .encode(
            x=x,
            y=y,
            color="feature:N",
            tooltip=tip,
            fill=alt.condition("datum.complete", alt.Color("feature:N", legend=None), alt.value("white")),
        )
    )
    layers = [line, points]
    if releases and not frame.empty:
        lo, hi = frame["period_start"].min().date(), frame["period_start"].max().date()
        inside = [(n, d) for n, d in releases if lo <= d <= hi]
        if inside:
            layers.append(theme.release_rules(inside, "period_start"))
    return theme.base(alt.layer(*layers), title=title)


def engagement_matrix(summaries: Sequence[FeatureSummary], title: str = "Breadth × frequency") -> Any:
    """Scatter of breadth (share of active users adopting) against frequency (uses per adopter per period).

    Dashed lines mark the median feature, so the quadrants read: core (top right), niche (top left),
    shallow (bottom right), retire candidate (bottom left).

    Parameters
    ----------
    summaries
        From :func:`lib.metrics.adoption_results.summarize`.
    title
        Chart title.

    Returns
    -------
    alt.Chart
    """
    frame = summary_frame(summaries).dropna(subset=["breadth", "frequency"])
    x = alt.X("breadth:Q", axis=theme.percent_axis("Breadth: share of active users"))
    y = alt.Y("frequency:Q", title="Frequency: uses per adopter per period")
    tip = [
        "feature:N",
        alt.Tooltip("breadth:Q", format=".1%"),
        alt.Tooltip("frequency:Q", format=".2f"),
        "quadrant:N",
    ]
    dots = (
        alt.Chart(frame)
        .mark_circle(size=260)
        .encode(x=x, y=y, color=alt.Color("quadrant:N", title="Quadrant"), tooltip=tip)
    )
    labels = dots.mark_text(align="left", dx=12, fontSize=16).encode(
        text="feature:N", color=alt.value("#333")
    )
    mids = pd.DataFrame({"breadth": [frame["breadth"].median()], "frequency": [frame["frequency"].median()]})
    vline = alt.Chart(mids).mark_rule(color=theme.MUTED, strokeDash=[6, 4]).encode(x="breadth:Q")
    hline = alt.Chart(mids).mark_rule(color=theme.MUTED, strokeDash=[6, 4]).encode(y="frequency:Q")
    return theme.base(alt.layer(dots, labels, vline, hline), title=title)


def depth_bars(depth: pd.DataFrame, title: str = "Uses per adopter") -> Any:
    """Stacked shares of adopters by number of uses, one bar per feature.

    Parameters
    ----------
    depth
        From :func:`lib.metrics.adoption_results.depth_frame`.
    title
        Chart title.

    Returns
    -------
    alt.Chart
    """
    order = ["1", "2", "3-5", "6-10", "11+"]
    chart = (
        alt.Chart(depth)
        .mark_bar()
        .encode(
            y=alt.Y("feature:N", title=None, axis=alt.Axis(labelOverlap=False)),
            x=alt.X("share:Q", stack="normalize", axis=theme.percent_axis("Share of adopters")),
            color=alt.Color("uses_per_adopter:N", title="Uses", sort=order),
            order=alt.Order("uses_per_adopter:N"),
            tooltip=["feature:N", "uses_per_adopter:N", "adopters:Q", alt.Tooltip("share:Q", format=".1%")],
        )
    )
    # Plot height per feature: a bar plus a gap wide enough for a presentation-size label.
    return theme.base(chart, title=title, height=56 * max(2, depth["feature"].nunique()))


def adopter_retention(summaries: Sequence[FeatureSummary], title: str | None = None) -> Any:
    """Next-period retention of adopters vs other active users (an association, not a cause).

    Parameters
    ----------
    summaries
        From :func:`lib.metrics.adoption_results.summarize`.
    title
        Chart title.

    Returns
    -------
    alt.Chart
    """
    rows = []
    for s in summaries:
        rows.append({"feature": s.feature, "group": "used the feature", "retention": s.adopter_retention})
        rows.append({"feature": s.feature, "group": "did not", "retention": s.non_adopter_retention})
    frame = pd.DataFrame(rows)
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("feature:N", title=None),
            yOffset="group:N",
            x=alt.X("retention:Q", axis=theme.percent_axis("Active again the next period")),
            color=alt.Color("group:N", title="Active users who…"),
            tooltip=["feature:N", "group:N", alt.Tooltip("retention:Q", format=".1%")],
        )
    )
    return theme.base(chart, title=title or "Retention of adopters vs others (association, not cause)")
