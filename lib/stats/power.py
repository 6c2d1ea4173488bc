"""Planning numbers: sample size, minimum detectable effect, the n a success rule needs, days left.

All use the normal approximation. The section-5 sample-size formula (unpooled variances, Evan Miller's
calculator) is implemented verbatim; the rule-aware ``required_n_for_rule`` uses the same delta-method
standard error as :func:`lib.stats.effects.compare`, so the plan matches how the result will be judged.
"""

from __future__ import annotations

import math
from typing import Literal

from scipy import optimize
from scipy import stats as sps

Rule = Literal["significant_and_above", "confidently_above"]


def _z(q: float) -> float:
    return float(sps.norm.ppf(q))


def _check_levels(alpha: float, power: float) -> None:
    if not 0.0 < alpha < 1.0 or not 0.0 < power < 1.0:
        raise ValueError(f"alpha and power must be between 0 and 1, got alpha={alpha}, power={power}")


def _n_continuous(p: float, mde: float, alpha: float, power: float) -> float:
    p2 = p * (1.0 + mde)
    num = _z(1.0 - alpha / 2.0) * math.sqrt(2.0 * p * (1.0 - p)) + _z(power) * math.sqrt(
        p * (1.0 - p) + p2 * (1.0 - p2)
    )
    return num * num / (p2 - p) ** 2


