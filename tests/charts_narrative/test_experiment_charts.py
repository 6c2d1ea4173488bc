"""Experiment review assembly, charts and narrative on hand-made sufficient statistics (no database).

The review is built by :func:`lib.metrics.experiment_review.assemble` from DataFrames shaped like the SQL
results, so every number below can be checked on paper:

- primary ``conv`` (conversion): control 200/2000 = 0.10, treatment 260/2000 = 0.13, relative lift +30%.
  Delta-method se = sqrt(0.13·0.87/(2000·0.1²) + 0.1·0.9·0.13²/(2000·0.1⁴)) = sqrt(0.005655 + 0.007605)
  = 0.11515; Welch df ≈ 3947, t₀.₉₇₅ ≈ 1.9605, so the 95% CI is +7.4% to +52.6% and p ≈ 0.009.
- guardrail ``ret`` (retention, margin 5%): 4000/10000 in both arms, lift 0; se = sqrt(2·0.24/(10000·0.16))
  = 0.01732, one-sided 95% lower bound -1.6449·0.01732 = -2.85% > -5%: it passes.
- secondary ``amount`` (mean): two arms of n = 1000 for the Holm adjustment (one secondary, one arm: equal).
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from scipy import stats as sps

from lib.charts import experiments as charts
from lib.config import ExperimentConfig, MetricConfig
from lib.experiments import ExperimentReview, Role, rows_frame, variants_frame
from lib.metrics.experiment_review import assemble
from lib.narrative import experiments as narrative

CONV = MetricConfig("conv", "conversion", "buy", 7, None, None, True)
RET = MetricConfig("ret", "retention", None, None, 7, None, True)
AMOUNT = MetricConfig("amount", "mean", "buy", 7, None, "amount", True)
EXP = ExperimentConfig(
    name="exp",
    start=dt.date(2024, 1, 1),
    end=None,
    control="control",
    weights={"control": 0.5, "treatment": 0.5},
    primary="conv",
    min_lift=0.02,
    guardrails={"ret": 0.05},
    secondary=("amount",),
)
ROLES: list[tuple[Role, MetricConfig]] = [("primary", CONV), ("guardrail", RET), ("secondary", AMOUNT)]
STATS = pd.DataFrame(
    [
        ("conv", "control", 2000, 200.0, 200.0, 0),
        ("conv", "treatment", 2000, 260.0, 260.0, 5),
        ("ret", "control", 10000, 4000.0, 4000.0, 0),
        ("ret", "treatment", 10000, 4000.0, 4000.0, 0),
        ("amount", "control", 1000, 1000.0, 3000.0, 0),
        ("amount", "treatment", 1000, 1100.0, 3300.0, 0),
    ],
    columns=["metric", "variant", "n", "sum", "sum_sq", "maturing"],
)
DAILY = pd.DataFrame(
    [(dt.date(2024, 1, 1), "control", 1000), (dt.date(2024, 1, 1), "treatment", 1000)],
    columns=["day", "variant", "exposed"],
)
BY_DAY = pd.DataFrame(
    [
        (dt.date(2024, 1, 1), "conv", "control", 1000, 100.0, 100.0, 0),
        (dt.date(2024, 1, 1), "conv", "treatment", 1000, 120.0, 120.0, 0),
        (dt.date(2024, 1, 2), "conv", "control", 1000, 100.0, 100.0, 0),
        (dt.date(2024, 1, 2), "conv", "treatment", 1000, 140.0, 140.0, 5),
    ],
    columns=["exposure_date", "metric", "variant", "n", "sum", "sum_sq", "maturing"],
)
NO_MULTI = pd.DataFrame(columns=["user_id", "variants", "total"])


def _counts(control: int, treatment: int) -> pd.DataFrame:
    return pd.DataFrame(
        [("control", control, control, control), ("treatment", treatment, treatment, treatment)],
        columns=["variant", "raw_users", "assigned", "exposed"],
    )


def _review(counts: pd.DataFrame | None = None, multi: pd.DataFrame = NO_MULTI) -> ExperimentReview:
    return assemble(
        EXP,
        ROLES,
        dt.date(2024, 1, 20),
        _counts(2000, 2000) if counts is None else counts,
        STATS,
        multi,
        DAILY,
        BY_DAY,
    )


def test_assemble_ship_with_hand_checked_numbers() -> None:
    review = _review()
    assert review.verdict == "SHIP" and not review.provisional
    primary, guard, secondary = review.rows
    assert (primary.rel_lift, primary.n, primary.control_n) == (pytest.approx(0.3), 2000, 2000)
    assert primary.ci_low == pytest.approx(0.0742, abs=5e-4) and primary.ci_high == pytest.approx(
        0.5258, abs=5e-4
    )
    assert primary.status == "bar met" and primary.threshold == 0.02 and primary.maturing == 5
    assert guard.status == "pass" and guard.threshold == -0.05 and guard.rel_lift == 0.0
    assert secondary.p_adjusted == secondary.p_value  # one secondary x one arm: Holm changes nothing
    assert review.srm_p == 1.0 and review.maturing == 5
    assert review.planning.current_n == 2000 and review.planning.required_n is None


def test_headline_ship() -> None:
    assert narrative.headline(_review()) == (
        "exp: SHIP. conv is up 30.0% for treatment vs control (95% CI +7.4% to +52.6%), above the +2.0% bar, "
        "and every guardrail holds."
    )


def test_srm_invalid_headline_and_sentence() -> None:
    # chi2 = 2·200²/2200 = 36.36 on 1 df, p = chi2.sf (scipy) ~ 1.6e-9 < 0.001.
    review = _review(
        _counts(2000, 2400).assign(raw_users=[2003, 2403]),
        pd.DataFrame({"user_id": [7, 9, 11], "variants": [2, 2, 2], "total": [3, 3, 3]}),
    )
    p = float(sps.chi2.sf(2 * 200**2 / 2200, 1))
    assert review.srm_p == pytest.approx(p)
    assert review.verdict == "INVALID" and review.decided_by == "srm"
    assert narrative.headline(review) == (
        f"exp: INVALID. The split of users between variants does not match the plan (SRM p = {p:.3g}), so "
        "its numbers cannot be trusted; fix the assignment before reading them."
    )
    assert narrative.srm_sentence(review) == (
        f"The observed split (control 2,000, treatment 2,400) does not match the planned weights (control 50%, "
        f"treatment 50%): SRM p = {p:.3g}, threshold 0.001. 3 users seen in several variants were excluded "
        "first (raw counts: control 2,003, treatment 2,403)."
    )
    assert any("3 users were assigned to several variants" in r for r in review.reasons)


def test_summary_mentions_maturing_users() -> None:
    assert narrative.summary(_review())[-1] == (
        "5 recently exposed users are not counted yet: their window is still open."
    )


def test_lift_chart_spec() -> None:
    spec = charts.lift_chart(_review()).to_dict()
    frame = charts.lift_frame(_review())
    assert list(frame["label"]) == ["conv (primary)", "ret (guardrail)", "amount (secondary)"]
    assert len(spec["layer"]) == 4
    # The ticks layer filters to rows with a threshold: the bar (+2%) and the margin (-5%).
    assert list(frame["threshold"].dropna()) == [0.02, -0.05]
    assert spec["title"] == {"text": "exp: lift per metric", "subtitle": "Ticks: the bar and the guardrail margins"}
    json.dumps(spec)  # serialisable for PNG/SVG export


def test_lift_chart_shows_every_metric_label() -> None:
    # The reviewer saw 2 labels for 4 rows: the plot was squeezed (Streamlit's default autosize counts the
    # legend in the height) and Vega culled the overlapping labels. Each row now has ROW_HEIGHT pixels of
    # plot, the height is the plot's own (fit-x), and label culling is off.
    spec = charts.lift_chart(_review()).to_dict()
    assert spec["height"] == 3 * charts.ROW_HEIGHT and charts.ROW_HEIGHT >= 56
    assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}
    y_axes = [layer["encoding"]["y"]["axis"] for layer in spec["layer"] if "y" in layer["encoding"]]
    assert y_axes and all(axis == {"labelOverlap": False} for axis in y_axes)


def test_day_axes_use_one_date_format() -> None:
    for chart in (charts.lift_by_day_chart(_review()), charts.exposures_chart(_review())):
        spec = chart.to_dict()
        layers = spec.get("layer", [spec])
        x = next(layer["encoding"]["x"] for layer in layers if "x" in layer.get("encoding", {}))
        assert x["axis"]["format"] == "%b %d"


def test_srm_chart_spec() -> None:
    frame = charts.srm_frame(_review(_counts(2000, 2200)))
    assert frame.to_dict("records") == [
        {"variant": "control", "kind": "observed", "users": 2000.0},
        {"variant": "control", "kind": "expected", "users": 2100.0},
        {"variant": "treatment", "kind": "observed", "users": 2200.0},
        {"variant": "treatment", "kind": "expected", "users": 2100.0},
    ]
    spec = charts.srm_chart(_review(_counts(2000, 2200))).to_dict()
    assert spec["mark"]["type"] == "bar" and spec["encoding"]["xOffset"]["field"] == "kind"


def test_lift_by_day_chart() -> None:
    frame = charts.lift_by_day_frame(_review())
    # 120/1000 vs 100/1000 = +20%; 140/1000 vs 100/1000 = +40%.
    assert list(frame["rel_lift"].round(6)) == [0.2, 0.4]
    spec = charts.lift_by_day_chart(_review()).to_dict()
    assert len(spec["layer"]) == 3
    assert narrative.lift_by_day_sentence(_review()).startswith(
        "Each point is the lift of conv among users exposed on that day (2 days)."
    )


def test_tables_for_the_page() -> None:
    review = _review()
    # amount: means 1.0 vs 1.1, variances 2.002 and 2.092, se_rel 0.0672, t 1.49, p 0.14.
    assert list(rows_frame(review)["status"]) == ["bar met", "pass", "not significant"]
    assert variants_frame(review).to_dict("records")[0] == {
        "variant": "control",
        "weight": 0.5,
        "raw_users": 2000,
        "assigned": 2000,
        "exposed": 2000,
        "never_exposed": 0,
        "expected": 2000.0,
    }


def test_more_than_two_arms_one_verdict_per_arm_holm_on_primary() -> None:
    exp = ExperimentConfig(**{**EXP.__dict__, "weights": {"control": 1 / 3, "a": 1 / 3, "b": 1 / 3}})
    stats = pd.concat(
        [
            STATS,
            STATS[STATS["variant"] == "control"].assign(variant="a"),  # arm a = control: no effect
        ]
    ).replace({"variant": {"treatment": "b"}})
    counts = pd.DataFrame(
        [(v, 2000, 2000, 2000) for v in ("a", "b", "control")],
        columns=["variant", "raw_users", "assigned", "exposed"],
    )
    review = assemble(exp, ROLES, dt.date(2024, 1, 20), counts, stats, NO_MULTI, DAILY, BY_DAY.iloc[0:0])
    assert [a.variant for a in review.arms] == ["a", "b"]
    assert {a.variant: a.verdict for a in review.arms}["b"] == "SHIP"
    assert review.verdict == "SHIP"
    prim = {r.variant: r for r in review.rows if r.role == "primary"}
    # Holm over two arms: the smaller p doubles (scipy-free check: 2·p, capped at 1).
    assert prim["b"].p_adjusted == pytest.approx(min(1.0, 2 * prim["b"].p_value))
    assert review.reasons[0] == "Overall SHIP: the best arm decides (b)."
