"""Feature adoption: share of active users per feature, adoption curves, depth, stickiness, engagement matrix."""

import streamlit as st

from lib import ui
from lib.charts import adoption as charts
from lib.metrics import adoption_report as report
from lib.metrics.adoption_results import adoption_table, summary_frame
from lib.narrative import adoption as narrative

st.title("Feature adoption")
ctx = ui.page_context()
if ctx is not None:
    period = st.segmented_control(
        "Period", ["week", "month"], default="week", key="adoption_period", bind="query-params"
    ) or "week"
    features = ui.compute(report.pick_features, ctx)
    data = ui.compute(report.compute_report, ctx, features, period, lambda s: ui.run(ctx, s)) if features else None
    if data is not None:
        ui.summary([s for f in features if (s := narrative.feature_latest(data.periods, f.name))])
        markers = [(f"{f.name} released", f.released) for f in features if f.released is not None]
        ui.show_chart(charts.adoption_curve(data.periods, markers + ui.release_markers(ctx)), "adoption_curve")
        ui.show_table(adoption_table(data.periods), "adoption")

        st.subheader("Which features to scale, which to retire")
        ui.summary([narrative.matrix(s) for s in data.summaries])
        ui.show_chart(charts.engagement_matrix(data.summaries), "adoption_matrix")
        ui.show_table(summary_frame(data.summaries), "adoption_features")

        st.subheader("Depth: uses per adopter")
        ui.show_chart(charts.depth_bars(data.depth), "adoption_depth")
        ui.show_table(data.depth, "adoption_depth")

        st.subheader("Do adopters stay? (association, not cause)")
        ui.summary([s for s in (narrative.retention(x) for x in data.summaries) if s])
        ui.show_chart(charts.adopter_retention(data.summaries), "adoption_retention")
        st.caption(
            "Active users: anyone with an activity event in the period (using a feature counts). Stickiness: the "
            "share of a period's adopters who use the feature again the next period. Breadth and frequency are "
            "averaged over the latest four complete periods since release. Heavy users both adopt more and stay "
            "more, so the retention gap is not the feature's effect."
        )
