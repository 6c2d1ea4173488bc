"""The only lib module that imports Streamlit: the shared sidebar, caching, downloads and error display.

Caching rules (Streamlit's own): engines and contexts with ``st.cache_resource`` (shared, never copied);
query results with ``st.cache_data(ttl=...)`` keyed on the source and the compiled SQL with its values, so two
pages asking the same question share one answer and a changed filter is a new key.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any
from urllib.parse import quote

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from lib import db
from lib.charts import theme
from lib.config import ReviewConfig, resolve_config
from lib.context import Context, open_context
from lib.errors import ReviewError
from lib.filters import Filter, describe, distinct_values

TTL_S = 600
NO_FILTER = "(none)"
# Sidebar widget keys; each is bound to the URL so a link restores the view.
K_SOURCE, K_START, K_END, K_SEG_ATTR, K_SEG_VALUE, K_RELEASE = (
    "source", "start", "end", "segment", "segment_value", "release",
)


# ----------------------------------------------------------------------------------------- sources and config
@st.cache_resource(ttl=TTL_S, show_spinner=False)
def _config(source_text: str) -> ReviewConfig:
    return resolve_config(source_text or None, None)


@st.cache_resource(ttl=TTL_S, show_spinner="Opening the data source...")
def _source(source_text: str) -> db.Source:
    config = _config(source_text)
    return db.open_source(config.source.path, config.source.url, config.source.tables)


@st.cache_resource(ttl=TTL_S, show_spinner=False, max_entries=64)
def _context(source_text: str, filters: tuple[Filter, ...], start: date | None, end: date | None) -> Context:
    return open_context(_config(source_text), filters, start, end, source=_source(source_text))


def current_source_text() -> str:
    """The source the sidebar points at (empty string: the sample product or review.toml's source).

    Returns
    -------
    str
    """
    return str(st.session_state.get(K_SOURCE, "") or "")


def current_config() -> ReviewConfig | None:
    """The review config for the current source, or None after showing why it could not be read.

    Returns
    -------
    ReviewConfig or None
    """
    try:
        return _config(current_source_text())
    except ReviewError as err:
        show_error(err)
        return None


def sidebar_filters() -> tuple[tuple[Filter, ...], date | None, date | None]:
    """The segment filter and date range chosen in the sidebar.

    Returns
    -------
    tuple
        (filters, start, end).
    """
    attr = st.session_state.get(K_SEG_ATTR) or NO_FILTER
    value = st.session_state.get(K_SEG_VALUE) or ""
    filters: tuple[Filter, ...] = ()
    if attr != NO_FILTER and value:
        scope, _, name = str(attr).partition(".")
        filters = (Filter(name, (str(value),), scope if scope in ("user", "event") else None),)  # type: ignore[arg-type]
    start = st.session_state.get(K_START)
    end = st.session_state.get(K_END)
    return filters, start or None, end or None


def page_context() -> Context | None:
    """The context for the sidebar's source, filters and dates; shows the error and returns None on failure.

    Returns
    -------
    Context or None
    """
    filters, start, end = sidebar_filters()
    try:
        return _context(current_source_text(), filters, start, end)
    except ReviewError as err:
        show_error(err)
        return None


K_PRESENT = "present"
_PRESENT_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"],
[data-testid="stDownloadButton"], [data-testid="stExpander"] {display: none !important;}
.stMainBlockContainer, [data-testid="stMainBlockContainer"] {max-width: 100% !important; padding-top: 1.5rem;}
html, body, [data-testid="stMarkdownContainer"] p, [data-testid="stAlert"] p {font-size: 1.45rem !important;}
h1 {font-size: 3rem !important;} h2 {font-size: 2.3rem !important;}
[data-testid="stVegaLiteChart"] {page-break-after: always;}
</style>
"""


def presenting() -> bool:
    """Whether the app runs in presentation mode (``?present=1`` in the URL): large type, no controls.

    Returns
    -------
    bool
    """
    return str(st.query_params.get(K_PRESENT, "")).lower() in ("1", "true", "yes")


def draw_sidebar() -> None:
    """The shared sidebar: source, date range, segment filter, release. Called by app.py before the page.

    Every widget is keyed and bound to the URL's query parameters, so the address bar is a shareable link.
    In presentation mode the sidebar still holds the state (so the link's filters apply) but is hidden.
    """
    if presenting():
        st.html(_PRESENT_CSS)
    with st.sidebar:
        st.text_input(
            "Data source",
            key=K_SOURCE,
            placeholder="sample product",
            help="A folder of CSV/Parquet files, a .duckdb file or a database URL. Empty: the sample product.",
            bind="query-params",
        )
        config = current_config()
        if config is None:
            return
        cols = st.columns(2)
        cols[0].date_input("From", value=None, key=K_START, help="First cohort/entry date (inclusive)",
                           bind="query-params")
        cols[1].date_input("To", value=None, key=K_END, help="Last cohort/entry date (inclusive); also as_of",
                           bind="query-params")
        attrs = _segment_choices()
        st.selectbox("Segment", [NO_FILTER, *attrs], key=K_SEG_ATTR, bind="query-params")
        attr = st.session_state.get(K_SEG_ATTR) or NO_FILTER
        if attr != NO_FILTER:
            st.selectbox("equals", _segment_values(str(attr)), key=K_SEG_VALUE, bind="query-params")
        releases = [r.name for r in config.releases]
        if releases:
            st.selectbox("Release", releases, index=len(releases) - 1, key=K_RELEASE, bind="query-params")
        filters, _, _ = sidebar_filters()
        if filters:
            st.caption(f"Showing only {describe(filters)}.")
        st.link_button("Present this page", _present_link(), icon=":material/slideshow:",
                       help="Open this view in presentation mode: large type, no controls, for a shared screen.")


def _present_link() -> str:
    params = {k: v for k, v in st.query_params.to_dict().items() if k != K_PRESENT}
    params[K_PRESENT] = "1"
    return "?" + "&".join(f"{quote(str(k))}={quote(str(v))}" for k, v in params.items())


def _segment_choices() -> list[str]:
    try:
        tables = _context(current_source_text(), (), None, None).all_tables
    except ReviewError:
        return []
    return [f"user.{a}" for a in tables.user_attributes] + [f"event.{p}" for p in tables.event_properties]


def _segment_values(attr: str) -> list[str]:
    scope, _, name = attr.partition(".")
    try:
        ctx = _context(current_source_text(), (), None, None)
        frame = run(ctx, distinct_values(ctx.all_tables, name, scope))
    except (ReviewError, ValueError):
        return []
    return [str(v) for v in frame["value"]]


def selected_release(config: ReviewConfig) -> tuple[str, date] | None:
    """The release chosen in the sidebar, as (name, date).

    Parameters
    ----------
    config
        The review config.

    Returns
    -------
    tuple or None
    """
    name = st.session_state.get(K_RELEASE)
    for r in config.releases:
        if r.name == name:
            return r.name, r.date
    return (config.releases[-1].name, config.releases[-1].date) if config.releases else None


def release_markers(ctx: Context) -> list[tuple[str, date]]:
    """Every configured release as (name, date), for chart markers.

    Parameters
    ----------
    ctx
        The page context.

    Returns
    -------
    list of tuple
    """
    return [(r.name, r.date) for r in ctx.config.releases]


# ----------------------------------------------------------------------------------------- queries
@st.cache_data(ttl=TTL_S, show_spinner=False, max_entries=512)
def _run_cached(source_key: str, query_key: str, _ctx: Context, _stmt: sa.Executable) -> pd.DataFrame:
    return _ctx.run(_stmt)


def run(ctx: Context, stmt: sa.Executable) -> pd.DataFrame:
    """Execute a metric's Select, cached for ``TTL_S`` seconds per source and query.

    Parameters
    ----------
    ctx
        The page context.
    stmt
        A metric's Select.

    Returns
    -------
    pandas.DataFrame
    """
    return _run_cached(ctx.source.label, db.cache_key(ctx.source, stmt), ctx, stmt)


def compute(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a lib function, turning a ReviewError into a message on the page (returns None then).

    Parameters
    ----------
    fn
        Any lib function.
    *args, **kwargs
        Its arguments.

    Returns
    -------
    Any
        The function's result, or None after showing the error.
    """
    try:
        return fn(*args, **kwargs)
    except ReviewError as err:
        show_error(err)
        return None


# ----------------------------------------------------------------------------------------- output
def show_error(err: ReviewError) -> None:
    """Show a user-facing error: the message, and technical detail in a closed expander.

    Parameters
    ----------
    err
        The error.
    """
    st.error(err.message)
    if err.detail:
        with st.expander("Details for analysts"):
            st.code(err.detail, language="sql")


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name.lower()).strip("_") or "chart"


def chart_bytes(chart: Any, fmt: str) -> bytes:
    """Render a chart to PNG or SVG with vl-convert (no browser needed).

    Parameters
    ----------
    chart
        An Altair chart.
    fmt
        ``"png"`` or ``"svg"``.

    Returns
    -------
    bytes
    """
    return theme.to_png(chart) if fmt == "png" else theme.to_svg(chart).encode()


def show_chart(chart: Any, name: str) -> None:
    """Render an Altair chart with PNG and SVG download buttons (rendered only when clicked).

    In presentation mode the chart gets the projector theme (:func:`lib.charts.theme.presentation`) and no
    buttons.

    Parameters
    ----------
    chart
        The chart.
    name
        A short name, used for the file names and widget keys.
    """
    if presenting():
        st.altair_chart(theme.presentation(chart), width="stretch")
        return
    st.altair_chart(chart, width="stretch")
    slug = _slug(name)
    # One row of content-sized buttons: fixed column ratios cut the labels ("S...") in narrow page columns.
    with st.container(horizontal=True, gap="small"):
        st.download_button("PNG", data=lambda: chart_bytes(chart, "png"), file_name=f"{slug}.png",
                           mime="image/png", key=f"dl_png_{slug}", on_click="ignore", icon=":material/image:",
                           width="content")
        st.download_button("SVG", data=lambda: chart_bytes(chart, "svg"), file_name=f"{slug}.svg",
                           mime="image/svg+xml", key=f"dl_svg_{slug}", on_click="ignore", width="content")


def show_table(frame: pd.DataFrame, name: str, column_config: dict[str, Any] | None = None) -> None:
    """Show a table with a CSV download button.

    Parameters
    ----------
    frame
        The table.
    name
        A short name for the file and the widget key.
    column_config
        Optional ``st.column_config`` per column.
    """
    # Floats on screen with 4 significant digits (a p-value of 3e-21 would otherwise fill its column with
    # zeros); the CSV keeps full precision.
    config: dict[str, Any] = {
        str(c): st.column_config.NumberColumn(format="%.4g")
        for c in frame.columns
        if pd.api.types.is_float_dtype(frame[c])
    }
    config.update(column_config or {})
    st.dataframe(frame, hide_index=True, width="stretch", column_config=config)
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    st.download_button("CSV", data=buf.getvalue(), file_name=f"{_slug(name)}.csv", mime="text/csv",
                       key=f"dl_csv_{_slug(name)}", on_click="ignore", icon=":material/download:")


def summary(sentences: Sequence[str] | str) -> None:
    """Show the plain-language summary above a chart.

    Parameters
    ----------
    sentences
        One to three sentences.
    """
    text = sentences if isinstance(sentences, str) else " ".join(sentences)
    st.info(text, icon=":material/lightbulb:")