def sample_size_per_variant(baseline: float, mde: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Users per variant to detect a relative change ``mde`` of a conversion rate (DESIGN.md section 5).

    n = (z₁₋α/₂·√(2p(1−p)) + z₁₋β·√(p(1−p) + p₂(1−p₂)))² / (p₂ − p)², p₂ = p(1 + mde), rounded up.

    Parameters
    ----------
    baseline
        Control conversion rate p, strictly between 0 and 1.
    mde
        Minimum detectable effect, relative (0.05 = +5 %); non-zero, with p₂ between 0 and 1.
    alpha
        Two-sided significance level.
    power
        1 − β.

    Raises
    ------
    ValueError
        Input outside the ranges above.
    """
    _check_levels(alpha, power)
    p2 = baseline * (1.0 + mde)
    if not 0.0 < baseline < 1.0 or mde == 0.0 or not 0.0 < p2 < 1.0:
        raise ValueError(
            f"need 0 < baseline < 1, mde != 0 and 0 < baseline*(1+mde) < 1, got {baseline}, {mde}"
        )
    # A tiny tolerance keeps an exact integer (up to float noise) from being bumped to the next one.
    return math.ceil(_n_continuous(baseline, mde, alpha, power) - 1e-9)


def mde_at_n(
    n_per_variant: float,
    baseline: float,
    *,
    variance: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
) -> float:
    """Smallest relative effect detectable (two-sided alpha, given power) with ``n_per_variant`` per arm.

    Parameters
    ----------
    n_per_variant
        Current (or planned) users per arm.
    baseline
        Control mean: a rate for proportions, any non-zero mean when ``variance`` is given.
    variance
        Per-user variance of a mean metric (assumed equal in both arms). Omitted: ``baseline`` is a
        proportion and the section-5 formula is inverted exactly (the increase direction).
    alpha, power
        Levels as in :func:`sample_size_per_variant`.

    Returns
    -------
    float
        The relative MDE; ``inf`` when no feasible effect is detectable at this n, NaN for degenerate
        input (n < 2, zero baseline).
    """
    _check_levels(alpha, power)
    if n_per_variant < 2 or baseline == 0.0:
        return math.nan
    if variance is not None:
        z = _z(1.0 - alpha / 2.0) + _z(power)
        return z * math.sqrt(2.0 * variance / n_per_variant) / abs(baseline)
    if not 0.0 < baseline < 1.0:
        return math.nan
    top = (1.0 - 1e-9) / baseline - 1.0  # p2 must stay below 1
    if _n_continuous(baseline, top, alpha, power) > n_per_variant:
        return math.inf
    # n(mde) decreases in mde on (0, top]: find the root of n(mde) = n_per_variant.
    return float(
        optimize.brentq(lambda m: _n_continuous(baseline, m, alpha, power) - n_per_variant, 1e-12, top)
    )


def rule_power(
    n_per_variant: float,
    baseline: float,
    planned_lift: float,
    min_lift: float,
    *,
    rule: Rule = "significant_and_above",
    variance: float | None = None,
    alpha: float = 0.05,
) -> float:
    """Probability that the success rule is met at ``n_per_variant`` if the true lift is planned_lift.

    ``significant_and_above``: p < alpha (two-sided, improving) and the lift ≥ min_lift.
    ``confidently_above``: the one-sided lower bound lift − z₁₋α·se ≥ min_lift.

    The rule is a threshold on the observed difference d = m_T − m_C, but the relative test's standard
    error is evaluated at the observed means, i.e. at the decision boundary and not at the planned lift
    (using the planned lift there understates the power by several points). So the boundary d* is solved
    as a fixed point of d = m_C·bar + z·sqrt((v_T(d) + v_C·(1 + d/m_C)²)/n) with the control mean at its
    expectation, and the power is P(D ≥ d*) for D ~ N(m_C·planned_lift, (v_T + v_C)/n).
    """
    m_c = abs(baseline)

    def v_t(d: float) -> float:
        if variance is not None:
            return variance
        m = min(max(baseline + d, 0.0), 1.0)
        return m * (1.0 - m)

    v_c = baseline * (1.0 - baseline) if variance is None else variance
    if rule == "significant_and_above":
        z, bar = _z(1.0 - alpha / 2.0), 0.0
    else:
        z, bar = _z(1.0 - alpha), min_lift

    def boundary(d: float) -> float:
        return m_c * bar + z * math.sqrt((v_t(d) + v_c * (1.0 + d / m_c) ** 2) / n_per_variant)

    d = m_c * planned_lift
    for _ in range(100):  # a contraction for any n where the question matters; converges in a few steps
        nxt = boundary(d)
        if abs(nxt - d) < 1e-12 * max(1.0, abs(d)):
            break
        d = nxt
    if rule == "significant_and_above":
        d = max(d, m_c * min_lift)
    delta = m_c * planned_lift
    sd = math.sqrt((v_t(delta) + v_c) / n_per_variant)
    return float(sps.norm.sf((d - delta) / sd))


def required_n_for_rule(
    baseline: float,
    planned_lift: float,
    min_lift: float,
    *,
    rule: Rule = "significant_and_above",
    variance: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    max_n: int = 10**10,
) -> int | None:
    """Smallest n per arm at which the rule is met with probability ``power`` if the lift is planned_lift.

    Parameters
    ----------
    baseline
        Control mean (a rate when ``variance`` is omitted).
    planned_lift
        The relative effect the test was sized for (larger than ``min_lift``).
    min_lift
        The success bar, relative.
    rule
        ``significant_and_above`` or ``confidently_above`` (DESIGN.md section 5).
    variance
        Per-user variance of a mean metric, assumed equal in both arms; omitted for proportions.
    alpha, power
        Levels.
    max_n
        Search ceiling.

    Returns
    -------
    int or None
        None when the rule cannot reach that power (planned_lift not above the bar, degenerate
        baseline, or beyond ``max_n``).
    """
    _check_levels(alpha, power)
    if baseline == 0.0 or planned_lift <= min_lift:
        return None
    if variance is None and not (0.0 < baseline < 1.0 and 0.0 < baseline * (1.0 + planned_lift) < 1.0):
        return None

    def ok(n: int) -> bool:
        return (
            rule_power(n, baseline, planned_lift, min_lift, rule=rule, variance=variance, alpha=alpha)
            >= power
        )

    # The power is increasing in n (the standard error shrinks), so bracket then bisect on integers.
    if ok(2):
        return 2
    lo, hi = 2, 4  # invariant: the rule is short of the power at lo and reaches it at hi
    while not ok(hi):
        if hi >= max_n:
            return None
        lo, hi = hi, min(hi * 2, max_n)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return hi


def days_left(required_n: float | None, current_n: float, exposures_per_day: float | None) -> float | None:
    """Days until ``required_n`` is reached at the recent exposure rate (same unit for both counts).

    Returns 0.0 when already reached and None when it cannot be estimated (no requirement, or no recent
    exposures).
    """
    if required_n is None or not math.isfinite(required_n):
        return None
    if current_n >= required_n:
        return 0.0
    if exposures_per_day is None or not exposures_per_day > 0.0:
        return None
    return (required_n - current_n) / exposures_per_day
