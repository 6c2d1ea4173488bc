"""CUPED: variance reduction with a pre-exposure covariate, from sufficient statistics only.

Each arm arrives as (n, Σy, Σy², Σx, Σx², Σxy), x being the metric's value in the days before exposure.
θ = pooled within-arm covariance(x, y) / pooled within-arm variance(x), pooled over the arms so both arms
are adjusted by the same amount (the effect estimate stays unbiased). Every unit's value becomes
y − θ(x − x̄), x̄ the mean of x over both arms, whose sufficient statistics follow from the cross sums;
the adjusted arms then go through the ordinary :func:`lib.stats.effects.compare`.
"""

from __future__ import annotations

from dataclasses import dataclass

from lib.stats.effects import Alternative, EffectResult, compare
from lib.stats.summary import SampleStats


@dataclass(frozen=True)
class CovariateStats:
    """Sufficient statistics of one arm for CUPED: the metric y and its pre-exposure covariate x."""

    n: int
    sum_y: float
    sum_y2: float
    sum_x: float
    sum_x2: float
    sum_xy: float

    @property
    def outcome(self) -> SampleStats:
        """The plain (unadjusted) statistics of y."""
        return SampleStats(self.n, self.sum_y, self.sum_y2)

    def adjusted(self, theta: float, x_mean: float) -> SampleStats:
        """Statistics of y − θ(x − x_mean), expanded from the cross sums."""
        c = theta * x_mean
        total = self.sum_y - theta * self.sum_x + self.n * c
        sum_sq = (
            self.sum_y2
            - 2.0 * theta * self.sum_xy
            + theta * theta * self.sum_x2
            + 2.0 * c * (self.sum_y - theta * self.sum_x)
            + self.n * c * c
        )
        return SampleStats(self.n, total, sum_sq)


@dataclass(frozen=True)
class CupedResult:
    """A CUPED-adjusted comparison.

    ``applied`` is False when the plain estimate was used; ``reason`` says why (``covariate_zero_variance``
    for e.g. new users with no history, ``n_lt_2``). ``variance_reduction`` is the share of the pooled
    outcome variance removed, 1 − (1 − ρ²) = ρ² for a pooled correlation ρ.
    """

    result: EffectResult
    theta: float
    variance_reduction: float
    applied: bool
    reason: str | None


def _centred(arms: tuple[CovariateStats, ...]) -> tuple[float, float, float]:
    sxx = sum(a.sum_x2 - a.sum_x**2 / a.n for a in arms)
    syy = sum(a.sum_y2 - a.sum_y**2 / a.n for a in arms)
    sxy = sum(a.sum_xy - a.sum_x * a.sum_y / a.n for a in arms)
    return sxx, syy, sxy


def cuped_compare(
    control: CovariateStats,
    treatment: CovariateStats,
    *,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
    relative: bool = True,
    binary: bool = False,
    null: float = 0.0,
) -> CupedResult:
    """Compare arms after the CUPED adjustment; fall back to the plain comparison with a reason.

    Parameters
    ----------
    control, treatment
        Per-arm sums of y, y², x, x² and xy.
    alpha, alternative, relative, null
        As in :func:`lib.stats.effects.compare`.
    binary
        Use p(1 − p) for the plain fallback; the adjusted values are no longer 0/1, so the adjusted
        comparison always uses the sample variance.
    """

    def run(c: SampleStats, t: SampleStats, is_binary: bool) -> EffectResult:
        return compare(
            c, t, alpha=alpha, alternative=alternative, relative=relative, binary=is_binary, null=null
        )

    def plain(reason: str) -> CupedResult:
        res = run(control.outcome, treatment.outcome, binary)
        return CupedResult(result=res, theta=0.0, variance_reduction=0.0, applied=False, reason=reason)

    if control.n < 2 or treatment.n < 2:
        return plain("n_lt_2")
    arms = (control, treatment)
    sxx, syy, sxy = _centred(arms)
    # Relative tolerance: Σx² − (Σx)²/n of a constant covariate is rounding noise, not variance.
    scale = max(sum(abs(a.sum_x2) for a in arms), 1.0)
    if sxx <= 1e-12 * scale:
        return plain("covariate_zero_variance")
    theta = sxy / sxx
    x_mean = (control.sum_x + treatment.sum_x) / (control.n + treatment.n)
    res = run(control.adjusted(theta, x_mean), treatment.adjusted(theta, x_mean), False)
    reduction = sxy * sxy / (sxx * syy) if syy > 0 else 0.0
    return CupedResult(result=res, theta=theta, variance_reduction=reduction, applied=True, reason=None)
