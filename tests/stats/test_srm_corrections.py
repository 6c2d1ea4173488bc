"""SRM against scipy.stats.chisquare; Holm and Benjamini–Hochberg against hand-computed examples."""

from __future__ import annotations

import math

import pytest
from scipy import stats as sps

from lib.stats.corrections import benjamini_hochberg, holm
from lib.stats.srm import srm_test


@pytest.mark.parametrize(
    ("counts", "weights"),
    [
        pytest.param([1000, 1200], None, id="calc-example-equal"),
        pytest.param([5021, 4979], [0.5, 0.5], id="balanced"),
        pytest.param([3300, 3300, 3400], [1, 1, 1], id="three-arms"),
        pytest.param([900, 2100], [0.3, 0.7], id="unequal-weights"),
        pytest.param([480, 1020], [1, 2], id="weights-any-scale"),
    ],
)
def test_srm_matches_scipy_chisquare(counts: list[int], weights: list[float] | None) -> None:
    w = [1.0] * len(counts) if weights is None else [float(x) for x in weights]
    expected = [sum(counts) * x / sum(w) for x in w]
    ref = sps.chisquare(counts, expected)  # Source: scipy.stats.chisquare, k − 1 degrees of freedom
    res = srm_test(counts, weights)
    assert res.chi2 == pytest.approx(float(ref.statistic), rel=1e-12)
    assert res.p_value == pytest.approx(float(ref.pvalue), rel=1e-9)
    assert res.expected == pytest.approx(expected)


def test_srm_hand_example() -> None:
    # 1000 vs 1200 at 50/50: expected 1100 each, chi2 = 2·100²/1100 = 18.1818, p = 2.0e-5 → mismatch.
    res = srm_test([1000, 1200])
    assert res.chi2 == pytest.approx(200 / 11)
    assert res.mismatch


def test_srm_no_users_is_inconclusive() -> None:
    res = srm_test([0, 0])
    assert (res.status, res.reason, res.p_value) == ("inconclusive", "no_users", 1.0)


@pytest.mark.parametrize(
    ("counts", "weights"),
    [([10], None), ([10, 20], [1.0]), ([10, 20], [0.5, 0.0]), ([-1, 20], None)],
)
def test_srm_rejects_bad_arguments(counts: list[int], weights: list[float] | None) -> None:
    with pytest.raises(ValueError):
        srm_test(counts, weights)


# Hand-computed: p = [0.01, 0.04, 0.03, 0.005], m = 4.
# Holm (Holm 1979, step-down): sorted 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → running
# max 0.06; in input order [0.03, 0.06, 0.06, 0.02].
# BH (Benjamini & Hochberg 1995, step-up): 0.005·4/1 = 0.02, 0.01·4/2 = 0.02, 0.03·4/3 = 0.04,
# 0.04·4/4 = 0.04; running min from the top leaves them; in input order [0.02, 0.04, 0.04, 0.02].
HAND = [0.01, 0.04, 0.03, 0.005]


def test_holm_hand_example() -> None:
    assert holm(HAND) == pytest.approx((0.03, 0.06, 0.06, 0.02))


def test_bh_hand_example() -> None:
    assert benjamini_hochberg(HAND) == pytest.approx((0.02, 0.04, 0.04, 0.02))


def test_bh_running_minimum_and_cap() -> None:
    # Hand-computed: [0.04, 0.05, 0.9]: 0.04·3 = 0.12, 0.05·3/2 = 0.075, 0.9 → running min 0.075, 0.075, 0.9.
    assert benjamini_hochberg([0.04, 0.05, 0.9]) == pytest.approx((0.075, 0.075, 0.9))
    # Holm caps at 1: [0.6, 0.7] → 1.0, 1.0 (0.6·2 = 1.2).
    assert holm([0.6, 0.7]) == (1.0, 1.0)


def test_nan_is_kept_and_not_counted() -> None:
    out = holm([0.01, math.nan, 0.04])
    assert out[0] == pytest.approx(0.02) and math.isnan(out[1]) and out[2] == pytest.approx(0.04)
    assert benjamini_hochberg([]) == ()
