"""Always-valid intervals (lib.stats.sequential); golden numbers from GrowthBook's gbstats tests."""

from __future__ import annotations

import math

import pytest

from lib.stats.effects import compare
from lib.stats.sequential import halfwidth, sequential_interval, sequential_one_sided_bounds, sequential_rho
from lib.stats.summary import SampleStats


def test_rho_formula_by_hand() -> None:
    # Eq. 161 of Waudby-Smith et al. (as gbstats): rho² = (−2 ln 0.05 + ln(−2 ln 0.05 + 1)) / 5000
    # = (5.991465 + 1.944691) / 5000 = 0.00158723.
    assert sequential_rho(0.05, 5000) ** 2 == pytest.approx(0.00158723, rel=1e-5)


@pytest.mark.parametrize(
    ("control", "treatment", "binary", "tuning", "effect", "ci"),
    [
        pytest.param(
            SampleStats(3000, 1396.87, 52377.9767), SampleStats(3461, 2422.7, 134698.29), False, 1000.0,
            0.50336, (-0.55844, 1.56516), id="gbstats-test_sequential_test_runs",
        ),
        pytest.param(
            SampleStats.from_proportion(3000, 1396), SampleStats.from_proportion(3461, 2422), True, 5000.0,
            0.50386, (0.40098, 0.60675), id="gbstats-test_sequential_test_runs_prop",
        ),
    ],
)  # fmt: skip
def test_gbstats_golden(
    control: SampleStats,
    treatment: SampleStats,
    binary: bool,
    tuning: float,
    effect: float,
    ci: tuple[float, float],
) -> None:
    # Source: growthbook/growthbook packages/stats/tests/frequentist/test_tests.py (TestSequentialTTest).
    seq = sequential_interval(compare(control, treatment, binary=binary), tuning=tuning)
    assert round(seq.effect, 5) == pytest.approx(effect, abs=1e-5)
    assert (round(seq.ci_low, 5), round(seq.ci_high, 5)) == pytest.approx(ci, abs=1e-5)


def test_gbstats_p_values() -> None:
    # gbstats reports p = 1 for the means case (z ≈ 1.5 at N* = 1000) and p ≈ 0 for the proportions case.
    means = compare(SampleStats(3000, 1396.87, 52377.9767), SampleStats(3461, 2422.7, 134698.29))
    assert sequential_interval(means, tuning=1000).p_value == 1.0
    props = compare(
        SampleStats.from_proportion(3000, 1396), SampleStats.from_proportion(3461, 2422), binary=True
    )
    assert sequential_interval(props).p_value < 1e-10


def test_wider_than_fixed_and_tightest_near_tuning() -> None:
    r = compare(SampleStats.from_proportion(3000, 300), SampleStats.from_proportion(3000, 330), binary=True)
    widths = {n: halfwidth(r.se, 6000, 0.05, n) for n in (10.0, 6000.0, 1e6)}
    assert widths[6000.0] < widths[10.0] and widths[6000.0] < widths[1e6]
    seq = sequential_interval(r)
    assert seq.ci_low < r.ci_low and seq.ci_high > r.ci_high


def test_p_value_and_interval_agree() -> None:
    c = SampleStats.from_proportion(4000, 400)
    for successes in range(400, 520, 4):
        seq = sequential_interval(compare(c, SampleStats.from_proportion(4000, successes), binary=True))
        assert (seq.ci_low > 0 or seq.ci_high < 0) == (seq.p_value < 0.05), successes


def test_one_sided_is_two_sided_at_twice_alpha() -> None:
    r = compare(SampleStats.from_proportion(3000, 300), SampleStats.from_proportion(3000, 330), binary=True)
    seq10 = sequential_interval(r, alpha=0.10)
    assert sequential_one_sided_bounds(r, alpha=0.05) == (seq10.ci_low, seq10.ci_high)


def test_inconclusive_passes_through() -> None:
    seq = sequential_interval(compare(SampleStats(1, 1.0, 1.0), SampleStats(5, 2.0, 2.0)))
    assert seq.status == "inconclusive" and seq.reason == "n_lt_2" and math.isnan(seq.ci_low)


def test_bad_tuning_is_a_programmer_error() -> None:
    with pytest.raises(ValueError, match="tuning"):
        sequential_rho(0.05, 0.0)
