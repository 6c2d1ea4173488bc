"""Release review: targets with progress, North Star and leading indicators, before/after, links (R8)."""

import functools
import math

import streamlit as st

from lib import ui
from lib.charts import release as charts
from lib.narrative import release as narrative
from lib.release_review import before_after_frame, review_release, targets_frame

st.title("Release review")
ctx = ui.page_context()
picked = ui.selected_release(ctx.config) if ctx is not None else None
if ctx is not None and picked is None:
    st.info("No release is configured. Add a [[releases]] entry (name, date) to review.toml to review one.")
if ctx is not None and picked is not None:
    review = ui.compute(review_release, ctx, picked[0], functools.partial(ui.run, ctx))
    if review is not None:
        ui.summary(narrative.summary(review))

        st.header("Targets")
        if not review.targets:
            st.caption(f"No [[targets]] entry names release {review.release} in review.toml.")
        cols = st.columns(max(1, min(3, len(review.targets))))
        for i, t in enumerate(review.targets):
            with cols[i % len(cols)].container(border=True, key=f"release_target_{i}"):
                st.metric(
                    f"{t.metric} (target {narrative.pct(t.wanted)})",
                    narrative.pct(t.comparison.change),
                    delta=t.status,
                    delta_color="normal" if t.status in ("met", "on track") else "inverse",
                )
                share = 0.0 if math.isnan(t.progress) else max(0.0, min(1.0, t.progress))
                st.progress(share, text=f"{0 if math.isnan(t.progress) else t.progress:.0%} of the target")
                left = "deadline passed" if t.days_left == 0 else f"{t.days_left} days left"
                st.caption(f"By {narrative.day(t.by)}: {left}.")
        for t in review.targets:
            st.markdown(f"- {narrative.target_sentence(t)}")
        if review.targets:
            ui.show_chart(charts.target_chart(review.targets), "release_targets")
            ui.show_table(targets_frame(review.targets), "release_targets")

        if review.north_star is not None:
            st.header("North Star and leading indicators")
            ui.summary(narrative.north_star_sentence(review.north_star, review.release))
            ui.show_chart(charts.north_star_chart(review.north_star, ui.release_markers(ctx)), "release_north_star")
            ui.show_table(before_after_frame(review.north_star.comparisons), "release_north_star")

        st.header(f"Before vs after {review.release}")
        ui.summary(narrative.before_after_summary(review.before_after, review.release))
        ui.show_chart(charts.before_after_chart(review.before_after, review.release), "release_before_after")
        ui.show_table(before_after_frame(review.before_after), "release_before_after")

        st.header("More on this release")
        keep = {k: v for k, v in st.query_params.to_dict().items() if k in ("source", "segment", "segment_value")}
        for link in review.links:
            st.page_link(link.page, label=link.label, query_params={**keep, **link.query_params})
