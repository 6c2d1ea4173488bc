"""Charts of the Today page: one watched series with its usual range and the judged day marked."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from lib.charts import theme


def sparkline_frame(values: list[float], last: Any) -> pd.DataFrame:
    """Daily values ending on ``last`` as a (date, value) frame.

    Parameters
    ----------
    values
        Values, oldest first.
    last
        The date of the last value.

    Returns
    -------
    pandas.DataFrame
    """
    days = pd.date_range(end=pd.Timestamp(last), periods=len(values), freq="D")
    return pd.DataFrame({"date": days, "value": values})


def anomaly_chart(frame: pd.DataFrame, low: float, high: float, title: str, percent: bool = False) -> Any:
    """A daily series with the judged day's usual range as a band and the judged day as a point.

    Parameters
    ----------
    frame
        Columns ``date``, ``value`` (the judged day last).
    low, high
        The judged day's band.
    title
        Chart title.
    percent
        Format the y axis as a percentage (rates).

    Returns
    -------
    alt.LayerChart
    """
    axis = theme.percent_axis("") if percent else alt.Axis(title="")
    last = frame.tail(1).assign(low=low, high=high)
    line = alt.Chart(frame).mark_line(color=theme.NEUTRAL, strokeWidth=3).encode(
        x=alt.X("date:T", title=""), y=alt.Y("value:Q", axis=axis),
        tooltip=[alt.Tooltip("date:T"), alt.Tooltip("value:Q", format=".3~f")],
    )
    band = alt.Chart(last).mark_rule(color=theme.MUTED, strokeWidth=14, opacity=0.5).encode(
        x="date:T", y="low:Q", y2="high:Q"
    )
    point = alt.Chart(last).mark_point(color=theme.BAD, size=160, filled=True).encode(x="date:T", y="value:Q")
    return theme.base(alt.layer(band, line, point), title=title, height=220)
