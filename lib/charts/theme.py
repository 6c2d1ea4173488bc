"""One look for every chart: large type for projectors, a colour-blind-safe palette, release markers.

A chart is a pure function returning ``alt.Chart``; ``base`` applies the theme so a chart looks the same in
the app, in a PNG export and in the static report.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import altair as alt
import pandas as pd

# Okabe-Ito: distinguishable with the common colour-vision deficiencies and on a washed-out projector.
COLORS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
GOOD, BAD, NEUTRAL, MUTED = "#009E73", "#D55E00", "#0072B2", "#9E9E9E"
FONT = "Source Sans Pro, Helvetica, Arial, sans-serif"
LABEL_SIZE, TITLE_SIZE = 16, 20
WIDTH, HEIGHT = 760, 360


def base(chart: Any, title: str | None = None, height: int = HEIGHT) -> Any:
    """Apply the house theme: readable from the back of a meeting room.

    Parameters
    ----------
    chart
        An Altair chart (single, layered or concatenated).
    title
        Chart title.
    height
        Height in pixels (width follows the container in the app, WIDTH in exports).

    Returns
    -------
    alt.Chart
        The same chart, configured.
    """
    if title is not None:
        chart = chart.properties(title=title)
    if not isinstance(chart, alt.HConcatChart | alt.VConcatChart | alt.ConcatChart | alt.FacetChart):
        chart = chart.properties(width=WIDTH, height=height)
    return (
        chart.configure(font=FONT)
        .configure_axis(labelFontSize=LABEL_SIZE, titleFontSize=LABEL_SIZE, gridOpacity=0.4, labelLimit=260)
        .configure_legend(labelFontSize=LABEL_SIZE, titleFontSize=LABEL_SIZE, symbolSize=160, labelLimit=260)
        .configure_title(fontSize=TITLE_SIZE, anchor="start", subtitleFontSize=LABEL_SIZE)
        .configure_header(labelFontSize=LABEL_SIZE, titleFontSize=LABEL_SIZE)
        .configure_range(category=list(COLORS))
        .configure_view(strokeWidth=0)
    )


def release_rules(releases: Sequence[tuple[str, date]], x_field: str = "date", x_type: str = "temporal") -> Any:
    """Vertical dashed lines with labels at release dates, to layer on any time chart.

    Parameters
    ----------
    releases
        (name, date) pairs; dates outside the chart's range simply extend it, so filter them first.
    x_field
        The x field name of the chart the rules are layered on.
    x_type
        Its Vega-Lite type.

    Returns
    -------
    alt.LayerChart
        Rules plus text labels (empty layer when there are no releases).
    """
    frame = pd.DataFrame({x_field: [pd.Timestamp(d) for _, d in releases], "release": [n for n, _ in releases]})
    enc_x = alt.X(f"{x_field}:{x_type[0].upper()}")
    rules = alt.Chart(frame).mark_rule(color=MUTED, strokeDash=[6, 4], strokeWidth=2).encode(
        x=enc_x, tooltip=[alt.Tooltip("release:N", title="Release")]
    )
    labels = alt.Chart(frame).mark_text(align="left", baseline="top", dx=4, dy=4, fontSize=14, color="#555").encode(
        x=enc_x, y=alt.value(2), text="release:N"
    )
    return rules + labels


def percent_axis(title: str) -> Any:
    """A y axis for rates (fractions shown as percentages).

    Parameters
    ----------
    title
        Axis title.

    Returns
    -------
    alt.Axis
    """
    return alt.Axis(format=".0%", title=title)


def export_spec(chart: Any) -> dict[str, Any]:
    """The chart's Vega-Lite spec as plain JSON data, ready for vl-convert (PNG/SVG) or an offline report.

    Some charts carry Python dates or numpy numbers in their inline data, which vl-convert's JSON parser
    rejects; ISO text is what Vega-Lite reads for temporal fields anyway.

    Parameters
    ----------
    chart
        An Altair chart.

    Returns
    -------
    dict
    """
    return dict(json.loads(json.dumps(chart.to_dict(), default=_json_default)))


def _json_default(value: Any) -> Any:
    if isinstance(value, date | datetime | pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"cannot serialise {type(value).__name__} in a chart spec")


def to_svg(chart: Any) -> str:
    """Render a chart to an SVG document with vl-convert (no browser, no network).

    Parameters
    ----------
    chart
        An Altair chart.

    Returns
    -------
    str
    """
    import vl_convert as vlc

    return str(vlc.vegalite_to_svg(export_spec(chart)))


def to_png(chart: Any, scale: float = 2.0) -> bytes:
    """Render a chart to PNG with vl-convert (scale 2 for sharp text on projectors).

    Parameters
    ----------
    chart
        An Altair chart.
    scale
        Pixel density.

    Returns
    -------
    bytes
    """
    import vl_convert as vlc

    return bytes(vlc.vegalite_to_png(export_spec(chart), scale=scale))
