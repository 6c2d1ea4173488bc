"""Sample ratio mismatch: a chi-square goodness-of-fit test of the observed split against the planned one."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from scipy import stats as sps

SRM_THRESHOLD = 0.001


@dataclass(frozen=True)
class SrmResult:
    """Outcome of the SRM check.

    ``expected`` holds the counts the planned weights imply. ``status="inconclusive"`` (reason
    ``no_users``) when no unit was counted; its p-value is then 1.0 (nothing contradicts the plan).
    """

    chi2: float
    p_value: float
    expected: tuple[float, ...]
    status: Literal["ok", "inconclusive"] = "ok"
    reason: str | None = None

    @property
    def mismatch(self) -> bool:
        """True when p < 0.001, the threshold of DESIGN.md section 5 that makes an experiment INVALID."""
        return self.p_value < SRM_THRESHOLD


def srm_test(counts: Sequence[int], weights: Sequence[float] | None = None) -> SrmResult:
    """Chi-square goodness of fit of ``counts`` against ``weights`` (k − 1 degrees of freedom).

    Parameters
    ----------
    counts
        Units per variant (after excluding users seen in several variants).
    weights
        Planned traffic shares, any positive scale (normalised here); equal shares when omitted.

    Returns
    -------
    SrmResult
        The statistic, its p-value and the expected counts.

    Raises
    ------
    ValueError
        Fewer than two variants, lengths that differ, a negative count or a non-positive weight
        (programmer or config errors, validated before this is called).
    """
    w = [1.0] * len(counts) if weights is None else [float(x) for x in weights]
    if len(counts) < 2 or len(w) != len(counts):
        raise ValueError(f"need at least two counts and one weight per count, got {len(counts)} and {len(w)}")
    if any(c < 0 for c in counts) or not all(x > 0 and math.isfinite(x) for x in w):
        raise ValueError("counts must be non-negative and weights positive")
    total = float(sum(counts))
    expected = tuple(total * x / sum(w) for x in w)
    if total == 0:
        return SrmResult(chi2=0.0, p_value=1.0, expected=expected, status="inconclusive", reason="no_users")
    chi2 = sum((o - e) ** 2 / e for o, e in zip(counts, expected, strict=True))
    return SrmResult(chi2=chi2, p_value=float(sps.chi2.sf(chi2, len(counts) - 1)), expected=expected)
