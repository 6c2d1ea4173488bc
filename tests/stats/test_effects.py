"""Golden numbers for lib.stats.effects.compare; each case names its source."""

from __future__ import annotations

import math

import pytest
from scipy import stats as sps

from lib.stats.effects import compare, one_sided_bounds, two_sided_interval
from lib.stats.summary import SampleStats

# GrowthBook gbstats, packages/stats/tests/frequentist/test_tests.py (TestTwoSidedTTest): means 0.41 and 0.70.
GB_CONTROL = SampleStats(n=3407, sum=1396.87, sum_sq=52377.9767)
GB_TREATMENT = SampleStats(n=3461, sum=2422.7, sum_sq=134698.29)


@pytest.mark.parametrize(
    ("control", "treatment", "relative", "binary", "effect", "se", "ci", "p"),
    [
        pytest.param(
            GB_CONTROL, GB_TREATMENT, True, False, 0.70732, 0.37879, (-0.03526, 1.44989), 0.06191,
            id="gbstats-test_two_sided_ttest-relative",
        ),
        pytest.param(
            GB_CONTROL, GB_TREATMENT, False, False, 0.29, 0.12478, (0.04538, 0.53462), 0.02016,
            id="gbstats-test_two_sided_ttest_absolute",
        ),
        pytest.param(
            SampleStats.from_proportion(28, 14), SampleStats.from_proportion(30, 16), True, True,
            0.06667, 0.2717, (-0.47767, 0.61101), 0.80707,
            id="gbstats-test_two_sided_ttest_binom",
        ),
    ],
)  # fmt: skip
def test_gbstats_golden(
    control: SampleStats,
    treatment: SampleStats,
    relative: bool,
    binary: bool,
    effect: float,
    se: float,
    ci: tuple[float, float],
    p: float,
) -> None:
    r = compare(control, treatment, relative=relative, binary=binary)
    assert r.status == "ok"
    assert round(r.effect, 5) == pytest.approx(effect, abs=1e-5)
    assert round(r.se, 5) == pytest.approx(se, abs=1e-5)
    assert (round(r.ci_low, 5), round(r.ci_high, 5)) == pytest.approx(ci, abs=1e-5)
    assert round(r.p_value, 5) == pytest.approx(p, abs=1e-5)


@pytest.mark.parametrize(
    ("control", "treatment"),
    [
        pytest.param(GB_CONTROL, GB_TREATMENT, id="gbstats-means"),
        pytest.param(
            SampleStats.from_mean_sd(12, 5.0, 2.0), SampleStats.from_mean_sd(9, 6.5, 3.5), id="small-n"
        ),
        pytest.param(
            SampleStats.from_mean_sd(500, 1.0, 0.3), SampleStats.from_mean_sd(80, 0.9, 1.2), id="unequal"
        ),
    ],
)
def test_absolute_welch_matches_scipy(control: SampleStats, treatment: SampleStats) -> None:
    # Source: scipy.stats.ttest_ind_from_stats(equal_var=False) is the Welch test on the absolute difference.
    ref = sps.ttest_ind_from_stats(
        treatment.mean, math.sqrt(treatment.variance), treatment.n,
        control.mean, math.sqrt(control.variance), control.n,
        equal_var=False,
    )  # fmt: skip
    r = compare(control, treatment, relative=False)
    assert r.effect / r.se == pytest.approx(float(ref.statistic), rel=1e-10)
    assert r.p_value == pytest.approx(float(ref.pvalue), rel=1e-9)
    for alternative in ("greater", "less"):
        ref1 = sps.ttest_ind_from_stats(
            treatment.mean, math.sqrt(treatment.variance), treatment.n,
            control.mean, math.sqrt(control.variance), control.n,
            equal_var=False, alternative=alternative,
        )  # fmt: skip
        assert compare(control, treatment, relative=False, alternative=alternative).p_value == pytest.approx(
            float(ref1.pvalue), rel=1e-9
        )


def test_unpooled_two_proportion_z_by_hand() -> None:
    # Hand-computed unpooled two-proportion test: 100/1000 vs 120/1000,
    # se = sqrt(0.1·0.9/1000 + 0.12·0.88/1000) = 0.0139857, z = 0.02/se = 1.43003,
    # two-sided p ≈ 0.1527 (normal).
    r = compare(
        SampleStats.from_proportion(1000, 100),
        SampleStats.from_proportion(1000, 120),
        relative=False,
        binary=True,
    )
    assert r.se == pytest.approx(0.0139857, abs=1e-7)
    assert r.effect / r.se == pytest.approx(1.43003, abs=1e-5)
    # Welch df ≈ 1990 makes the t p-value a hair above the normal one (0.15271).
    assert r.p_value == pytest.approx(0.1527, abs=2e-4)
    assert r.rel_lift == pytest.approx(0.2)


