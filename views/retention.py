"""Retention: the cohort triangle, curves against the 90-day baseline, before/after a release, segments."""

from typing import cast

import streamlit as st

from lib import ui
from lib.charts import retention as charts
from lib.commands.retention import tidy
from lib.metrics import retention_summary as summ
from lib.metrics.retention import Mode, ReleaseSplit, RetentionSpec, retention
from lib.narrative import retention as story
from lib.sqlcompat import Period

HEATMAP_COHORTS = {"day": 30, "week": 26, "month": 24}

st.title("Retention")
ctx = ui.page_context()
as_of = ui.compute(ctx.require_as_of) if ctx is not None else None
if ctx is not None and as_of is not None:
    c1, c2, c3 = st.columns(3)
    period = c1.segmented_control(
        "Cohorts by", ["day", "week", "month"], key="retention_period", bind="query-params", default="week"
    )
    period = cast(Period, period or "week")
    labels = {"on": "active in period", "on_or_after": "active then or later"}
    mode_choice = c2.segmented_control(
        "Counted as",
        ["on", "on_or_after"],
        key="retention_mode", bind="query-params",
        default="on",
        format_func=lambda m: labels[m],
    )
    mode = cast(Mode, mode_choice or "on")
    by = c3.selectbox("Break down by", ["(none)", *ctx.tables.user_attributes], key="retention_by", bind="query-params")
    base = RetentionSpec(
        period=period, mode=mode, events=tuple(ctx.config.activity.events), start=ctx.start, end=ctx.end
    )
    cells = ui.compute(ui.run, ctx, retention(ctx.tables, base, as_of))
    rel = ui.selected_release(ctx.config)
    split = ReleaseSplit(*rel) if rel else None
    if cells is not None:
        cells = tidy(cells.drop(columns=["segment"]), base)
        average = summ.average_row(cells)
        ui.summary(story.average_summary(average, period))
        recent = sorted(cells["cohort"].unique())[-HEATMAP_COHORTS[period] :]
        shown = cells[cells["cohort"].isin(recent) & (cells["period"] <= HEATMAP_COHORTS[period])]
        ui.show_chart(charts.heatmap(shown, period), "retention_heatmap")
        ui.show_table(summ.with_intervals(cells), "retention_cells")

        by_release = None
        if split is not None:
            spec = RetentionSpec(
                period=period,
                mode=mode,
                release=split,
                events=tuple(ctx.config.activity.events),
                start=ctx.start,
                end=ctx.end,
            )
            by_release = ui.compute(ui.run, ctx, retention(ctx.tables, spec, as_of))
        baseline = None
        if by_release is not None and split is not None:
            baseline = summ.average_row(by_release[by_release["segment"] == split.before_label])
        ui.show_chart(charts.curves(cells, average, baseline, period), "retention_curves")
        ui.show_table(average, "retention_average")

        if by_release is not None and split is not None:
            st.subheader(f"Joined after {split.name} vs the 90 days before")
            comparison = summ.baseline_comparison(by_release, split)
            ui.summary(
                story.release_summary(
                    summ.latest_comparable(comparison, story.RELEASE_QUOTED[period]), split.name, period
                )
            )
            if not comparison.empty:
                ui.show_chart(charts.release_comparison(comparison, split.name, period), "retention_release")
            ui.show_table(comparison, "retention_release")

    if by != "(none)":
        st.subheader(f"By {by}")
        spec = RetentionSpec(
            period=period,
            mode=mode,
            by=by,
            events=tuple(ctx.config.activity.events),
            start=ctx.start,
            end=ctx.end,
        )
        seg_cells = ui.compute(ui.run, ctx, retention(ctx.tables, spec, as_of))
        if seg_cells is not None:
            averages = summ.segment_averages(seg_cells)
            ui.summary(story.segment_summary(averages, by, period))
            ui.show_chart(charts.segment_curves(averages, by, period), "retention_segments")
            ui.show_table(averages, "retention_segments")
