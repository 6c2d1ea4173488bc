"""Feature adoption results: frozen dataclasses built from the aggregates of lib/metrics/adoption.py.

Pure Python on one row per (feature, period) or (feature, bucket); charts, narrative, the CLI and the pages
read these. See lib/metrics/adoption.py for the definitions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from statistics import median
from typing import Literal

import pandas as pd

from lib.config import FeatureConfig
from lib.definitions import period_end, period_start_after
from lib.metrics.adoption import DEPTH_BUCKETS
from lib.sqlcompat import Period

CONTRACT_COLUMNS: tuple[str, ...] = (
    "feature",
    "period_start",
    "active_users",
    "adopters",
    "adoption_rate",
    "cumulative_adopters",
)
Quadrant = Literal["core", "niche", "shallow", "retire candidate"]
# Breadth and frequency in the engagement matrix are averaged over this many latest complete periods: recent
# enough to reflect the feature today, long enough to smooth one odd week.
RECENT_PERIODS = 4


@dataclass(frozen=True)
class AdoptionPeriod:
    """One feature in one period.

    Attributes
    ----------
    feature, period_start, active_users, adopters, cumulative_adopters, uses, new_adopters
        As defined in lib/metrics/adoption.py.
    adoption_rate
        adopters / active_users (NaN without active users).
    complete
        Whether the period ended on or before as_of (an incomplete period's counts can still grow).
    """

    feature: str
    period_start: date
    active_users: int
    adopters: int
    adoption_rate: float
    cumulative_adopters: int
    uses: int
    new_adopters: int
    complete: bool


@dataclass(frozen=True)
class FeatureSummary:
    """One feature's engagement, over its latest complete periods (at most :data:`RECENT_PERIODS`).

    Attributes
    ----------
    feature
        Name.
    released
        Release date from the config, or None.
    breadth
        Mean adoption rate (share of active users using it).
    frequency
        Uses per adopter per period.
    stickiness
        Share of a period's adopters who use it again the next period (NaN when no complete pair).
    adopter_retention, non_adopter_retention
        Next-period retention of users who used / did not use the feature (association, not cause).
    cumulative_adopters
        Distinct users who ever used it, at the last period.
    quadrant
        Place in the engagement matrix against the median feature: ``core`` (broad, frequent), ``niche``
        (narrow, frequent: grow its reach), ``shallow`` (broad, infrequent: deepen), ``retire candidate``.
    periods
        How many periods the means are over (0: nothing complete yet).
    """

    feature: str
    released: date | None
    breadth: float
    frequency: float
    stickiness: float
    adopter_retention: float
    non_adopter_retention: float
    cumulative_adopters: int
    quadrant: Quadrant
    periods: int


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else math.nan


def adoption_periods(frame: pd.DataFrame, period: Period, as_of_date: date) -> tuple[AdoptionPeriod, ...]:
    """Turn the rows of :func:`lib.metrics.adoption.adoption_select` into periods.

    Parameters
    ----------
    frame
        The executed Select.
    period
        Its period.
    as_of_date
        The last complete local date.

    Returns
    -------
    tuple of AdoptionPeriod
    """
    out = []
    for row in frame.to_dict("records"):
        start = pd.Timestamp(row["period_start"]).date()
        active, adopters = int(row["active_users"]), int(row["adopters"])
        out.append(
            AdoptionPeriod(
                feature=str(row["feature"]),
                period_start=start,
                active_users=active,
                adopters=adopters,
                adoption_rate=_ratio(adopters, active),
                cumulative_adopters=int(row["cumulative_adopters"]),
                uses=int(row["uses"]),
                new_adopters=int(row["new_adopters"]),
                complete=period_end(start, period) <= as_of_date,
            )
        )
    return tuple(out)


def adoption_table(periods: Sequence[AdoptionPeriod]) -> pd.DataFrame:
    """The ``adoption`` command's output, exactly the contract columns in order.

    Parameters
    ----------
    periods
        From :func:`adoption_periods`.

    Returns
    -------
    pandas.DataFrame
    """
    return pd.DataFrame(
        [{c: getattr(p, c) for c in CONTRACT_COLUMNS} for p in periods], columns=list(CONTRACT_COLUMNS)
    )


def periods_frame(periods: Sequence[AdoptionPeriod]) -> pd.DataFrame:
    """All fields of the periods (for charts and downloads).

    Parameters
    ----------
    periods
        From :func:`adoption_periods`.

    Returns
    -------
    pandas.DataFrame
    """
    cols = [*CONTRACT_COLUMNS, "uses", "new_adopters", "complete"]
    return pd.DataFrame([{c: getattr(p, c) for c in cols} for p in periods], columns=cols)


def depth_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Label the depth buckets of :func:`lib.metrics.adoption.depth_select` and add each bucket's share.

    Parameters
    ----------
    frame
        The executed Select (``feature, bucket, adopters, uses``).

    Returns
    -------
    pandas.DataFrame
        Columns ``feature, uses_per_adopter`` (``"1"``, ``"2"``, ``"3-5"``, ``"6-10"``, ``"11+"``),
        ``adopters``,
        ``share`` (of the feature's adopters).
    """
    labels = {}
    for i, lo in enumerate(DEPTH_BUCKETS):
        hi = DEPTH_BUCKETS[i + 1] - 1 if i + 1 < len(DEPTH_BUCKETS) else None
        labels[lo] = f"{lo}+" if hi is None else (str(lo) if hi == lo else f"{lo}-{hi}")
    out = pd.DataFrame(
        {
            "feature": frame["feature"].astype(str),
            "uses_per_adopter": [labels[int(b)] for b in frame["bucket"]],
            "adopters": frame["adopters"].astype("int64"),
        }
    )
    totals = out.groupby("feature")["adopters"].transform("sum")
    out["share"] = out["adopters"] / totals
    return out.reset_index(drop=True)


def summarize(
    periods: Sequence[AdoptionPeriod],
    retention: pd.DataFrame,
    features: Sequence[FeatureConfig],
    period: Period,
    as_of_date: date,
) -> tuple[FeatureSummary, ...]:
    """Breadth, frequency, stickiness, adopter retention and the engagement-matrix quadrant per feature.

    Parameters
    ----------
    periods
        From :func:`adoption_periods`.
    retention
        The executed :func:`lib.metrics.adoption.retention_select`.
    features
        The configured features (for release dates and order).
    period
        The period of both inputs.
    as_of_date
        The last complete local date: a retention pair counts only when the NEXT period is complete.

    Returns
    -------
    tuple of FeatureSummary
        In config order.
    """
    base = []
    for f in features:
        rows = [p for p in periods if p.feature == f.name and p.complete]
        if f.released is not None:
            rows = [p for p in rows if period_end(p.period_start, period) >= f.released]
        recent = rows[-RECENT_PERIODS:]
        breadth = _ratio(sum(p.adoption_rate for p in recent), len(recent))
        frequency = _ratio(sum(p.uses for p in recent), sum(p.adopters for p in recent))
        ret = retention[retention["feature"] == f.name] if not retention.empty else retention
        pairs = [
            r
            for r in ret.to_dict("records")
            if _next_end(pd.Timestamp(r["period_start"]).date(), period) <= as_of_date
            and (
                f.released is None or period_end(pd.Timestamp(r["period_start"]).date(), period) >= f.released
            )
        ][-RECENT_PERIODS:]
        adopters = sum(int(r["adopters"]) for r in pairs)
        adopters_ret = sum(int(r["adopters_retained"]) for r in pairs)
        active = sum(int(r["active_users"]) for r in pairs)
        retained = sum(int(r["retained"]) for r in pairs)
        cumulative = max((p.cumulative_adopters for p in periods if p.feature == f.name), default=0)
        base.append(
            (
                f,
                breadth,
                frequency,
                _ratio(sum(int(r["adopters_repeat"]) for r in pairs), adopters),
                _ratio(adopters_ret, adopters),
                _ratio(retained - adopters_ret, active - adopters),
                cumulative,
                len(recent),
            )
        )
    breadths = [b[1] for b in base if not math.isnan(b[1])]
    freqs = [b[2] for b in base if not math.isnan(b[2])]
    mid_b = median(breadths) if breadths else math.nan
    mid_f = median(freqs) if freqs else math.nan
    return tuple(
        FeatureSummary(f.name, f.released, b, fr, st, ar, nr, cum, _quadrant(b, fr, mid_b, mid_f), n)
        for f, b, fr, st, ar, nr, cum, n in base
    )


def _next_end(start: date, period: Period) -> date:
    return period_end(period_start_after(start, 1, period), period)


def _quadrant(breadth: float, frequency: float, mid_b: float, mid_f: float) -> Quadrant:
    # At or above the median feature counts as high, so a lone feature is "core", not a retire candidate.
    broad = not math.isnan(breadth) and breadth >= mid_b
    frequent = not math.isnan(frequency) and frequency >= mid_f
    if broad and frequent:
        return "core"
    if frequent:
        return "niche"
    if broad:
        return "shallow"
    return "retire candidate"


def summary_frame(summaries: Sequence[FeatureSummary]) -> pd.DataFrame:
    """Feature summaries as a table (the engagement matrix's data).

    Parameters
    ----------
    summaries
        From :func:`summarize`.

    Returns
    -------
    pandas.DataFrame
    """
    cols = [
        "feature",
        "released",
        "breadth",
        "frequency",
        "stickiness",
        "adopter_retention",
        "non_adopter_retention",
        "cumulative_adopters",
        "quadrant",
        "periods",
    ]
    return pd.DataFrame([{c: getattr(s, c) for c in cols} for s in summaries], columns=cols)
