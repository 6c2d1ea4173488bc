"""Experiments: the verdict against the success bar, per-metric lifts, SRM, novelty view, and a calculator."""

import functools

import streamlit as st

from lib import ui
from lib.charts import experiments as charts
from lib.experiments import rows_frame, variants_frame
from lib.metrics.experiment_review import review_experiment
from lib.narrative import experiments as narrative
from lib.stats import SampleStats, compare, sample_size_per_variant, srm_test

BANNER = {"SHIP": "green", "DONT_SHIP": "red", "INVALID": "red", "KEEP_RUNNING": "orange"}
PCT = st.column_config.NumberColumn(format="percent")
P = st.column_config.NumberColumn(format="%.4f")
COLUMNS = {"rel_lift": PCT, "ci_low": PCT, "ci_high": PCT, "threshold": PCT, "p_value": P, "p_adjusted": P}

st.title("Experiments")
review_tab, calc_tab = st.tabs(["Review", "Calculator"])

with review_tab:
    ctx = ui.page_context()
    if ctx is not None and not ctx.config.experiments:
        st.info("No experiment is configured. Add an [[experiments]] entry to review.toml (see the README).")
    elif ctx is not None:
        name = st.selectbox(
            "Experiment", [e.name for e in ctx.config.experiments], key="experiments_pick", bind="query-params"
        )
        review = ui.compute(
            lambda c: review_experiment(c.config, c.tables, c.require_as_of(), name, functools.partial(ui.run, c)),
            ctx,
        )
        if review is not None:
            state = " (provisional)" if review.provisional else ""
            st.markdown(f"## :{BANNER[review.verdict]}-background[{review.verdict}]{state}")
            st.markdown(review.reasons[0])
            ui.summary(narrative.summary(review))
            with st.expander("Why: every rule, reading and check", expanded=False):
                st.markdown("\n".join(f"- {line}" for line in review.reasons))
            ui.show_chart(charts.lift_chart(review), f"{name}_lift")
            ui.show_table(rows_frame(review), f"{name}_metrics", column_config=COLUMNS)
            # Stacked, not side by side: in half-width columns the titles, legends and buttons were cut off.
            st.subheader("Sample ratio")
            st.markdown(narrative.srm_sentence(review))
            ui.show_chart(charts.srm_chart(review), f"{name}_srm")
            ui.show_table(variants_frame(review), f"{name}_variants")
            st.subheader("Plan")
            st.markdown(narrative.planning_sentence(review))
            ui.show_chart(charts.exposures_chart(review), f"{name}_exposures")
            st.subheader("Lift by exposure day")
            st.markdown(narrative.lift_by_day_sentence(review))
            ui.show_chart(charts.lift_by_day_chart(review), f"{name}_lift_by_day")

with calc_tab:
    # Works with no data loaded: everything here is numbers typed by the user.
    st.subheader("Compare two arms")
    kind = st.segmented_control(
        "Metric", ["Conversion", "Mean"], default="Conversion", key="experiments_calc_kind", bind="query-params"
    )
    alpha = st.number_input("Alpha", 0.001, 0.5, 0.05, step=0.01, key="experiments_calc_alpha", bind="query-params")
    arms = {}
    for arm, col in zip(("Control", "Treatment"), st.columns(2), strict=True):
        key = f"experiments_calc_{arm.lower()}"
        n = col.number_input(f"{arm} users", 2, None, 1000, key=f"{key}_n", bind="query-params")
        if kind == "Mean":
            mean = col.number_input(f"{arm} mean", value=1.0, key=f"{key}_mean", bind="query-params")
            sd = col.number_input(f"{arm} standard deviation", 0.0, None, 1.0, key=f"{key}_sd", bind="query-params")
            arms[arm] = SampleStats.from_mean_sd(int(n), mean, sd)
        else:
            conv = col.number_input(
                f"{arm} conversions", 0, int(n), min(100, int(n)), key=f"{key}_conv", bind="query-params"
            )
            arms[arm] = SampleStats.from_proportion(int(n), conv)
    res = compare(arms["Control"], arms["Treatment"], alpha=alpha, binary=kind != "Mean")
    if res.ok:
        cols = st.columns(3)
        cols[0].metric("Relative lift", f"{res.rel_lift:+.2%}")
        cols[1].metric(f"{1 - alpha:.0%} interval", f"{res.ci_low:+.2%} to {res.ci_high:+.2%}")
        cols[2].metric("p-value", f"{res.p_value:.4f}")
    else:
        st.warning(f"Cannot compare these arms ({res.reason}): check the counts and spreads.")
    srm = srm_test([arms["Control"].n, arms["Treatment"].n])
    st.caption(f"Sample ratio check for a 50/50 split: SRM p = {srm.p_value:.3g} (below 0.001 means broken).")

    st.subheader("Plan a test")
    plan_cols = st.columns(4)
    base = plan_cols[0].number_input(
        "Baseline rate", 0.001, 0.999, 0.1, key="experiments_plan_base", bind="query-params"
    )
    mde = plan_cols[1].number_input("Relative MDE", 0.001, 10.0, 0.05, key="experiments_plan_mde", bind="query-params")
    p_alpha = plan_cols[2].number_input("Alpha", 0.001, 0.5, 0.05, key="experiments_plan_alpha", bind="query-params")
    power = plan_cols[3].number_input("Power", 0.5, 0.99, 0.8, key="experiments_plan_power", bind="query-params")
    try:
        n_arm = sample_size_per_variant(base, mde, alpha=p_alpha, power=power)
        st.metric("Users per variant", f"{n_arm:,}")
    except ValueError as err:
        st.warning(f"Cannot size this test: {err}.")
