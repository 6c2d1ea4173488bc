"""Today: the daily anomaly check — key numbers vs their usual range, the anomalies, and what moved."""

import pandas as pd
import streamlit as st

from lib import anomaly_check, ui
from lib.charts import today as charts
from lib.narrative import today as narrative

st.title("Today")
ctx = ui.page_context()
if ctx is not None and ctx.as_of is not None:
    day = st.date_input("Day to check", value=ctx.as_of.date, max_value=ctx.as_of.date, key="today_date")
    found = ui.compute(anomaly_check.check_day, ctx, day, lambda stmt: ui.run(ctx, stmt))
    if found is not None:
        series, result = found
        ui.summary(narrative.summary(result))
        tiles = narrative.kpi_rows(result, ctx.config.activity.activation)
        for col, row in zip(st.columns(max(len(tiles), 1)), tiles, strict=False):
            label, value, delta, help_text = narrative.tile(row)
            col.metric(label, value, delta if row.flagged else None, help=help_text,
                       delta_color="normal" if row.spec.higher_is_better else "inverse")

        st.subheader("Anomalies")
        if not result.flagged:
            st.success("Nothing unusual: every checked number is within its usual range.")
        else:
            sparks = [anomaly_check.recent_values(series, r) for r in result.flagged]
            table = pd.DataFrame(narrative.anomaly_table(result, sparks))
            ui.show_table(table, "today_anomalies", column_config={
                "last 4 weeks": st.column_config.LineChartColumn("last 4 weeks", width="medium"),
            })
            top = result.flagged[0]
            frame = charts.sparkline_frame(anomaly_check.recent_values(series, top, 56), top.date)
            title = f"{top.spec.label} ({top.segment})"
            chart = charts.anomaly_chart(frame, top.score.low, top.score.high, title, top.spec.kind == "proportion")
            ui.show_chart(chart, "today_top_anomaly")
        with st.expander("Every checked number"):
            ui.show_table(anomaly_check.check_frame(result), "today_check_all")
        st.caption(
            "Each number is compared with the same weekday of the last 4 weeks, carried forward by the recent "
            "trend; segments below [check] min_count are not judged. Headless: `python -m lib check`."
        )
