"""Retention charts: the cohort triangle, curves with the average and the baseline, before/after a release."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from lib.charts import theme

PERIOD_TITLES = {"day": "Day", "week": "Week", "month": "Month"}


def period_x(period: str) -> Any:
    """The x encoding of a retention curve: periods are whole numbers, so the ticks are too.

    Parameters
    ----------
    period
        The granularity, for the axis title.

    Returns
    -------
    alt.X
        Quantitative (the spacing stays proportional) with integer ticks and labels.
    """
    return alt.X(
        "period:Q",
        title=f"{PERIOD_TITLES.get(period, 'Period')} after joining",
        axis=alt.Axis(format="d", tickMinStep=1),
        scale=alt.Scale(nice=False),
    )


def _label_frame(cells: pd.DataFrame) -> pd.DataFrame:
    out = cells.copy()
    out["cohort_label"] = pd.to_datetime(out["cohort"]).dt.strftime("%Y-%m-%d")
    out["label"] = [
        (f"{r:.0%}" if m else f"{r:.0%}*") if r == r else ""
        for r, m in zip(out["rate"], out["mature"], strict=True)
    ]
    out["state"] = ["mature" if m else "immature" for m in out["mature"]]
    return out


def heatmap(cells: pd.DataFrame, period: str = "week") -> Any:
    """The cohort triangle: one row per cohort, one column per period k, cells annotated with the rate.

    Immature cells are grey with an asterisk: their period has not ended, so their rate is provisional.

    Parameters
    ----------
    cells
        Retention cells of one segment (``cohort, cohort_size, period, active, eligible, mature, rate``).
    period
        The granularity, for the axis title.

    Returns
    -------
    alt.Chart
    """
    frame = _label_frame(cells)
    n_cohorts = max(1, frame["cohort_label"].nunique())
    base = alt.Chart(frame).encode(
        x=alt.X(
            "period:O",
            title=f"{PERIOD_TITLES.get(period, 'Period')} after joining",
            axis=alt.Axis(labelAngle=0),
        ),
        y=alt.Y("cohort_label:O", title="Cohort", sort="ascending"),
    )
    mature_cells = (
        base.transform_filter("datum.state == 'mature'")
        .mark_rect(stroke="white")
        .encode(
            color=alt.Color(
                "rate:Q",
                title="Retained",
                scale=alt.Scale(scheme="blues", domain=[0, 1]),
                legend=alt.Legend(format=".0%"),
            ),
            tooltip=[
                "cohort_label:N",
                "period:O",
                alt.Tooltip("rate:Q", format=".1%"),
                "active:Q",
                "eligible:Q",
            ],
        )
    )
    immature_cells = (
        base.transform_filter("datum.state == 'immature'")
        .mark_rect(color="#E0E0E0", stroke="white", strokeDash=[3, 2])
        .encode(
            tooltip=[
                "cohort_label:N",
                "period:O",
                alt.Tooltip("rate:Q", format=".1%"),
                "active:Q",
                "eligible:Q",
                alt.Tooltip("state:N", title="cell"),
            ]
        )
    )
    text = base.mark_text(fontSize=14 if frame["period"].nunique() <= 14 else 10).encode(
        text="label:N",
        color=alt.condition(
            "datum.state == 'mature' && datum.rate > 0.5", alt.value("white"), alt.value("#222")
        ),
    )
    height = min(900, max(240, 30 * n_cohorts))
    return theme.base(
        mature_cells + immature_cells + text, "Retention by cohort (* = period not over yet)", height
    )


def curves(
    cells: pd.DataFrame, average: pd.DataFrame, baseline: pd.DataFrame | None = None, period: str = "week"
) -> Any:
    """Retention curves per cohort (mature cells only), the weighted average and, optionally, a baseline.

    Parameters
    ----------
    cells
        Retention cells of one segment.
    average
        :func:`lib.metrics.retention_summary.average_row` of those cells.
    baseline
        The 90-day pre-release baseline's average row (``period, rate``), drawn dashed.
    period
        The granularity, for the axis title.

    Returns
    -------
    alt.Chart
    """
    mature = _label_frame(cells[cells["mature"].astype(bool)])
    x = period_x(period)
    y = alt.Y("rate:Q", axis=theme.percent_axis("Retained"), scale=alt.Scale(domain=[0, 1]))
    cohort_lines = (
        alt.Chart(mature)
        .mark_line(strokeWidth=1.5, opacity=0.35, color=theme.MUTED)
        .encode(
            x=x,
            y=y,
            detail="cohort_label:N",
            tooltip=["cohort_label:N", "period:Q", alt.Tooltip("rate:Q", format=".1%")],
        )
    )
    avg = average.assign(series="average (mature cohorts)")
    layers = [cohort_lines]
    if baseline is not None and not baseline.empty:
        layers.append(
            alt.Chart(baseline.assign(series="90-day baseline"))
            .mark_line(strokeWidth=3, strokeDash=[8, 4])
            .encode(x=x, y=y, color=alt.Color("series:N", title=None))
        )
    layers.append(
        alt.Chart(avg)
        .mark_line(strokeWidth=4, point=True)
        .encode(
            x=x,
            y=y,
            color=alt.Color("series:N", title=None),
            tooltip=["period:Q", alt.Tooltip("rate:Q", format=".1%"), alt.Tooltip("eligible:Q", format=",")],
        )
    )
    return theme.base(alt.layer(*layers), "Retention curves")


def release_comparison(comparison: pd.DataFrame, release: str, period: str = "week") -> Any:
    """Users who joined after a release against the 90 days before it, with 95% Wilson intervals.

    Parameters
    ----------
    comparison
        :func:`lib.metrics.retention_summary.baseline_comparison`.
    release
        Release name for the legend.
    period
        The granularity, for the axis title.

    Returns
    -------
    alt.Chart
    """
    after = comparison[["period", "rate", "rate_low", "rate_high", "eligible"]].assign(
        group=f"joined after {release}"
    )
    before = (
        comparison[["period", "baseline_rate", "baseline_low", "baseline_high", "baseline_eligible"]]
        .rename(
            columns={
                "baseline_rate": "rate",
                "baseline_low": "rate_low",
                "baseline_high": "rate_high",
                "baseline_eligible": "eligible",
            }
        )
        .assign(group="90 days before")
    )
    frame = pd.concat([before, after], ignore_index=True)
    x = period_x(period)
    color = alt.Color("group:N", title=None, sort=["90 days before", f"joined after {release}"])
    # The legend comes from the lines (legends resolved independently below): the bands' 20%-opacity symbols
    # were barely visible.
    band_color = alt.Color("group:N", sort=["90 days before", f"joined after {release}"], legend=None)
    band = alt.Chart(frame).mark_area(opacity=0.2).encode(x=x, y="rate_low:Q", y2="rate_high:Q", color=band_color)
    line = (
        alt.Chart(frame)
        .mark_line(strokeWidth=3, point=True)
        .encode(
            x=x,
            y=alt.Y("rate:Q", axis=theme.percent_axis("Retained")),
            color=color,
            tooltip=[
                "group:N",
                "period:Q",
                alt.Tooltip("rate:Q", format=".1%"),
                alt.Tooltip("rate_low:Q", format=".1%"),
                alt.Tooltip("rate_high:Q", format=".1%"),
                alt.Tooltip("eligible:Q", format=","),
            ],
        )
    )
    return theme.base(alt.layer(band, line).resolve_legend(color="independent"), f"Before vs after {release}")


def segment_curves(averages: pd.DataFrame, attribute: str, period: str = "week") -> Any:
    """Average retention curves per segment.

    Parameters
    ----------
    averages
        Average rows with a ``segment`` column.
    attribute
        The breakdown attribute, for the legend.
    period
        The granularity, for the axis title.

    Returns
    -------
    alt.Chart
    """
    line = (
        alt.Chart(averages)
        .mark_line(strokeWidth=3, point=True)
        .encode(
            x=period_x(period),
            y=alt.Y("rate:Q", axis=theme.percent_axis("Retained")),
            color=alt.Color("segment:N", title=attribute),
            tooltip=[
                "segment:N",
                "period:Q",
                alt.Tooltip("rate:Q", format=".1%"),
                alt.Tooltip("eligible:Q", format=","),
            ],
        )
    )
    return theme.base(line, f"Retention by {attribute}")
