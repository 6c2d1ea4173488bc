"""The verdict rules of DESIGN.md section 5 (lib.stats.verdict), one case per rule and precedence step.

Inputs are hand-made results with df = ∞ so every bound is effect ± z·se and can be checked on paper:
one-sided 95 % bounds use z = 1.645, two-sided 95 % uses 1.960.
"""

from __future__ import annotations

import math

import pytest
from scipy import stats as sps

from lib.stats.effects import EffectResult
from lib.stats.sequential import sequential_interval
from lib.stats.verdict import Guardrail, decide, decide_arms


def res(effect: float, se: float, n: int = 10_000) -> EffectResult:
    p = 2 * float(sps.norm.sf(abs(effect / se)))
    half = 1.959964 * se
    return EffectResult(
        effect=effect, se=se, ci_low=effect - half, ci_high=effect + half, p_value=p, abs_lift=effect * 0.3,
        rel_lift=effect, control_mean=0.3, treatment_mean=0.3 * (1 + effect), df=math.inf, status="ok",
        reason=None, control_n=n, treatment_n=n,
    )  # fmt: skip


WIN = res(0.06, 0.01)  # p ≈ 2e-9, one-sided bounds 4.4 % .. 7.6 %
NEUTRAL_GUARD = Guardrail("retained_d7", res(0.0, 0.01), margin=0.05)  # bounds −1.6 % .. +1.6 %: passes
BREACHED_GUARD = Guardrail("retained_d7", res(-0.10, 0.01), margin=0.05)  # upper −8.4 % < −5 %


def test_ship_when_bar_met_guardrails_pass_and_min_days() -> None:
    v = decide(WIN, min_lift=0.02, guardrails=[NEUTRAL_GUARD], srm_p=0.4)
    assert (v.verdict, v.provisional, v.decided_by) == ("SHIP", False, "significant_and_above")
    assert any("SRM check passed" in r and "0.4" in r for r in v.reasons)
    assert any(r.startswith("Rule confidently_above (shown for reference)") for r in v.reasons)
    assert any("Guardrail retained_d7 passes" in r for r in v.reasons)
    assert v.reasons[-1].startswith("Final:")


def test_srm_beats_everything() -> None:
    v = decide(WIN, min_lift=0.02, guardrails=[BREACHED_GUARD], srm_p=0.0002)
    assert (v.verdict, v.decided_by, v.provisional) == ("INVALID", "srm", False)
    assert "SRM p = 0.0002" in " ".join(v.reasons)


def test_quality_error_is_invalid() -> None:
    assert decide(WIN, min_lift=0.02, quality_error=True).decided_by == "data_quality"


def test_srm_at_threshold_is_not_invalid() -> None:
    # DESIGN.md: p < 0.001 → INVALID; exactly 0.001 is not below it.
    assert decide(WIN, min_lift=0.02, srm_p=0.001).verdict == "SHIP"


def test_guardrail_breach_beats_a_winning_primary() -> None:
    v = decide(WIN, min_lift=0.02, guardrails=[BREACHED_GUARD])
    assert (v.verdict, v.decided_by) == ("DONT_SHIP", "guardrail:retained_d7")
    assert v.reasons[0] == "DONT_SHIP: guardrail retained_d7 is breached."


def test_primary_significantly_worse() -> None:
    v = decide(res(-0.03, 0.01), min_lift=0.02)
    assert (v.verdict, v.decided_by) == ("DONT_SHIP", "primary_worse")


def test_futility_only_at_the_horizon() -> None:
    flat = res(0.0, 0.01)  # one-sided upper bound +1.6 % < bar 2 %
    assert decide(flat, min_lift=0.02, horizon_reached=True).decided_by == "futility"
    early = decide(flat, min_lift=0.02, horizon_reached=False)
    assert (early.verdict, early.provisional) == ("KEEP_RUNNING", True)


def test_min_days_blocks_ship() -> None:
    v = decide(WIN, min_lift=0.02, min_days_reached=False)
    assert (v.verdict, v.decided_by) == ("KEEP_RUNNING", "min_days")


def test_guardrail_not_yet_passing_blocks_ship() -> None:
    wide = Guardrail("retained_d7", res(-0.03, 0.02), margin=0.05)  # lower −6.3 %, upper +0.3 %
    v = decide(WIN, min_lift=0.02, guardrails=[wide])
    assert (v.verdict, v.decided_by) == ("KEEP_RUNNING", "guardrail:retained_d7")


def test_lower_is_better_guardrail_is_mirrored() -> None:
    # Errors up 10 %: for a lower-is-better metric that is a breach; errors down 10 % passes.
    up = Guardrail("errors", res(0.10, 0.01), margin=0.05, higher_is_better=False)
    down = Guardrail("errors", res(-0.10, 0.01), margin=0.05, higher_is_better=False)
    assert decide(WIN, min_lift=0.02, guardrails=[up]).verdict == "DONT_SHIP"
    assert decide(WIN, min_lift=0.02, guardrails=[down]).verdict == "SHIP"


