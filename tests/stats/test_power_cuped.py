"""Planning numbers (lib.stats.power) and CUPED (lib.stats.cuped), each against a named source."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from lib.stats.cuped import CovariateStats, cuped_compare
from lib.stats.effects import compare, one_sided_bounds
from lib.stats.power import days_left, mde_at_n, required_n_for_rule, rule_power, sample_size_per_variant
from lib.stats.summary import SampleStats


def _section5_n(p: float, mde: float, alpha: float, power: float) -> float:
    # DESIGN.md section 5, written with scipy's norm.ppf (the same formula as Evan Miller's num_subjects).
    p2 = p * (1 + mde)
    za, zb = sps.norm.ppf(1 - alpha / 2), sps.norm.ppf(power)
    return (za * math.sqrt(2 * p * (1 - p)) + zb * math.sqrt(p * (1 - p) + p2 * (1 - p2))) ** 2 / (
        p2 - p
    ) ** 2


@pytest.mark.parametrize(
    ("baseline", "mde", "alpha", "power", "n"),
    [
        # 20 % → 25 % (+5 points, Evan Miller's default example): 1030.2 before rounding up.
        pytest.param(0.2, 0.25, 0.05, 0.8, 1031, id="evan-miller-default-20pct-plus-5pts"),
        pytest.param(0.1, 0.1, 0.05, 0.8, 14313, id="10pct-plus-10pct-rel"),
        pytest.param(0.3, 0.02, 0.05, 0.8, 91725, id="30pct-plus-2pct-rel"),
        pytest.param(0.05, -0.2, 0.01, 0.9, 13679, id="decrease"),
    ],
)
def test_sample_size_formula(baseline: float, mde: float, alpha: float, power: float, n: int) -> None:
    exact = _section5_n(baseline, mde, alpha, power)
    assert math.ceil(exact) == n
    assert sample_size_per_variant(baseline, mde, alpha, power) == n


def test_sample_size_hand_value() -> None:
    # By hand: sd1 = √0.32 = 0.565685, sd2 = √(0.16 + 0.1875) = 0.589491;
    # (1.959964·0.565685 + 0.841621·0.589491)² / 0.05² = 1.604842² / 0.0025 = 1030.21.
    assert _section5_n(0.2, 0.25, 0.05, 0.8) == pytest.approx(1030.21, abs=0.01)


@pytest.mark.parametrize("bad", [(0.0, 0.1), (1.0, 0.1), (0.5, 0.0), (0.6, 1.0)])
def test_sample_size_rejects_impossible_input(bad: tuple[float, float]) -> None:
    with pytest.raises(ValueError):
        sample_size_per_variant(*bad)


def test_mde_inverts_sample_size() -> None:
    n = _section5_n(0.2, 0.25, 0.05, 0.8)
    assert mde_at_n(n, 0.2) == pytest.approx(0.25, rel=1e-6)
    # Means: (z_0.975 + z_0.8)·√(2σ²/n)/|m| = 2.801585·√(2·4/1000)/10 = 0.0250582 (hand).
    assert mde_at_n(1000, 10.0, variance=4.0) == pytest.approx(0.0250582, rel=1e-5)
    assert math.isnan(mde_at_n(1, 0.2)) and mde_at_n(3, 0.5) == math.inf


def test_required_n_is_the_smallest_with_enough_power() -> None:
    n = required_n_for_rule(0.3, 0.06, 0.02)
    assert n is not None
    assert rule_power(n, 0.3, 0.06, 0.02) >= 0.8 > rule_power(n - 1, 0.3, 0.06, 0.02)
    # A stricter rule needs more users; a lift at or below the bar can never reach the power.
    stricter = required_n_for_rule(0.3, 0.06, 0.02, rule="confidently_above")
    assert stricter is not None and stricter > n
    assert required_n_for_rule(0.3, 0.02, 0.02) is None


@pytest.mark.parametrize(
    ("rule", "baseline", "lift", "bar"),
    [
        pytest.param("significant_and_above", 0.2, 0.25, 0.05, id="significant_and_above"),
        pytest.param("confidently_above", 0.2, 0.25, 0.05, id="confidently_above"),
        pytest.param("significant_and_above", 0.05, 0.3, 0.0, id="low-rate-no-bar"),
    ],
)
def test_required_n_simulated_power(rule: str, baseline: float, lift: float, bar: float) -> None:
    # Monte Carlo check (binomial counts, the real relative Welch test): at the planned n the rule is met in
    # ≈ 80 % of experiments with the planned lift (band: ±4 binomial SE over 2000 draws).
    n = required_n_for_rule(baseline, lift, bar, rule=rule)  # type: ignore[arg-type]
    assert n is not None
    rng = np.random.default_rng(20240501)
    draws = 2000
    ctl, trt = rng.binomial(n, baseline, draws), rng.binomial(n, baseline * (1 + lift), draws)
    met = 0
    for c, t in zip(ctl, trt, strict=True):
        r = compare(SampleStats.from_proportion(n, c), SampleStats.from_proportion(n, t), binary=True)
        if rule == "significant_and_above":
            met += r.p_value < 0.05 and r.effect >= bar
        else:
            met += one_sided_bounds(r)[0] >= bar
    assert abs(met / draws - 0.8) < 4 * math.sqrt(0.8 * 0.2 / draws)


@pytest.mark.parametrize(
    ("required", "current", "rate", "expected"),
    [(1000, 400, 50.0, 12.0), (1000, 1000, 50.0, 0.0), (1000, 1500, 0.0, 0.0), (1000, 400, 0.0, None),
     (None, 400, 50.0, None), (1000, 400, None, None)],
)  # fmt: skip
def test_days_left(required: int | None, current: int, rate: float | None, expected: float | None) -> None:
    assert days_left(required, current, rate) == expected


def _arm(x: np.ndarray, y: np.ndarray) -> CovariateStats:
    return CovariateStats(len(x), y.sum(), (y * y).sum(), x.sum(), (x * x).sum(), (x * y).sum())


def test_cuped_matches_ancova_regression() -> None:
    # Source: CUPED with θ pooled within arms equals the treatment coefficient of the OLS regression
    # y ~ 1 + treatment + x (numpy.linalg.lstsq).
    rng = np.random.default_rng(7)
    xc, xt = rng.normal(10, 2, 3000), rng.normal(10, 2, 2500)
    yc = 0.8 * xc + rng.normal(0, 1, 3000)
    yt = 0.8 * xt + rng.normal(0, 1, 2500) + 0.1
    res = cuped_compare(_arm(xc, yc), _arm(xt, yt), relative=False)
    design = np.c_[np.ones(5500), np.r_[np.zeros(3000), np.ones(2500)], np.r_[xc, xt]]
    coef = np.linalg.lstsq(design, np.r_[yc, yt], rcond=None)[0]
    assert res.applied and res.reason is None
    assert res.result.effect == pytest.approx(coef[1], rel=1e-9)
    assert res.theta == pytest.approx(coef[2], rel=1e-9)
    plain = compare(
        SampleStats(3000, yc.sum(), (yc * yc).sum()),
        SampleStats(2500, yt.sum(), (yt * yt).sum()),
        relative=False,
    )
    assert res.result.se < 0.6 * plain.se  # corr(x, y) ≈ 0.85 removes ~72 % of the variance
    # Pooled within-arm correlation² is the share of variance removed.
    rho = np.corrcoef(np.r_[xc - xc.mean(), xt - xt.mean()], np.r_[yc - yc.mean(), yt - yt.mean()])[0, 1]
    assert res.variance_reduction == pytest.approx(rho**2, rel=1e-9)


def test_cuped_zero_variance_covariate_falls_back() -> None:
    # New users: every pre-exposure value is 0, so the plain estimate is used, with a reason.
    y_c, y_t = np.array([0, 1, 1, 0, 1.0]), np.array([1, 1, 0, 1, 1.0])
    zero = np.zeros(5)
    res = cuped_compare(_arm(zero, y_c), _arm(zero, y_t), binary=True)
    assert (res.applied, res.reason) == (False, "covariate_zero_variance")
    plain = compare(SampleStats.from_proportion(5, 3), SampleStats.from_proportion(5, 4), binary=True)
    assert res.result == plain
    assert one_sided_bounds(res.result) == one_sided_bounds(plain)
