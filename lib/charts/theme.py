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
# Presentation mode (a projector at the back of a room): bigger type and taller plots.
PRESENT_LABEL_SIZE, PRESENT_TITLE_SIZE, PRESENT_HEIGHT_SCALE = 24, 30, 1.5
# WIDTH is the export width only: in the app a chart fills its container ("container" in the spec).
WIDTH, HEIGHT = 760, 360
# Width follows the container, height is the plot's own height: with Streamlit's default autosize ("fit")
# the height would include the title, axes and a bottom legend, squeezing the plot of short charts.
AUTOSIZE = {"type": "fit-x", "contains": "padding"}
_CONCAT = (alt.HConcatChart, alt.VConcatChart, alt.ConcatChart, alt.FacetChart)


def base(chart: Any, title: str | alt.TitleParams | None = None, height: int = HEIGHT) -> Any:
    """Apply the house theme: readable from the back of a meeting room.

    Parameters
    ----------
    chart
        An Altair chart (single, layered or concatenated).
    title
        Chart title (text, or TitleParams for a subtitle).
    height
        Height of the plot area in pixels (width follows the container in the app, WIDTH in exports).
        Concatenated charts keep their panels' own sizes.

    Returns
    -------
    alt.Chart
        The same chart, configured.
    """
    if title is not None:
        chart = chart.properties(title=title)
    if not isinstance(chart, _CONCAT):
        chart = chart.properties(width="container", height=height, autosize=AUTOSIZE)
    elif isinstance(chart, alt.VConcatChart):
        # Stacked panels keep their numeric widths (exports need them) and shrink to the container in the app.
        chart = chart.properties(autosize=AUTOSIZE)
    return _configure(chart, LABEL_SIZE, TITLE_SIZE)


def presentation(chart: Any) -> Any:
    """The same chart for presentation mode: larger labels, legends and title, and a taller plot.

    Parameters
    ----------
    chart
        A chart already themed by :func:`base`.

    Returns
    -------
    alt.Chart
        A copy; the argument is not changed.
    """
    if isinstance(chart, alt.VConcatChart):
        chart = chart.copy(deep=False)
        chart.vconcat = [_taller(panel) for panel in chart.vconcat]
    elif not isinstance(chart, _CONCAT):
        chart = _taller(chart)
    return _configure(chart, PRESENT_LABEL_SIZE, PRESENT_TITLE_SIZE)


def _taller(chart: Any) -> Any:
    height = getattr(chart, "height", alt.Undefined)
    if isinstance(height, int | float):
        return chart.properties(height=round(height * PRESENT_HEIGHT_SCALE))
    return chart


def _configure(chart: Any, label: int, title: int) -> Any:
    # ``configure`` replaces the whole config, so calling this again (presentation) restyles cleanly.
    limit = 16 * label  # label truncation grows with the type (260 px at 16 px)
    return (
        chart.configure(font=FONT)
        .configure_axis(labelFontSize=label, titleFontSize=label, gridOpacity=0.4, labelLimit=limit, titlePadding=8)
        .configure_axisY(tickCount=6)  # a quantitative y axis every ~60 px, not every ~27 px
        .configure_legend(labelFontSize=label, titleFontSize=label, symbolSize=10 * label, labelLimit=limit)
        .configure_title(fontSize=title, anchor="start", subtitleFontSize=label, offset=10)
        .configure_header(labelFontSize=label, titleFontSize=label)
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
    ordered = sorted(releases, key=lambda r: r[1])
    frame = pd.DataFrame(
        {
            x_field: [pd.Timestamp(d) for _, d in ordered],
            "release": [n for n, _ in ordered],
            # Neighbouring releases alternate between two label rows, so close dates do not overprint.
            "row": [i % 2 for i in range(len(ordered))],
        }
    )
    enc_x = alt.X(f"{x_field}:{x_type[0].upper()}")
    rules = alt.Chart(frame).mark_rule(color=MUTED, strokeDash=[6, 4], strokeWidth=2).encode(
        x=enc_x, tooltip=[alt.Tooltip("release:N", title="Release")]
    )
    labels = [
        alt.Chart(frame)
        .transform_filter(f"datum.row == {row}")
        .mark_text(align="left", baseline="top", dx=4, dy=4 + 20 * row, fontSize=14, color="#555")
        .encode(x=enc_x, y=alt.value(2), text="release:N")
        for row in (0, 1)
    ]
    return alt.layer(rules, *labels)


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
    spec = dict(json.loads(json.dumps(chart.to_dict(), default=_json_default)))
    # vl-convert has no container to measure: a "container" width becomes the export width.
    if spec.get("width") == "container":
        spec["width"] = WIDTH
    return spec


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
