"""Funnels: ordered onboarding steps, conversion within the window, drop-off, time to convert, trends."""

import streamlit as st

from lib import ui
from lib.charts import funnels as charts
from lib.metrics import funnel_report as report
from lib.metrics.funnel_results import steps_frame, trend_frame
from lib.narrative import funnels as narrative

st.title("Funnels")
ctx = ui.page_context()
if ctx is not None:
    config = ctx.config
    names = [f.name for f in config.funnels]
    cols = st.columns([2, 3, 1, 2])
    name = cols[0].selectbox("Funnel", [*names, "Custom steps"], key="funnels_name", bind="query-params")
    steps_text = None
    if name == "Custom steps" or not names:
        steps_text = cols[1].text_input(
            "Steps (event names, comma-separated)",
            key="funnels_steps", bind="query-params",
            value=",".join(config.funnels[0].steps) if names else "",
        )
    default_window = next((f.window_days for f in config.funnels if f.name == name), 7)
    window = cols[2].number_input("Window (days)", 1, 365, default_window, key="funnels_window", bind="query-params")
    choices = ["(none)", *ctx.tables.user_attributes, *(f"event.{p}" for p in ctx.tables.event_properties)]
    by_choice = cols[3].selectbox("Break down by", choices, key="funnels_by", bind="query-params")
    by = None if by_choice == "(none)" else by_choice
    spec = ui.compute(report.resolve_spec, config, steps_text, None if name == "Custom steps" else name, window)
    run = lambda stmt: ui.run(ctx, stmt)  # noqa: E731 - a one-line adapter for the cached runner

    if spec is not None:
        release = ui.selected_release(config)
        if release is not None and by is None:
            split = ui.compute(report.compute_funnel, ctx, spec, run, release=release[0])
            if split:
                sides = {r.segment: r for r in split}
                if "before" in sides and "after" in sides:
                    ui.summary(narrative.before_after(sides["before"], sides["after"], release[0]))
        results = ui.compute(report.compute_funnel, ctx, spec, run, by=by)
        if results:
            first = results[0]
            ui.summary([s for s in (narrative.overall(first), narrative.biggest_drop(first)) if s])
            ui.show_chart(charts.funnel_steps(results, title=f"{spec.name}: users reaching each step"), "funnel_steps")
            ui.show_table(steps_frame(results), "funnel_steps")
            st.subheader("Time to convert")
            ui.show_chart(charts.time_to_convert(first), "funnel_time_to_convert")
        if release is not None and by is None and split:
            st.subheader(f"Before and after {release[0]}")
            ui.show_chart(
                charts.funnel_steps(split, title=f"Entries 28 days before vs after {release[0]}"), "funnel_before_after"
            )
            ui.show_table(steps_frame(split), "funnel_before_after")
        st.subheader("Conversion over time")
        periods = ui.compute(report.compute_trend, ctx, spec, run, by=by)
        if periods:
            sentence = narrative.trend([p for p in periods if p.segment == periods[0].segment])
            if sentence:
                ui.summary(sentence)
            ui.show_chart(charts.conversion_trend(periods, ui.release_markers(ctx)), "funnel_trend")
            ui.show_table(trend_frame(periods), "funnel_trend")
        st.caption(
            "Each step counts the first time a user did it at or after the previous step and within the window "
            "from their first step-1 event in the date range. Users whose window has not ended yet are left out "
            "of the rates and counted as still maturing."
        )