def test_relative_delta_method_variance_by_hand() -> None:
    # DESIGN.md section 5: Var = s_T²/(n_T·m_C²) + s_C²·m_T²/(n_C·m_C⁴).
    # Means 10 and 11, sd 2 and 3, n 100 each.
    c, t = SampleStats.from_mean_sd(100, 10.0, 2.0), SampleStats.from_mean_sd(100, 11.0, 3.0)
    r = compare(c, t)
    assert r.effect == pytest.approx(0.1)
    assert r.se**2 == pytest.approx(9 / (100 * 100) + 4 * 121 / (100 * 10**4))
    # Welch–Satterthwaite from the absolute terms: (0.04+0.09)² / (0.04²/99 + 0.09²/99) = 171.05...
    assert r.df == pytest.approx(0.13**2 / ((0.04**2 + 0.09**2) / 99))


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.01])
@pytest.mark.parametrize("relative", [True, False])
def test_interval_excludes_null_iff_p_below_alpha(alternative: str, alpha: float, relative: bool) -> None:
    # Source: the interval and the p-value are inverted from one t statistic (DESIGN.md section 5).
    c = SampleStats.from_proportion(2000, 200)
    for successes in range(180, 260, 3):
        for null in (0.0, 0.05):
            r = compare(
                c, SampleStats.from_proportion(2000, successes), alpha=alpha,
                alternative=alternative, relative=relative, binary=True, null=null,  # type: ignore[arg-type]
            )  # fmt: skip
            excludes = not (r.ci_low <= null <= r.ci_high)
            assert excludes == (r.p_value < alpha), (successes, null)


def test_shifted_null_tests_lift_above_bar() -> None:
    # "lift ≥ bar" with bar 2%: the one-sided p about 0.02 equals the t tail at (effect − 0.02)/se.
    r0 = compare(GB_CONTROL, GB_TREATMENT)
    r = compare(GB_CONTROL, GB_TREATMENT, alternative="greater", null=0.02)
    assert r.p_value == pytest.approx(float(sps.t.sf((r0.effect - 0.02) / r0.se, r0.df)))
    assert r.ci_high == math.inf


def test_one_sided_bounds_are_two_sided_at_twice_alpha() -> None:
    r = compare(GB_CONTROL, GB_TREATMENT, alpha=0.05)
    low, high = one_sided_bounds(r)
    assert (low, high) == two_sided_interval(r, 0.10)
    assert low == pytest.approx(r.effect - float(sps.t.ppf(0.95, r.df)) * r.se)
    assert compare(GB_CONTROL, GB_TREATMENT, alpha=0.05, alternative="greater").ci_low == pytest.approx(low)


@pytest.mark.parametrize(
    ("control", "treatment", "binary", "reason"),
    [
        pytest.param(SampleStats(1, 1.0, 1.0), SampleStats(10, 5.0, 5.0), False, "n_lt_2", id="n<2"),
        pytest.param(SampleStats(0, 0.0, 0.0), SampleStats(0, 0.0, 0.0), False, "n_lt_2", id="empty"),
        pytest.param(
            SampleStats(10, 30.0, 90.0), SampleStats(10, 30.0, 90.0), False, "zero_variance", id="constant"
        ),
        pytest.param(
            SampleStats.from_proportion(50, 0), SampleStats.from_proportion(50, 3), True,
            "zero_baseline", id="control-rate-0",
        ),
        pytest.param(
            SampleStats(10, math.nan, 1.0), SampleStats(10, 5.0, 5.0), False, "invalid_input", id="nan"
        ),
        pytest.param(
            SampleStats.from_proportion(10, 12), SampleStats.from_proportion(10, 5), True,
            "invalid_input", id="rate>1",
        ),
    ],
)  # fmt: skip
def test_degenerate_input_is_inconclusive(
    control: SampleStats, treatment: SampleStats, binary: bool, reason: str
) -> None:
    r = compare(control, treatment, binary=binary)
    assert (r.status, r.reason) == ("inconclusive", reason)
    assert math.isnan(r.p_value) and math.isnan(r.ci_low)
    assert all(math.isnan(x) for x in one_sided_bounds(r))


def test_zero_baseline_absolute_still_works() -> None:
    # The absolute difference does not divide by the control mean.
    r = compare(
        SampleStats.from_proportion(50, 0), SampleStats.from_proportion(50, 3), relative=False, binary=True
    )
    assert r.status == "ok" and r.effect == pytest.approx(0.06)


def test_summary_statistics() -> None:
    s = SampleStats(n=4, sum=10.0, sum_sq=30.0)  # values 1, 2, 3, 4
    assert s.mean == 2.5
    assert s.variance == pytest.approx(5 / 3)
    assert SampleStats.from_rate(200, 0.25).bernoulli_variance == pytest.approx(0.1875)
    assert SampleStats.from_mean_sd(4, 2.5, math.sqrt(5 / 3)).sum_sq == pytest.approx(30.0)
    assert math.isnan(SampleStats(1, 1.0, 1.0).variance)
