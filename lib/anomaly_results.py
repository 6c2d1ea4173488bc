"""Result types of the daily anomaly check (R7): the watched series, judged rows and the check of one date.

:mod:`lib.anomaly_check` builds them (and re-exports them, so ``from lib.anomaly_check import CheckRow`` keeps
working); the narrative, the Today page and the ``check`` command read them.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from lib.stats.anomaly import Kind, Score

ALL = "all"
SEVERITY_RANK = {"none": 0, "low": 1, "medium": 2, "high": 3}


@dataclass(frozen=True)
class SeriesSpec:
    """One daily series the check watches.

    Attributes
    ----------
    metric
        Its name in the output: ``dau``, ``new_users``, ``events``, ``events:<name>`` or a metric name.
    label
        How sentences name it (``DAU``, ``new users``, ``error_shown events``...).
    kind
        ``count``, ``proportion`` or ``mean``.
    lag
        Days from the cohort day to the day it is judged on (0 for daily volumes).
    higher_is_better
        False when a rise is the bad direction.
    """

    metric: str
    label: str
    kind: Kind
    lag: int
    higher_is_better: bool


@dataclass(frozen=True)
class Contribution:
    """The segment that explains most of an overall move.

    Attributes
    ----------
    segment
        ``attr=value``.
    change
        The segment's own relative change vs its expected value.
    share
        Its part of the overall move (1.0 = all of it; can exceed 1 when other segments moved the other way).
    """

    segment: str
    change: float
    share: float


@dataclass(frozen=True)
class CheckRow:
    """One judged (metric, segment) on one date.

    Attributes
    ----------
    spec
        The series.
    segment
        ``all`` or ``attr=value``.
    date
        The day judged (the cohort day for cohort metrics).
    checked
        The check date it was judged on (``date + spec.lag``).
    count
        The count behind the value: the value for volumes, the cohort's users for rates and means.
    score
        Value, expected value, band, severity, direction and badness.
    contribution
        For an overall row that is flagged: the segment that moved most, if any.
    outage
        True for the row that reports a day without any event.
    """

    spec: SeriesSpec
    segment: str
    date: dt.date
    checked: dt.date
    count: float
    score: Score
    contribution: Contribution | None = None
    outage: bool = False

    @property
    def flagged(self) -> bool:
        """Whether the row is outside its band (severity other than none)."""
        return self.score.severity != "none"


@dataclass(frozen=True)
class CheckResult:
    """The check of one date.

    Attributes
    ----------
    date
        The date checked.
    rows
        Judged rows, flagged first (by severity, then distance), then the others in series order.
    outage
        True when the date has no event at all.
    """

    date: date
    rows: tuple[CheckRow, ...]
    outage: bool = False

    @property
    def flagged(self) -> tuple[CheckRow, ...]:
        """The rows outside their band."""
        return tuple(r for r in self.rows if r.flagged)


@dataclass(frozen=True)
class Daily:
    """One (metric, segment) series on consecutive days from ``origin``.

    Attributes
    ----------
    origin
        The day of index 0.
    value
        The value per day (NaN where undefined: no cohort, or before the data starts).
    count
        The count behind it (the value for volumes, cohort users for rates and means).
    sd_unit
        Per-user standard deviation per day (means only, else None).
    dispersion
        Variance of a count relative to Poisson per day (event volumes come in sessions), else None.
    """

    origin: date
    value: np.ndarray
    count: np.ndarray
    sd_unit: np.ndarray | None = None
    dispersion: np.ndarray | None = None

    def at(self, arr: np.ndarray | None, day: date) -> float:
        """The value of ``arr`` on ``day`` (NaN outside the range)."""
        i = (day - self.origin).days
        return float(arr[i]) if arr is not None and 0 <= i < len(arr) else math.nan

    def weekly(self, arr: np.ndarray | None, day: date, weeks: int) -> list[float]:
        """``arr`` on the same weekday 1..weeks weeks before ``day``."""
        return [self.at(arr, day - timedelta(days=7 * k)) for k in range(1, weeks + 1)]


@dataclass(frozen=True)
class DailySeries:
    """Every watched series over a range of days.

    Attributes
    ----------
    specs
        The series, in output order.
    series
        ``(metric, segment)`` -> :class:`Daily`.
    first_day
        The first local day with any event (history before it is missing, not zero).
    min_count
        ``[check] min_count``.
    """

    specs: tuple[SeriesSpec, ...]
    series: dict[tuple[str, str], Daily]
    first_day: date | None
    min_count: int

    def segments(self, metric: str) -> list[str]:
        """The segments of one series, ``all`` first.

        Parameters
        ----------
        metric
            A series name.

        Returns
        -------
        list of str
        """
        segs = [s for (m, s) in self.series if m == metric]
        return sorted(segs, key=lambda s: (s != ALL, s))

