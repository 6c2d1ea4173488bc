"""Treatment-vs-control effect: Welch t on the absolute or relative (delta-method) lift.

Conventions follow GrowthBook's gbstats (``gbstats/frequentist/tests.py``) so numbers can be cross-checked:
relative lift (m_T − m_C)/|m_C| with variance s_T²/(n_T·m_C²) + s_C²·m_T²/(n_C·m_C⁴), Welch–Satterthwaite
degrees of freedom from the absolute s²/n terms, and the p-value and the interval taken from the same t
statistic, so the interval excludes the null exactly when p < alpha.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from scipy import stats as sps

from lib.stats.summary import SampleStats

Alternative = Literal["two-sided", "greater", "less"]
Status = Literal["ok", "inconclusive"]

NAN = math.nan


@dataclass(frozen=True)
class EffectResult:
    """Comparison of a treatment arm with control on one metric.

    ``effect`` is the relative lift when ``relative`` is true, else the absolute difference; ``se``,
    ``ci_low``/``ci_high`` and ``df`` describe ``effect``. For ``alternative="two-sided"`` the interval is
    the two-sided (1 − alpha) one; for a one-sided alternative it is the matching one-sided interval (one
    end infinite), so that "interval excludes ``null``" ⇔ ``p_value < alpha`` in every case.
    ``status="inconclusive"`` comes with a ``reason`` code: ``n_lt_2``, ``zero_variance``,
    ``zero_baseline`` or ``invalid_input``; its undefined numbers are NaN.
    """

    effect: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    abs_lift: float
    rel_lift: float
    control_mean: float
    treatment_mean: float
    df: float
    status: Status
    reason: str | None
    relative: bool = True
    alternative: Alternative = "two-sided"
    alpha: float = 0.05
    null: float = 0.0
    control_n: int = 0
    treatment_n: int = 0

    @property
    def ok(self) -> bool:
        """True when the comparison could be computed."""
        return self.status == "ok"


def _welch_df(var_c: float, n_c: int, var_t: float, n_t: int) -> float:
    # Welch–Satterthwaite on the absolute s²/n terms, as gbstats does for both absolute and relative lifts.
    a, b = var_c / n_c, var_t / n_t
    denom = a * a / (n_c - 1) + b * b / (n_t - 1)
    return (a + b) ** 2 / denom if denom > 0 else math.inf


def _t_quantile(q: float, df: float) -> float:
    return float(sps.norm.ppf(q)) if math.isinf(df) else float(sps.t.ppf(q, df))


def _inconclusive(
    reason: str,
    control: SampleStats,
    treatment: SampleStats,
    *,
    relative: bool,
    alternative: Alternative,
    alpha: float,
    null: float,
) -> EffectResult:
    m_c, m_t = control.mean, treatment.mean
    abs_lift = m_t - m_c
    rel_lift = abs_lift / abs(m_c) if m_c and math.isfinite(m_c) else NAN
    return EffectResult(
        effect=NAN,
        se=NAN,
        ci_low=NAN,
        ci_high=NAN,
        p_value=NAN,
        abs_lift=abs_lift,
        rel_lift=rel_lift,
        control_mean=m_c,
        treatment_mean=m_t,
        df=NAN,
        status="inconclusive",
        reason=reason,
        relative=relative,
        alternative=alternative,
        alpha=alpha,
        null=null,
        control_n=control.n,
        treatment_n=treatment.n,
    )


def compare(
    control: SampleStats,
    treatment: SampleStats,
    *,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
    relative: bool = True,
    binary: bool = False,
    null: float = 0.0,
) -> EffectResult:
    """Compare treatment with control by a Welch t test on the (relative or absolute) lift.

    Parameters
    ----------
    control, treatment
        Sufficient statistics of each arm.
    alpha
        Significance level; the interval has coverage 1 − alpha.
    alternative
        ``"two-sided"``, ``"greater"`` (treatment above control + null) or ``"less"``.
    relative
        Test the relative lift (m_T − m_C)/|m_C| (delta method) instead of the absolute difference.
    binary
        Use the variance p(1 − p) of a 0/1 metric instead of the sample variance.
    null
        The effect under the null hypothesis, in the units of the effect (shift it to test "lift ≥ bar").

    Returns
    -------
    EffectResult
        ``status="inconclusive"`` with a reason code for degenerate input; this function never raises on
        data.
    """

    def bad(reason: str) -> EffectResult:
        return _inconclusive(
            reason, control, treatment, relative=relative, alternative=alternative, alpha=alpha, null=null
        )

    if not (control.is_valid and treatment.is_valid) or not 0.0 < alpha < 1.0:
        return bad("invalid_input")
    if control.n < 2 or treatment.n < 2:
        return bad("n_lt_2")
    if binary and not all(0.0 <= s.sum <= s.n for s in (control, treatment)):
        return bad("invalid_input")
    m_c, m_t = control.mean, treatment.mean
    var_c, var_t = control.variance_for(binary), treatment.variance_for(binary)
    if var_c <= 0.0 and var_t <= 0.0:
        return bad("zero_variance")
    if relative and m_c == 0.0:
        return bad("zero_baseline")

    abs_lift = m_t - m_c
    rel_lift = abs_lift / abs(m_c) if m_c != 0.0 else NAN
    if relative:
        effect = rel_lift
        variance = var_t / (treatment.n * m_c**2) + var_c * m_t**2 / (control.n * m_c**4)
    else:
        effect = abs_lift
        variance = var_t / treatment.n + var_c / control.n
    se = math.sqrt(variance)
    if not se > 0.0:
        # A treatment mean of exactly 0 with a constant treatment arm makes the relative variance vanish.
        return bad("zero_variance")
    df = _welch_df(var_c, control.n, var_t, treatment.n)
    t_stat = (effect - null) / se
    if alternative == "two-sided":
        p_value = 2.0 * float(sps.t.sf(abs(t_stat), df))
        half = _t_quantile(1.0 - alpha / 2.0, df) * se
        ci_low, ci_high = effect - half, effect + half
    elif alternative == "greater":
        p_value = float(sps.t.sf(t_stat, df))
        ci_low, ci_high = effect - _t_quantile(1.0 - alpha, df) * se, math.inf
    else:
        p_value = float(sps.t.cdf(t_stat, df))
        ci_low, ci_high = -math.inf, effect + _t_quantile(1.0 - alpha, df) * se
    return EffectResult(
        effect=effect,
        se=se,
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=min(max(p_value, 0.0), 1.0),
        abs_lift=abs_lift,
        rel_lift=rel_lift,
        control_mean=m_c,
        treatment_mean=m_t,
        df=df,
        status="ok",
        reason=None,
        relative=relative,
        alternative=alternative,
        alpha=alpha,
        null=null,
        control_n=control.n,
        treatment_n=treatment.n,
    )


def two_sided_interval(result: EffectResult, alpha: float | None = None) -> tuple[float, float]:
    """The two-sided (1 − alpha) interval of ``result``'s effect, whatever its alternative.

    Parameters
    ----------
    result
        A comparison from :func:`compare`.
    alpha
        Level; defaults to ``result.alpha``.

    Returns
    -------
    tuple of float
        ``(low, high)``; NaNs when the result is inconclusive.
    """
    level = result.alpha if alpha is None else alpha
    if not result.ok:
        return (NAN, NAN)
    half = _t_quantile(1.0 - level / 2.0, result.df) * result.se
    return (result.effect - half, result.effect + half)


def one_sided_bounds(result: EffectResult, alpha: float | None = None) -> tuple[float, float]:
    """One-sided (1 − alpha) lower and upper bounds: the ends of the two-sided (1 − 2·alpha) interval.

    Parameters
    ----------
    result
        A comparison from :func:`compare`.
    alpha
        Level of each one-sided bound; defaults to ``result.alpha``.

    Returns
    -------
    tuple of float
        ``(lower, upper)``; NaNs when the result is inconclusive.
    """
    level = result.alpha if alpha is None else alpha
    return two_sided_interval(result, 2.0 * level)
