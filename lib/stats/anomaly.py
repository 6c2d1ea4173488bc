"""Anomaly scoring for the daily check (R7): a same-weekday robust baseline, a band, a severity.

Pure numbers in, frozen results out. The rule, written once:

- **History**: the values of the same weekday 1..8 weeks before the judged day (``history[0]`` is one week
  back; NaN where there is none), so weekly seasonality never looks like an anomaly.
- **Trend** (volumes only): each value of k weeks ago is carried forward by ``growth ** k``, growth being the
  Theil-Sen slope of the log same-weekday values over the 5 most recent ordinary weeks
  (:func:`weekly_growth`). Without it a growing product (~2.5%/week in the sample) would sit ~7% above a
  plain 4-week median every day.
- **Expected**: the median of the last 4 carried-forward same weekdays ("the usual Tuesday"; robust to one
  odd week, such as last week's outage).
- **Spread**: sigma = max(1.4826 x MAD of the 8 carried-forward values, the sampling noise of the day's
  value), inflated by sqrt(1 + pi/2 / k) for the noise of a median of k values. The sampling floor (Poisson
  sqrt(count), binomial sqrt(p(1-p)/n), or the standard error of a mean) keeps a lucky, flat history from
  making the band absurdly narrow.
- **Band**: expected +- max(Z x sigma, REL x |expected|); the relative floor keeps statistically real but
  practically tiny moves of big numbers quiet (nobody acts on DAU -2%).
- **Severity** by how far outside the band, in half-widths: none <= 1, low <= 1.5, medium <= 2.5, high beyond.
- A slow decline (the test plants 2%/day for 3 weeks) is caught by this rule without a separate trend rule:
  the median of the last 4 weeks lags it, so the day's value leaves the band on day 9 (-17%) and stays
  outside every day for a week; from about day 16 the 5-week Theil-Sen trend has taken the decline in and
  the alerts stop. A week of daily alerts is the catch; a decline slower than ~1%/day is absorbed by the
  trend and not flagged (tests/stats/test_anomaly.py plants the 2%/day case).

Sources: the median/MAD band is the Hampel identifier (Hampel 1974; 1.4826 makes MAD consistent for the
normal sigma); the efficiency of the median (variance pi/2 x sigma^2 / k) is textbook (e.g. Kenney & Keeping).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Severity = Literal["none", "low", "medium", "high"]
Direction = Literal["up", "down"]
Kind = Literal["count", "proportion", "mean"]
SEVERITIES: tuple[Severity, ...] = ("none", "low", "medium", "high")

WEEKS_LEVEL = 4  # same weekdays in the median ("the usual Tuesday")
WEEKS_HISTORY = 8  # same weekdays for the spread
WEEKS_TREND = 5  # recent ordinary same weekdays for the growth trend
MIN_WEEKS = 3  # fewer same-weekday values than this: not judged
Z = 4.0  # band half-width in sigmas: ~6e-5 two-sided for a normal, so ~120 rows x 30 days stay quiet
REL = 0.15  # ... and at least 15% of the expected value: nobody acts on DAU -5%
MAD_TO_SIGMA = 1.4826
MIN_SUCCESSES = 10  # a rate is judged only when n*p and n*(1-p) reach this (the normal approximation's rule)
LOW_UPTO, MEDIUM_UPTO = 1.5, 2.5  # severity cut-offs, in band half-widths from the expected value


@dataclass(frozen=True)
class Baseline:
    """What a day is judged against.

    Attributes
    ----------
    expected
        The seasonality- and trend-aware expected value.
    low, high
        The band; outside it the day is flagged.
    sigma
        The noise scale used (before the Z multiplier).
    half
        The band's half-width (before clipping ``low`` at 0); severity is measured in it.
    weeks
        How many same-weekday values the baseline used.
    """

    expected: float
    low: float
    high: float
    sigma: float
    half: float
    weeks: int


@dataclass(frozen=True)
class Score:
    """A judged value.

    Attributes
    ----------
    value, expected, low, high
        The day's value and its band.
    change
        Relative change vs expected ((value - expected) / |expected|; NaN when expected is 0).
    excess
        |value - expected| in band half-widths (> 1 is outside the band).
    severity
        ``none``, ``low``, ``medium`` or ``high``.
    direction
        ``up`` or ``down`` (``up`` for no change).
    bad
        Whether the move is flagged and in the bad direction for this metric.
    """

    value: float
    expected: float
    low: float
    high: float
    change: float
    excess: float
    severity: Severity
    direction: Direction
    bad: bool


def sampling_sd(kind: Kind, expected: float, n: float, sd_unit: float = math.nan) -> float:
    """The sampling noise of one day's value.

    Parameters
    ----------
    kind
        ``count`` (Poisson: sqrt(expected)), ``proportion`` (sqrt(p(1-p)/n)) or ``mean`` (sd_unit/sqrt(n)).
    expected
        The expected value (count or rate).
    n
        Users behind a rate or mean (ignored for counts).
    sd_unit
        Per-user standard deviation (means only).

    Returns
    -------
    float
        0 when it cannot be computed (no users).
    """
    if kind == "count":
        return math.sqrt(max(expected, 1.0))
    if n <= 0 or not math.isfinite(n):
        return 0.0
    if kind == "proportion":
        p = min(max(expected, 0.0), 1.0)
        return math.sqrt(p * (1.0 - p) / n)
    return sd_unit / math.sqrt(n) if math.isfinite(sd_unit) else 0.0


def _theil_sen(y: np.ndarray, t: np.ndarray) -> float:
    i, j = np.triu_indices(len(y), k=1)
    return float(np.median((y[j] - y[i]) / (t[j] - t[i])))


def weekly_growth(history: Sequence[float]) -> float:
    """The recent weekly growth factor of the same-weekday values (Theil-Sen on logarithms, outliers out).

    The Theil-Sen slope is the median of the slopes between every pair of points (Theil 1950, Sen 1968).
    First a fit over all 8 weeks finds the odd weeks (a log residual more than 3 robust sigmas from the
    others: last week's outage); then the slope is fitted again over the :data:`WEEKS_TREND` most recent
    ordinary weeks, because growth changes (a release, an experiment) and an 8-week slope overshoots. A
    decline that started 1-2 weeks ago is too few points to move that median: the check flags it.

    Parameters
    ----------
    history
        Values of the same weekday 1, 2, ... weeks back (NaN for a missing week; zero weeks are skipped, a
        logarithm needs positive values).

    Returns
    -------
    float
        exp(slope per week); 1.0 with fewer than :data:`MIN_WEEKS` usable values.
    """
    h = np.asarray(list(history)[:WEEKS_HISTORY], dtype=float)
    t = -np.arange(1, len(h) + 1, dtype=float)  # time runs forward: one week back is t = -1
    ok = np.isfinite(h) & (h > 0)
    if ok.sum() < MIN_WEEKS:
        return 1.0
    y = np.log(np.where(ok, h, 1.0))
    slope = _theil_sen(y[ok], t[ok])
    resid = y - slope * t
    med = float(np.median(resid[ok]))
    mad = float(np.median(np.abs(resid[ok] - med)))
    ordinary = ok & (np.abs(resid - med) <= 3.0 * MAD_TO_SIGMA * mad) if mad > 0 else ok
    recent = np.flatnonzero(ordinary)[:WEEKS_TREND]
    if len(recent) < MIN_WEEKS:
        return float(np.exp(slope))
    return float(np.exp(_theil_sen(y[recent], t[recent])))


def baseline(
    history: Sequence[float],
    noise: float = 0.0,
    growth: float = 1.0,
    rel: float = REL,
    nonnegative: bool = True,
) -> Baseline | None:
    """The expected value and band from the same weekday of earlier weeks.

    Parameters
    ----------
    history
        Values of the same weekday 1, 2, ... weeks back (NaN for a missing week); only the first
        :data:`WEEKS_HISTORY` are used.
    noise
        The sampling noise floor for the judged day (:func:`sampling_sd`).
    growth
        The weekly growth factor (:func:`weekly_growth`; 1.0 for no trend): the value of k weeks ago is
        carried forward by ``growth ** k`` before the median and the spread.
    rel
        The minimum band half-width relative to the expected value.
    nonnegative
        Clip the expected value and the band at 0 (counts and rates cannot be negative).

    Returns
    -------
    Baseline or None
        None when fewer than :data:`MIN_WEEKS` values exist (not judged).
    """
    h = np.asarray(list(history)[:WEEKS_HISTORY], dtype=float)
    ages = np.arange(1, len(h) + 1, dtype=float)
    present = ~np.isnan(h)
    recent = present & (ages <= WEEKS_LEVEL)
    if present.sum() < MIN_WEEKS or recent.sum() == 0:
        return None
    adjusted = h * growth**ages
    expected = float(np.median(adjusted[recent]))
    spread = MAD_TO_SIGMA * float(np.median(np.abs(adjusted[present] - np.median(adjusted[present]))))
    if nonnegative:
        expected = max(expected, 0.0)
    sigma = max(spread, noise) * math.sqrt(1.0 + (math.pi / 2.0) / int(recent.sum()))
    half = max(Z * sigma, rel * abs(expected))
    low, high = expected - half, expected + half
    if nonnegative:
        low = max(low, 0.0)
    return Baseline(expected, low, high, sigma, half, int(present.sum()))


def rate_is_judgeable(p: float, n: float) -> bool:
    """Whether a proportion is common enough in a cohort for a normal band (n*p and n*(1-p) >= 10).

    A cohort of 100 with an expected 2% upgrade rate expects 2 upgrades: 0 or 6 are both ordinary, so such
    a rate is not judged (source: the usual np >= 10 rule for the normal approximation to the binomial).

    Parameters
    ----------
    p
        Expected rate.
    n
        Users in the cohort.

    Returns
    -------
    bool
    """
    return n * p >= MIN_SUCCESSES and n * (1.0 - p) >= MIN_SUCCESSES


def severity_of(excess: float) -> Severity:
    """Severity from the distance to the expected value in band half-widths.

    Parameters
    ----------
    excess
        |value - expected| / half-width.

    Returns
    -------
    Severity
    """
    if not excess > 1.0:
        return "none"
    if excess <= LOW_UPTO:
        return "low"
    if excess <= MEDIUM_UPTO:
        return "medium"
    return "high"


def score(value: float, base: Baseline, higher_is_better: bool = True) -> Score:
    """Judge a value against its baseline.

    Parameters
    ----------
    value
        The day's value.
    base
        Its :class:`Baseline`.
    higher_is_better
        False for metrics where a rise is bad (errors, churn); volumes pass True (a drop is bad).

    Returns
    -------
    Score
    """
    diff = value - base.expected
    # A zero-width band (expected 0): any value off it is as far out as it gets.
    excess = abs(diff) / base.half if base.half > 0 else (math.inf if diff != 0 else 0.0)
    sev = severity_of(excess)
    direction: Direction = "up" if diff >= 0 else "down"
    bad = sev != "none" and (direction == "down") == higher_is_better
    change = diff / abs(base.expected) if base.expected != 0 else math.nan
    return Score(value, base.expected, base.low, base.high, change, excess, sev, direction, bad)