def test_lower_is_better_primary() -> None:
    assert decide(res(-0.06, 0.01), min_lift=0.02, higher_is_better=False).verdict == "SHIP"


@pytest.mark.parametrize(
    ("effect", "se", "sig_rule", "conf_rule"),
    [
        # Lift 3 %, se 1 %: p ≈ 0.0027 and 3 % ≥ 2 % → significant_and_above met; lower bound 1.36 % < 2 %.
        pytest.param(0.03, 0.01, "SHIP", "KEEP_RUNNING", id="significant-not-confident"),
        # Lift 5 %, se 1 %: lower bound 3.36 % ≥ 2 % → both met.
        pytest.param(0.05, 0.01, "SHIP", "SHIP", id="both"),
        # Lift 1.5 %, se 0.5 %: p ≈ 0.0027 but 1.5 % < bar → neither.
        pytest.param(0.015, 0.005, "KEEP_RUNNING", "KEEP_RUNNING", id="significant-below-bar"),
    ],
)
def test_the_two_rules(effect: float, se: float, sig_rule: str, conf_rule: str) -> None:
    r = res(effect, se)
    assert decide(r, min_lift=0.02, rule="significant_and_above", horizon_reached=False).verdict in (
        sig_rule, "KEEP_RUNNING",
    )  # fmt: skip
    assert decide(r, min_lift=0.02, rule="significant_and_above").verdict == sig_rule
    assert decide(r, min_lift=0.02, rule="confidently_above").verdict == conf_rule


def test_before_horizon_needs_the_always_valid_interval() -> None:
    # Lift 2.5 %, se 1 % at n = 2×10 000: fixed p ≈ 0.012 (SHIP at the horizon), but the confidence sequence
    # (N* = 5000) is wider than ±2.5 %, so before the horizon the verdict is KEEP_RUNNING, provisional.
    r = res(0.025, 0.01)
    seq = sequential_interval(r)
    assert seq.ci_low < 0 < r.ci_low
    assert decide(r, min_lift=0.02).verdict == "SHIP"
    early = decide(r, min_lift=0.02, horizon_reached=False)
    assert (early.verdict, early.provisional, early.decided_by) == ("KEEP_RUNNING", True, "always_valid")
    assert "fixed-horizon reading (SHIP)" in early.reasons[-1]
    # A clear win is confirmed early: the sequence excludes 0 as well.
    clear = decide(WIN, min_lift=0.02, horizon_reached=False)
    assert (clear.verdict, clear.provisional) == ("SHIP", False)
    assert clear.reasons[-1].startswith("Decided early")


def test_early_dont_ship_needs_agreement_too() -> None:
    r = res(-0.025, 0.01)
    assert decide(r, min_lift=0.02).verdict == "DONT_SHIP"
    assert decide(r, min_lift=0.02, horizon_reached=False).verdict == "KEEP_RUNNING"
    assert decide(res(-0.08, 0.01), min_lift=0.02, horizon_reached=False).verdict == "DONT_SHIP"


def test_inconclusive_primary_keeps_running() -> None:
    broken = EffectResult(
        effect=math.nan, se=math.nan, ci_low=math.nan, ci_high=math.nan, p_value=math.nan, abs_lift=math.nan,
        rel_lift=math.nan, control_mean=0.0, treatment_mean=0.0, df=math.nan, status="inconclusive",
        reason="zero_baseline",
    )  # fmt: skip
    v = decide(broken, min_lift=0.02)
    assert v.verdict == "KEEP_RUNNING"
    assert any("could not be tested (zero_baseline)" in r for r in v.reasons)


def test_arms_use_holm_on_the_primary() -> None:
    # Two arms: B (p ≈ 0.0455) ranks second behind A (p ≈ 2e-9), so its Holm p is max(2·p_A, p_B) = p_B: SHIP.
    b = res(0.04, 0.02)
    out = decide_arms({"A": WIN, "B": b}, min_lift=0.02)
    assert out["B"].verdict == "SHIP"
    out3 = decide_arms({"A": res(0.045, 0.02), "B": b, "C": res(0.0435, 0.02)}, min_lift=0.02)
    # Holm over p ≈ (0.0244, 0.0455, 0.0296): adjusted (0.0733, 0.0733, 0.0733) → none is significant.
    assert {k: v.verdict for k, v in out3.items()} == {
        "A": "KEEP_RUNNING",
        "B": "KEEP_RUNNING",
        "C": "KEEP_RUNNING",
    }
    assert decide(res(0.045, 0.02), min_lift=0.02).verdict == "SHIP"
