"""Sufficient statistics of one sample: the only thing SQL hands to the statistics engine.

A variant's metric arrives as ``(n, sum, sum of squares)``; every mean and variance in ``lib.stats`` is
derived here so the guards for degenerate data (n < 2, negative rounding noise) live in one place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class SampleStats:
    """Sufficient statistics of one sample (one variant of one metric).

    Parameters
    ----------
    n
        Number of units (users) in the sample.
    sum
        Sum of the per-unit values.
    sum_sq
        Sum of the squared per-unit values (for 0/1 data this equals ``sum``).
    """

    n: int
    sum: float
    sum_sq: float

    @classmethod
    def from_proportion(cls, n: int, successes: float) -> SampleStats:
        """Build the statistics of a 0/1 metric from its number of successes.

        Parameters
        ----------
        n
            Number of units.
        successes
            Number of units with value 1; for 0/1 values the sum of squares equals the sum.
        """
        return cls(n=n, sum=float(successes), sum_sq=float(successes))

    @classmethod
    def from_rate(cls, n: int, rate: float) -> SampleStats:
        """Build the statistics of a 0/1 metric from its rate (a fraction between 0 and 1)."""
        return cls.from_proportion(n, rate * n)

    @classmethod
    def from_mean_sd(cls, n: int, mean: float, sd: float) -> SampleStats:
        """Build the statistics from a mean and a sample standard deviation (n − 1 denominator)."""
        total = mean * n
        return cls(n=n, sum=total, sum_sq=sd * sd * (n - 1) + total * total / n if n > 0 else 0.0)

    @property
    def is_valid(self) -> bool:
        """True when every field is finite and ``n`` is non-negative."""
        return self.n >= 0 and math.isfinite(self.sum) and math.isfinite(self.sum_sq)

    @property
    def mean(self) -> float:
        """Sample mean; NaN when ``n`` is 0."""
        return self.sum / self.n if self.n > 0 else math.nan

    @property
    def variance(self) -> float:
        """Sample variance with the n − 1 denominator; NaN when ``n`` < 2.

        Floating-point cancellation in ``sum_sq − sum²/n`` can give a tiny negative number for constant
        data; it is clamped to 0 so a zero-variance sample is recognised as such.
        """
        if self.n < 2:
            return math.nan
        return max((self.sum_sq - self.sum * self.sum / self.n) / (self.n - 1), 0.0)

    @property
    def bernoulli_variance(self) -> float:
        """Variance p(1 − p) of a 0/1 metric (GrowthBook's proportion convention); NaN when ``n`` is 0."""
        p = self.mean
        return p * (1.0 - p) if self.n > 0 else math.nan

    def variance_for(self, binary: bool) -> float:
        """The variance the tests use: p(1 − p) for a 0/1 metric, else the sample variance."""
        return self.bernoulli_variance if binary else self.variance
