"""Data: the source in use, table summaries, the data-quality report, uploads and the column mapping."""

import streamlit as st

from lib import datapage, ui
from lib.errors import ReviewError

st.title("Data")
config = ui.current_config()
if config is not None:
    ctx = ui.page_context()
    st.subheader("Source")
    st.markdown(datapage.source_sentence(config, ctx.source if ctx else None))
    if ctx is not None:
        st.subheader("Tables")
        ui.show_table(ui.compute(datapage.table_summary, ctx, ui.run), "table_summary")
        if ctx.as_of is not None:
            st.caption(f"Data complete up to {ctx.as_of.date:%A %d %B %Y} (as_of), time zone {ctx.tables.timezone}.")

    st.subheader("Data quality")
    findings = ui.compute(datapage.quality_table, config, ctx.source if ctx else None)
    if findings is not None:
        if findings.empty:
            st.success("No data-quality problems found.")
        else:
            ui.summary(datapage.quality_sentence(findings))
            ui.show_table(findings, "quality_report")

    st.subheader("Column mapping")
    if ctx is not None:
        mapping = ui.compute(datapage.mapping_table, ctx, config)
        if mapping is not None:
            ui.show_table(mapping, "column_mapping")
    st.caption("To map differently named columns, add this to review.toml (Launch Review never edits it for you):")
    st.code(datapage.mapping_snippet(config), language="toml")

st.subheader("Upload your own files")
st.markdown(
    "Upload `events.csv` or `.parquet` (and optionally `users.*`, `assignments.*`). They are imported into a local "
    "DuckDB workspace under `~/.cache/launch-review/`; your originals and the sample product are never changed."
)


def _use_upload() -> None:
    # A callback runs before the script, the only time the sidebar's source widget may be changed.
    files = st.session_state.get("data_upload") or []
    try:
        source = datapage.save_upload([(f.name, f.getvalue()) for f in files])
        st.session_state[ui.K_SOURCE] = source
        st.session_state["data_upload_error"] = None
    except ReviewError as err:
        st.session_state["data_upload_error"] = err


files = st.file_uploader("Files", type=["csv", "parquet"], accept_multiple_files=True, key="data_upload")
st.button("Use these files", key="data_use_upload", type="primary", disabled=not files, on_click=_use_upload)
if st.session_state.get("data_upload_error"):
    ui.show_error(st.session_state["data_upload_error"])
