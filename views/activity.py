"""Activity: DAU with trailing WAU/MAU, stickiness, lifecycle per period, activation and time to first value."""

from typing import cast

import streamlit as st

from lib import ui
from lib.charts import activity as charts
from lib.metrics import activity as metric
from lib.narrative import activity as story
from lib.sqlcompat import Period

st.title("Activity")
ctx = ui.page_context()
as_of = ui.compute(ctx.require_as_of) if ctx is not None else None
if ctx is not None and as_of is not None:
    releases = ui.release_markers(ctx)
    events = ctx.config.activity.events
    raw = ui.compute(ui.run, ctx, metric.daily_active(ctx.tables, events, until=as_of.date))
    if raw is not None:
        daily = metric.complete_days(raw, start=ctx.start, until=as_of.date)
        ui.summary(story.activity_summary(story.read_activity(daily)))
        ui.show_chart(charts.active_users_chart(daily, releases), "activity_dau_wau_mau")
        ui.show_chart(charts.stickiness_chart(daily, releases), "activity_stickiness")
        with st.expander("Daily table"):
            ui.show_table(daily, "activity_daily")

    st.subheader("New, returning, resurrected and dormant users")
    choice = st.segmented_control(
        "Period", ["day", "week", "month"], key="activity_period", bind="query-params", default="week"
    )
    period = cast(Period, choice or "week")
    life = ui.compute(
        ui.run, ctx, metric.lifecycle(ctx.tables, period, events, start=ctx.start, until=as_of.date)
    )
    if life is not None:
        ui.summary(story.lifecycle_summary(life, period))
        ui.show_chart(charts.lifecycle_chart(life, releases), "activity_lifecycle")
        ui.show_table(life, "activity_lifecycle")
        per = ui.compute(
            ui.run, ctx, metric.active_by_period(ctx.tables, period, events, ctx.start, as_of.date)
        )
        if per is not None:
            with st.expander(f"Distinct active users per {period}"):
                ui.show_table(per, "activity_per_period")

    st.subheader("Activation and time to first value")
    name = ctx.config.activity.activation
    act_metric = ctx.config.metrics.get(name) if name else None
    if act_metric is None or act_metric.kind != "conversion" or act_metric.event is None:
        st.caption(
            "Set [activity] activation in review.toml to a conversion metric (event and window_days) to see "
            "activation here."
        )
    else:
        days = act_metric.window_days or 7
        overall = ui.compute(
            ui.run,
            ctx,
            metric.activation(
                ctx.tables, act_metric.event, days, as_of, period=None, start=ctx.start, until=ctx.end
            ),
        )
        by_cohort = ui.compute(
            ui.run,
            ctx,
            metric.activation(
                ctx.tables, act_metric.event, days, as_of, period="week", start=ctx.start, until=ctx.end
            ),
        )
        if overall is not None and by_cohort is not None and not overall.empty:
            ui.summary(story.activation_summary(overall.iloc[0], act_metric.event, days))
            ui.show_chart(charts.activation_chart(by_cohort, releases), "activity_activation")
            ui.show_table(by_cohort, "activity_activation")
