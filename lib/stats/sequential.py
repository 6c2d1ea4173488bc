"""Always-valid intervals: asymptotic confidence sequences (Waudby-Smith et al. 2021, arXiv:2103.06476).

The construction is the one GrowthBook's gbstats uses for ``SequentialTwoSidedTTest``: the per-observation
variance is s² = se²·n with n = n_C + n_T, the mixing parameter ρ comes from the tuning N* (eq. 161 of
the paper, ρ = sqrt((−2 ln α + ln(−2 ln α + 1)) / N*)), and the half-width is

    se·sqrt(n)·sqrt( 2(nρ² + 1)/(n²ρ²) · ln( sqrt(nρ² + 1)/α ) ).

The interval may be looked at after every day without inflating the false-positive rate; it is narrowest
near n ≈ N*.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from lib.stats.effects import EffectResult

DEFAULT_TUNING = 5000.0


@dataclass(frozen=True)
class SequentialResult:
    """An always-valid (1 − alpha) interval on an effect, with its always-valid p-value.

    ``p_value < alpha`` ⇔ the interval excludes ``null`` (both come from the same mixture martingale).
    """

    effect: float
    ci_low: float
    ci_high: float
    p_value: float
    halfwidth: float
    rho: float
    n: int
    alpha: float
    tuning: float
    null: float
    status: Literal["ok", "inconclusive"]
    reason: str | None


def sequential_rho(alpha: float, tuning: float = DEFAULT_TUNING) -> float:
    """Mixing parameter ρ for tuning N* (eq. 161 of Waudby-Smith et al.; as in gbstats).

    Parameters
    ----------
    alpha
        Level of the two-sided sequence, in (0, 1).
    tuning
        N*: the total sample size (both arms) where the sequence should be tightest; positive.
    """
    if not 0.0 < alpha < 1.0 or not tuning > 0.0:
        raise ValueError(f"need 0 < alpha < 1 and tuning > 0, got alpha={alpha}, tuning={tuning}")
    log_a = math.log(alpha)
    return math.sqrt((-2.0 * log_a + math.log(-2.0 * log_a + 1.0)) / tuning)


def halfwidth(se: float, n: int, alpha: float, tuning: float = DEFAULT_TUNING) -> float:
    """Half-width of the two-sided always-valid interval for an estimate with standard error ``se``.

    Parameters
    ----------
    se
        Standard error of the estimate at the current sample.
    n
        Total sample size behind the estimate (both arms).
    alpha, tuning
        Level and N*, see :func:`sequential_rho`.
    """
    rho = sequential_rho(alpha, tuning)
    r2 = n * rho * rho
    s2 = se * se * n
    return math.sqrt(s2) * math.sqrt(
        2.0 * (r2 + 1.0) / (n * n * rho * rho) * math.log(math.sqrt(r2 + 1.0) / alpha)
    )


def sequential_interval(
    result: EffectResult, *, alpha: float | None = None, tuning: float = DEFAULT_TUNING
) -> SequentialResult:
    """The always-valid two-sided (1 − alpha) interval and p-value for a fixed-horizon comparison.

    Parameters
    ----------
    result
        A comparison from :func:`lib.stats.effects.compare` (its ``effect``, ``se``, arm sizes and
        ``null`` are used; its alternative is ignored: the sequence is two-sided).
    alpha
        Level; defaults to ``result.alpha``. For one-sided always-valid bounds at level a, pass
        ``alpha=2·a`` (see :func:`sequential_one_sided_bounds`).
    tuning
        N*, the total sample size where the sequence is tightest (GrowthBook's default 5000).

    Returns
    -------
    SequentialResult
        Inconclusive (NaNs, the comparison's reason) when the comparison is.
    """
    level = result.alpha if alpha is None else alpha
    rho = sequential_rho(level, tuning)
    n = result.control_n + result.treatment_n
    if not result.ok or n < 1:
        return SequentialResult(
            effect=result.effect, ci_low=math.nan, ci_high=math.nan, p_value=math.nan, halfwidth=math.nan,
            rho=rho, n=n, alpha=level, tuning=tuning, null=result.null, status="inconclusive",
            reason=result.reason or "n_lt_2",
        )  # fmt: skip
    half = halfwidth(result.se, n, level, tuning)
    # Eq. 155: the mixture e-value of the centred estimate; the always-valid p-value is 1/e, capped at 1.
    z2 = ((result.effect - result.null) / result.se) ** 2
    r2p1 = n * rho * rho + 1.0
    log_e = rho * rho * z2 * n / (2.0 * r2p1) - 0.5 * math.log(r2p1)
    p_value = 1.0 if log_e <= 0.0 else math.exp(-log_e)
    return SequentialResult(
        effect=result.effect, ci_low=result.effect - half, ci_high=result.effect + half, p_value=p_value,
        halfwidth=half, rho=rho, n=n, alpha=level, tuning=tuning, null=result.null, status="ok", reason=None,
    )  # fmt: skip


def sequential_one_sided_bounds(
    result: EffectResult, *, alpha: float | None = None, tuning: float = DEFAULT_TUNING
) -> tuple[float, float]:
    """Always-valid one-sided (1 − alpha) lower and upper bounds: the two-sided (1 − 2·alpha) sequence.

    Parameters
    ----------
    result
        A comparison from :func:`lib.stats.effects.compare`.
    alpha
        Level of each bound; defaults to ``result.alpha``.
    tuning
        N*, see :func:`sequential_interval`.
    """
    level = result.alpha if alpha is None else alpha
    seq = sequential_interval(result, alpha=2.0 * level, tuning=tuning)
    return (seq.ci_low, seq.ci_high)
