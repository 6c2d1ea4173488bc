"""Today: the 15-minute daily check — key numbers vs their usual range, anomalies worst first, experiment news."""

import functools

import streamlit as st

from lib import anomaly_check, today, ui
from lib.charts import today as charts
from lib.narrative import today as narrative

SPARK = st.column_config.LineChartColumn("last 4 weeks", width="medium")

st.title("Today")
ctx = ui.page_context()
as_of = ui.compute(ctx.require_as_of) if ctx is not None else None
if ctx is not None and as_of is not None:
    day = st.date_input("Day to check", value=as_of.date, max_value=as_of.date, key="today_date",
                        bind="query-params")
    run = functools.partial(ui.run, ctx)
    found = ui.compute(anomaly_check.check_day, ctx, day, run)
    if found is not None:
        series, result = found
        experiments = ui.compute(today.experiment_statuses, ctx.config, ctx.tables, day, run) or ()
        ui.summary(narrative.summary(result, top=2, experiments=experiments))

        st.subheader(f"Key numbers vs a usual {day:%A}")
        tiles = today.kpi_tiles(result, series, ctx.config.activity.activation)
        for col, tile in zip(st.columns(max(len(tiles), 1)), tiles, strict=False):
            col.metric(tile.label, tile.value, tile.delta, delta_color=tile.delta_color, help=tile.help,
                       chart_data=list(tile.spark), border=True)

        st.subheader("Anomalies, worst first")
        if not result.flagged:
            st.success("Nothing unusual: every checked number is within its usual range.")
        else:
            ui.show_table(today.anomaly_frame(result, series), "today_anomalies",
                          column_config={"last 4 weeks": SPARK})
            top = result.flagged[0]
            frame = charts.sparkline_frame(anomaly_check.recent_values(series, top, 56), top.date)
            title = f"Worst: {top.spec.label} ({top.segment}), last 8 weeks and its usual range"
            chart = charts.anomaly_chart(frame, top.score.low, top.score.high, title, top.spec.kind == "proportion")
            ui.show_chart(chart, "today_top_anomaly")

        if experiments:
            st.subheader("Experiments")
            st.markdown("\n".join(f"- {narrative.experiment_line(s)}" for s in experiments))
        with st.expander("Every checked number"):
            ui.show_table(anomaly_check.check_frame(result), "today_check_all")
        st.caption(
            "Each number is compared with the same weekday of the last 4 weeks, carried forward by the recent "
            "trend; segments below [check] min_count are not judged. Headless: `python -m lib check`."
        )
