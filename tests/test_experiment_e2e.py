"""End to end: the experiment review on the sample product, in-process and through `python -m lib`.

Ground truth (sample_data/_params.py, sample_data/README.md): ``new_onboarding`` raises activation with a
neutral guardrail and is sized to reach SHIP; ``pricing_page`` wins on upgrades but breaks the retention
guardrail (DONT_SHIP); ``checkout_redesign`` enrols control more often than treatment (0.55 vs 0.45), a
sample ratio mismatch (INVALID), and has a few users in both variants.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from lib.commands.experiment import METRIC_FIELDS, OUTPUT_FIELDS, to_output
from lib.config import SAMPLE_DIR, ReviewConfig, load_config
from lib.context import Context, open_context
from lib.errors import ReviewError
from lib.experiments import ExperimentReview
from lib.metrics.experiment_review import review_experiment

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = {"new_onboarding": "SHIP", "pricing_page": "DONT_SHIP", "checkout_redesign": "INVALID"}


@pytest.fixture(scope="module")
def ctx() -> Iterator[Context]:
    context = open_context(load_config(SAMPLE_DIR / "review.toml"))
    yield context
    context.source.engine.dispose()


@pytest.fixture(scope="module")
def reviews(ctx: Context) -> dict[str, ExperimentReview]:
    return {
        name: review_experiment(ctx.config, ctx.tables, ctx.require_as_of(), name, ctx.run)
        for name in EXPECTED
    }


@pytest.mark.parametrize(("name", "verdict"), EXPECTED.items(), ids=list(EXPECTED))
def test_sample_verdicts(reviews: dict[str, ExperimentReview], name: str, verdict: str) -> None:
    review = reviews[name]
    assert review.verdict == verdict, review.reasons
    assert review.reasons[0].startswith(verdict)


def test_new_onboarding_ships_on_activation(reviews: dict[str, ExperimentReview]) -> None:
    review = reviews["new_onboarding"]
    primary = next(r for r in review.rows if r.role == "primary")
    assert primary.metric == "activated" and primary.variant == "treatment"
    assert primary.p_value < 0.05 and primary.ci_low > 0 and primary.rel_lift >= 0.02
    assert primary.status == "bar met"
    guard = next(r for r in review.rows if r.role == "guardrail")
    assert guard.metric == "retained_d7" and guard.status == "pass"
    assert not review.provisional and review.srm_p >= 0.001
    # Every secondary p is Holm-adjusted across the two secondaries: adjusted >= raw.
    secondaries = [r for r in review.rows if r.role == "secondary"]
    assert [r.metric for r in secondaries] == ["projects", "upgraded"]
    assert all(r.p_adjusted >= r.p_value for r in secondaries)
    assert min(r.p_adjusted for r in secondaries) == pytest.approx(2 * min(r.p_value for r in secondaries))


def test_pricing_page_breaks_the_retention_guardrail(reviews: dict[str, ExperimentReview]) -> None:
    review = reviews["pricing_page"]
    assert review.decided_by == "guardrail:retained_d7"
    guard = next(r for r in review.rows if r.role == "guardrail")
    assert guard.status == "breach" and guard.ci_high < -0.05
    assert next(r for r in review.rows if r.role == "primary").status == "bar met"


def test_checkout_redesign_srm_and_multi_variant_users(reviews: dict[str, ExperimentReview]) -> None:
    review = reviews["checkout_redesign"]
    assert review.srm_p < 0.001 and review.decided_by == "srm"
    assert review.multi_variant_users > 0 and review.multi_variant_examples
    raw = {v.variant: v.raw_users for v in review.variants}
    assigned = {v.variant: v.assigned for v in review.variants}
    # Users in both variants are in both raw counts and in neither analysed count.
    assert sum(raw.values()) - sum(assigned.values()) == 2 * review.multi_variant_users
    assert any("several variants" in r for r in review.reasons)


def test_output_object_follows_the_contract(reviews: dict[str, ExperimentReview]) -> None:
    out = to_output(reviews["new_onboarding"])
    assert tuple(out) == OUTPUT_FIELDS
    assert all(tuple(m) == METRIC_FIELDS for m in out["metrics"])
    assert [m["role"] for m in out["metrics"]] == ["primary", "guardrail", "secondary", "secondary"]
    json.dumps(out, allow_nan=False)  # no NaN or infinity reaches JSON


@pytest.mark.parametrize(("name", "verdict"), EXPECTED.items(), ids=list(EXPECTED))
def test_cli_prints_one_object_and_exits_0(name: str, verdict: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "lib", "experiment", name, "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["experiment"] == name and out["verdict"] == verdict
    assert isinstance(out["provisional"], bool) and out["reasons"]


def test_cli_unknown_experiment_exits_2_listing_the_configured_ones() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "lib", "experiment", "nope"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "nope" in proc.stderr and "new_onboarding, pricing_page, checkout_redesign" in proc.stderr
    assert "Traceback" not in proc.stderr


# ------------------------------------------------------------------------------------------------ bad input
def _with_experiment(config: ReviewConfig, **changes: object) -> ReviewConfig:
    exp = replace(config.experiments[0], **changes)  # type: ignore[arg-type]
    return replace(config, experiments=(exp, *config.experiments[1:]))


def test_unknown_experiment(ctx: Context) -> None:
    with pytest.raises(ReviewError, match=r"No experiment named 'nope'.*configured: new_onboarding"):
        review_experiment(ctx.config, ctx.tables, ctx.require_as_of(), "nope", ctx.run)


def test_metric_missing_from_config(ctx: Context) -> None:
    config = _with_experiment(ctx.config, secondary=("no_such_metric",))
    with pytest.raises(
        ReviewError, match=r"metric 'no_such_metric' as secondary.*\[metrics.no_such_metric\]"
    ):
        review_experiment(config, ctx.tables, ctx.require_as_of(), "new_onboarding", ctx.run)


def test_variant_missing_from_weights(ctx: Context) -> None:
    config = _with_experiment(ctx.config, weights={"control": 0.5, "variant_b": 0.5})
    with pytest.raises(
        ReviewError, match=r"variant 'treatment', which is not in its weights \(control, variant_b\)"
    ):
        review_experiment(config, ctx.tables, ctx.require_as_of(), "new_onboarding", ctx.run)


def test_experiment_nobody_is_assigned_to(ctx: Context) -> None:
    config = _with_experiment(ctx.config, name="typo_onboarding")
    with pytest.raises(ReviewError, match="No user is assigned to experiment 'typo_onboarding'"):
        review_experiment(config, ctx.tables, ctx.require_as_of(), "typo_onboarding", ctx.run)


def test_no_assignments_table(tmp_path: Path) -> None:
    pd.DataFrame(
        {
            "user_id": [1, 2],
            "event": ["open", "open"],
            "timestamp": ["2026-09-10 10:00:00", "2026-09-10 23:30:00"],
        }
    ).to_csv(tmp_path / "events.csv", index=False)
    base = load_config(SAMPLE_DIR / "review.toml")
    config = replace(base, source=replace(base.source, path=tmp_path))
    context = open_context(config)
    try:
        with pytest.raises(ReviewError, match="needs an assignments table"):
            review_experiment(config, context.tables, context.require_as_of(), "new_onboarding", context.run)
    finally:
        context.source.engine.dispose()


def test_peeking_before_the_end_is_provisional() -> None:
    # Seen from 2026-09-20 (12 days into a test planned to 2026-10-06), the fixed-horizon reading says SHIP
    # but the always-valid interval must agree before the planned end: KEEP_RUNNING, provisional.
    context = open_context(load_config(SAMPLE_DIR / "review.toml"), end=date(2026, 9, 20))
    try:
        review = review_experiment(
            context.config, context.tables, context.require_as_of(), "new_onboarding", context.run
        )
    finally:
        context.source.engine.dispose()
    assert review.verdict == "KEEP_RUNNING" and review.provisional
    assert review.decided_by == "always_valid"
    assert review.maturing > 0 and not review.planning.horizon_reached


@pytest.mark.parametrize(
    ("name", "metric", "control", "treatment", "lift", "srm_p"),
    [
        ("new_onboarding", "activated", 0.4780, 0.5293, 0.1074, 0.132),
        ("new_onboarding", "retained_d7", 0.2426, 0.2681, 0.1051, 0.132),
        ("pricing_page", "upgraded", 0.0420, 0.0629, 0.4959, 0.428),
        ("pricing_page", "retained_d7", 0.2582, 0.2095, -0.1888, 0.428),
    ],
    ids=["onboarding-activated", "onboarding-d7", "pricing-upgraded", "pricing-d7"],
)
def test_numbers_match_the_sample_readme(
    reviews: dict[str, ExperimentReview],
    name: str,
    metric: str,
    control: float,
    treatment: float,
    lift: float,
    srm_p: float,
) -> None:
    # Source: the table "How the numbers below are computed" in sample_data/README.md (4 decimals).
    review = reviews[name]
    row = next(r for r in review.rows if r.metric == metric)
    assert (row.control_mean, row.mean, row.rel_lift) == (
        pytest.approx(control, abs=5e-5),
        pytest.approx(treatment, abs=5e-5),
        pytest.approx(lift, abs=5e-5),
    )
    assert review.srm_p == pytest.approx(srm_p, abs=5e-4)
