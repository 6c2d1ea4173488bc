"""Summaries of retention cells: the weighted average row, confidence intervals, the release baseline.

These work on the cell table :func:`lib.metrics.retention.retention` returns (one row per cohort cell, a few
thousand rows at most), never on events. Immature cells never enter an average: a cohort whose week 4 has not
ended yet would drag week 4 down.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from scipy import stats

from lib.metrics.retention import ReleaseSplit

AVERAGE_COLUMNS = ("period", "cohorts", "active", "eligible", "rate", "rate_low", "rate_high")
COMPARISON_COLUMNS = (
    "period",
    "active",
    "eligible",
    "rate",
    "rate_low",
    "rate_high",
    "baseline_active",
    "baseline_eligible",
    "baseline_rate",
    "baseline_low",
    "baseline_high",
    "difference",
)


def wilson_interval(successes: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """The Wilson score interval of a proportion.

    Chosen over the normal (Wald) interval because cohort cells are often small and rates near 0: Wald gives
    negative bounds and zero width at 0/n, Wilson does not (Newcombe 1998, method 3).

    Parameters
    ----------
    successes
        Users active in the cell.
    n
        Eligible users.
    alpha
        1 - confidence level.

    Returns
    -------
    tuple of float
        (low, high); (nan, nan) when ``n`` is 0.
    """
    if n <= 0:
        return math.nan, math.nan
    z = float(stats.norm.ppf(1 - alpha / 2))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def with_intervals(cells: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Add ``rate_low``/``rate_high`` (Wilson) to every row with ``active`` and ``eligible`` columns.

    Parameters
    ----------
    cells
        Retention cells (or an average row).
    alpha
        1 - confidence level.

    Returns
    -------
    pandas.DataFrame
        A copy with the two columns added.
    """
    out = cells.copy()
    bounds = [
        wilson_interval(int(a), int(e), alpha) for a, e in zip(out["active"], out["eligible"], strict=True)
    ]
    out["rate_low"] = [b[0] for b in bounds]
    out["rate_high"] = [b[1] for b in bounds]
    return out


def average_row(cells: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """The average retention curve, weighted by cohort size over mature cells only.

    The weighted average of cell rates with weights = eligible users is the pooled rate: sum(active) /
    sum(eligible) over the mature cells of each period.

    Parameters
    ----------
    cells
        Retention cells (one segment, or several to pool).
    alpha
        1 - confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        Columns ``period``, ``cohorts`` (mature cells averaged), ``active``, ``eligible``, ``rate``,
        ``rate_low``, ``rate_high``; periods without a mature cell are absent.
    """
    mature = cells[cells["mature"].astype(bool)]
    if mature.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in AVERAGE_COLUMNS})
    g = mature.groupby("period", sort=True).agg(
        cohorts=("active", "size"), active=("active", "sum"), eligible=("eligible", "sum")
    )
    g = g.reset_index()
    g["rate"] = g["active"] / g["eligible"].where(g["eligible"] > 0)
    g = with_intervals(g, alpha)
    for col in ("period", "cohorts", "active", "eligible"):
        g[col] = g[col].astype("int64")
    return g[list(AVERAGE_COLUMNS)]


def _side(cells: pd.DataFrame, label: str) -> pd.DataFrame:
    seg = cells["segment"].astype(str)
    return cells[(seg == label) | seg.str.startswith(label + " · ")]


def baseline_comparison(cells: pd.DataFrame, release: ReleaseSplit, alpha: float = 0.05) -> pd.DataFrame:
    """The new cohorts' average curve against the 90-day pre-release baseline, period by period.

    Parameters
    ----------
    cells
        Cells computed with ``RetentionSpec(release=release)`` (segments ``before NAME`` / ``after NAME``).
    release
        The release split.
    alpha
        1 - confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Columns of ``COMPARISON_COLUMNS``: per period, the after-release pooled rate with its interval, the
        baseline's, and ``difference`` (after - baseline, absolute). Periods where either side has no mature
        cell are absent.
    """
    after = average_row(_side(cells, release.after_label), alpha)
    before = average_row(_side(cells, release.before_label), alpha).rename(
        columns={
            "active": "baseline_active",
            "eligible": "baseline_eligible",
            "rate": "baseline_rate",
            "rate_low": "baseline_low",
            "rate_high": "baseline_high",
        }
    )
    merged = after.merge(before.drop(columns=["cohorts"]), on="period", how="inner")
    merged["difference"] = merged["rate"] - merged["baseline_rate"]
    return merged[list(COMPARISON_COLUMNS)]


@dataclass(frozen=True)
class PeriodReading:
    """One period's retention of the new cohorts against the baseline, for the narrative.

    Attributes
    ----------
    period
        k.
    rate, baseline_rate
        Pooled rates over mature cells.
    difference
        rate - baseline_rate (absolute).
    eligible, baseline_eligible
        The users behind each rate.
    clear
        Whether the two Wilson intervals do not overlap (a conservative "this is not noise").
    """

    period: int
    rate: float
    baseline_rate: float
    difference: float
    eligible: int
    baseline_eligible: int
    clear: bool


def latest_comparable(comparison: pd.DataFrame, prefer: int | None = None) -> PeriodReading | None:
    """The period to talk about: ``prefer`` when both sides have it, else the last comparable period.

    Parameters
    ----------
    comparison
        The result of :func:`baseline_comparison`.
    prefer
        The period a team usually quotes (week 4, day 7...).

    Returns
    -------
    PeriodReading or None
        None when no period is comparable yet.
    """
    rows = comparison[comparison["period"] > 0]
    if rows.empty:
        rows = comparison
    if rows.empty:
        return None
    preferred = rows[rows["period"] == prefer] if prefer is not None else rows.iloc[0:0]
    r = preferred.iloc[0] if not preferred.empty else rows.iloc[-1]
    clear = bool(r["rate_low"] > r["baseline_high"] or r["rate_high"] < r["baseline_low"])
    return PeriodReading(
        int(r["period"]),
        float(r["rate"]),
        float(r["baseline_rate"]),
        float(r["difference"]),
        int(r["eligible"]),
        int(r["baseline_eligible"]),
        clear,
    )


def segment_averages(cells: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """The average row of every segment, stacked with a ``segment`` column first.

    Parameters
    ----------
    cells
        Retention cells with a ``segment`` column.
    alpha
        1 - confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        ``segment`` then the columns of :func:`average_row`.
    """
    parts = [
        average_row(part, alpha).assign(segment=seg) for seg, part in cells.groupby("segment", sort=True)
    ]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in ("segment", *AVERAGE_COLUMNS)})
    out = pd.concat(parts, ignore_index=True)
    return out[["segment", *AVERAGE_COLUMNS]]
