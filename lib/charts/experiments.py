"""Experiment charts: lifts with their intervals against the bar and guardrail margins, SRM, novelty view.

Pure functions from an :class:`lib.experiments.ExperimentReview` to Altair charts in the house theme. Lifts
are relative (fractions shown as percentages); every chart reads from the projector at the back of the room.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from lib.charts import theme
from lib.experiments import ExperimentReview

# Status word of a row -> how it is painted: good news, bad news, or not settled.
STATUS_COLORS = {
    "bar met": theme.GOOD,
    "pass": theme.GOOD,
    "significant": theme.NEUTRAL,
    "worse": theme.BAD,
    "breach": theme.BAD,
    "bar not met": theme.MUTED,
    "not yet shown": theme.MUTED,
    "not significant": theme.MUTED,
    "inconclusive": theme.MUTED,
}


# Plot height per metric row of the lift chart: room for a 16-24 px label and the 40 px tick.
ROW_HEIGHT = 64


def _day_axis() -> Any:
    # Day-level time axes get one label format: Vega's default mixes "Tue 08" with "Sep 20".
    return alt.Axis(format="%b %d", labelAngle=0)


def lift_frame(review: ExperimentReview) -> pd.DataFrame:
    """One row per (metric, arm) with the label, lift, interval, threshold and status the lift chart draws.

    Parameters
    ----------
    review
        An assembled review.

    Returns
    -------
    pandas.DataFrame
        Columns ``label, role, rel_lift, ci_low, ci_high, threshold, status``; rows without an interval are
        dropped (nothing to draw).
    """
    several = len(review.arms) > 1
    rows = []
    for r in review.rows:
        label = f"{r.metric} ({r.role})" + (f" · {r.variant}" if several else "")
        rows.append(
            {
                "label": label,
                "role": r.role,
                "rel_lift": r.rel_lift,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "threshold": r.threshold,
                "status": r.status,
            }
        )
    cols = ["label", "role", "rel_lift", "ci_low", "ci_high", "threshold", "status"]
    frame = pd.DataFrame(rows, columns=cols)
    return frame.dropna(subset=["ci_low", "ci_high"]).reset_index(drop=True)


def lift_chart(review: ExperimentReview) -> Any:
    """Relative lift per metric with its (1 - alpha) interval; ticks mark the bar and guardrail margins.

    Parameters
    ----------
    review
        An assembled review.

    Returns
    -------
    alt.LayerChart
    """
    frame = lift_frame(review)
    order = list(frame["label"])
    # Every metric keeps its label: no overlap culling, and each row gets ROW_HEIGHT pixels (see below).
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False))
    present = [s for s in STATUS_COLORS if s in set(frame["status"])]
    color = alt.Color(
        "status:N",
        scale=alt.Scale(domain=present, range=[STATUS_COLORS[s] for s in present]),
        legend=alt.Legend(title="Status", orient="bottom"),
    )
    level = f"{1 - review.config.alpha:.0%}"
    tooltip = [
        alt.Tooltip("label:N", title="Metric"),
        alt.Tooltip("rel_lift:Q", title="Lift", format="+.1%"),
        alt.Tooltip("ci_low:Q", title=f"{level} CI low", format="+.1%"),
        alt.Tooltip("ci_high:Q", title=f"{level} CI high", format="+.1%"),
        alt.Tooltip("status:N", title="Status"),
    ]
    base = alt.Chart(frame)
    interval = base.mark_rule(strokeWidth=5).encode(
        x=alt.X(
            "ci_low:Q",
            title=f"Relative lift vs control ({level} interval)",
            axis=alt.Axis(format="+.0%", labelFlush=False),
        ),
        x2="ci_high:Q",
        y=y,
        color=color,
        tooltip=tooltip,
    )
    point = base.mark_point(filled=True, size=260).encode(x="rel_lift:Q", y=y, color=color, tooltip=tooltip)
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#333", strokeWidth=2).encode(x="x:Q")
    bars = base.transform_filter("isValid(datum.threshold)").mark_tick(
        color=theme.BAD, thickness=4, size=40
    ).encode(
        x="threshold:Q",
        y=y,
        tooltip=[alt.Tooltip("label:N", title="Metric"), alt.Tooltip("threshold:Q", title="Bar / margin",
                                                                     format="+.1%")],
    )
    height = max(2, len(frame)) * ROW_HEIGHT
    return theme.base(
        alt.layer(zero, interval, point, bars),
        # The explanation goes in the subtitle: a long title is cut ("…") in a narrow window.
        title=alt.TitleParams(
            f"{review.experiment}: lift per metric", subtitle="Ticks: the bar and the guardrail margins"
        ),
        height=height,
    )


def srm_frame(review: ExperimentReview) -> pd.DataFrame:
    """Observed exposed users per variant beside the counts the planned weights imply.

    Parameters
    ----------
    review
        An assembled review.

    Returns
    -------
    pandas.DataFrame
        Columns ``variant, kind (observed/expected), users``.
    """
    rows = []
    for v in review.variants:
        rows.append({"variant": v.variant, "kind": "observed", "users": float(v.exposed)})
        rows.append({"variant": v.variant, "kind": "expected", "users": float(v.expected)})
    return pd.DataFrame(rows, columns=["variant", "kind", "users"])


def srm_chart(review: ExperimentReview) -> Any:
    """Grouped bars: observed vs expected users per variant, titled with the SRM p-value.

    Parameters
    ----------
    review
        An assembled review.

    Returns
    -------
    alt.Chart
    """
    frame = srm_frame(review)
    color = theme.BAD if review.srm.mismatch else theme.NEUTRAL
    chart = alt.Chart(frame).mark_bar().encode(
        x=alt.X("variant:N", title=None, axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("kind:N", sort=["observed", "expected"]),
        y=alt.Y("users:Q", title="Exposed users"),
        color=alt.Color(
            "kind:N",
            scale=alt.Scale(domain=["observed", "expected"], range=[color, theme.MUTED]),
            legend=alt.Legend(title=None, orient="bottom"),
        ),
        tooltip=[
            alt.Tooltip("variant:N", title="Variant"),
            alt.Tooltip("kind:N", title="Count"),
            alt.Tooltip("users:Q", title="Users", format=",.0f"),
        ],
    )
    return theme.base(chart, title=f"Sample ratio check: SRM p = {review.srm_p:.3g}", height=280)


def lift_by_day_frame(review: ExperimentReview) -> pd.DataFrame:
    """The primary's lift among users exposed on each day.

    Parameters
    ----------
    review
        An assembled review.

    Returns
    -------
    pandas.DataFrame
        Columns ``day, variant, n, control_n, rel_lift, ci_low, ci_high`` (days without a lift dropped).
    """
    cols = ["day", "variant", "n", "control_n", "rel_lift", "ci_low", "ci_high"]
    frame = pd.DataFrame([{c: getattr(d, c) for c in cols} for d in review.lift_by_day], columns=cols)
    frame["day"] = pd.to_datetime(frame["day"])
    return frame.dropna(subset=["rel_lift"]).reset_index(drop=True)


def lift_by_day_chart(review: ExperimentReview) -> Any:
    """Lift by exposure day with its interval band: a lift that fades with exposure day hints at novelty.

    Parameters
    ----------
    review
        An assembled review.

    Returns
    -------
    alt.LayerChart
    """
    frame = lift_by_day_frame(review)
    x = alt.X("day:T", title="Exposure day", axis=_day_axis())
    color = alt.Color("variant:N", legend=alt.Legend(title="Arm", orient="bottom"))
    # The legend comes from the line: the band's 20%-opacity symbol was barely visible.
    band_color = alt.Color("variant:N", legend=None)
    band = alt.Chart(frame).mark_area(opacity=0.2).encode(x=x, y="ci_low:Q", y2="ci_high:Q", color=band_color)
    line = alt.Chart(frame).mark_line(point=True, strokeWidth=3).encode(
        x=x,
        y=alt.Y("rel_lift:Q", title=f"Lift of {review.primary.name}", axis=alt.Axis(format="+.0%")),
        color=color,
        tooltip=[
            alt.Tooltip("day:T", title="Exposed on"),
            alt.Tooltip("rel_lift:Q", title="Lift", format="+.1%"),
            alt.Tooltip("n:Q", title="Users (arm)", format=","),
            alt.Tooltip("control_n:Q", title="Users (control)", format=","),
        ],
    )
    refs = pd.DataFrame({"y": [0.0, review.config.min_lift], "what": ["no change", "bar"]})
    rules = alt.Chart(refs).mark_rule(strokeDash=[6, 4], strokeWidth=2).encode(
        y="y:Q",
        color=alt.value(theme.MUTED),
        tooltip=[alt.Tooltip("what:N", title="Line"), alt.Tooltip("y:Q", title="Lift", format="+.1%")],
    )
    # Independent legends: the band's "no legend" would otherwise remove the line's legend too.
    chart = alt.layer(band, line, rules).resolve_legend(color="independent")
    return theme.base(chart, title=f"{review.primary.name}: lift by exposure day")


def exposures_chart(review: ExperimentReview) -> Any:
    """New exposures per day and variant (the pace that days-left is computed from).

    Parameters
    ----------
    review
        An assembled review.

    Returns
    -------
    alt.Chart
    """
    frame = pd.DataFrame(review.exposures, columns=["day", "variant", "exposed"])
    frame["day"] = pd.to_datetime(frame["day"])
    chart = alt.Chart(frame).mark_line(point=True, strokeWidth=3).encode(
        x=alt.X("day:T", title="Day", axis=_day_axis()),
        y=alt.Y("exposed:Q", title="Users exposed"),
        color=alt.Color("variant:N", legend=alt.Legend(title="Variant", orient="bottom")),
        tooltip=[
            alt.Tooltip("day:T", title="Day"),
            alt.Tooltip("variant:N", title="Variant"),
            alt.Tooltip("exposed:Q", title="Exposed", format=","),
        ],
    )
    return theme.base(chart, title="New exposures per day", height=260)
