"""The Today page's logic: KPI tiles against their usual range, the ranked anomaly list, experiment verdicts.

Everything here is pure (or runs Selects through the runner it is handed), so the page stays a thin renderer
and the tests need no Streamlit. Experiments are re-reviewed as of the checked day and the day before with
:func:`lib.metrics.experiment_review.review_experiment`; a verdict that differs between the two is news for
the daily check ("new_onboarding is now SHIP").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import pandas as pd
import sqlalchemy as sa

from lib.anomaly_check import recent_values
from lib.anomaly_results import CheckResult, CheckRow, DailySeries
from lib.config import ExperimentConfig, ReviewConfig
from lib.definitions import as_of_from
from lib.errors import ReviewError
from lib.metrics.anomalies import metric_lag
from lib.metrics.experiment_review import review_experiment
from lib.narrative import today as narrative
from lib.schema import Tables
from lib.stats.verdict import VerdictLabel

Runner = Callable[[sa.Select[Any]], pd.DataFrame]
DeltaColor = Literal["normal", "inverse", "off"]
SPARK_DAYS = 28


@dataclass(frozen=True)
class Tile:
    """One KPI tile: a headline number against the usual value for that weekday.

    Attributes
    ----------
    metric
        The series name (``dau``, ``new_users``, ``events`` or a metric name).
    label, value, delta, help
        The texts st.metric shows (delta like ``-18% vs usual Tuesday``; help names the band).
    delta_color
        ``normal`` (green up) or ``inverse`` (green down, for ``higher_is_better = false``) when the number is
        outside its band; ``off`` (grey) inside it, so colour only draws the eye to what was flagged.
    difference
        value − expected, in the metric's unit.
    flagged
        Whether the value is outside its band.
    spark
        The last 28 days (undefined days dropped), oldest first.
    """

    metric: str
    label: str
    value: str
    delta: str
    delta_color: DeltaColor
    help: str
    difference: float
    flagged: bool
    spark: tuple[float, ...]


def kpi_delta(row: CheckRow) -> float:
    """The tile's delta as a number: value − expected (NaN when either is unknown).

    Parameters
    ----------
    row
        A judged row.

    Returns
    -------
    float
    """
    return row.score.value - row.score.expected


def delta_color(row: CheckRow) -> DeltaColor:
    """How st.metric colours the tile's delta (see :class:`Tile`).

    Parameters
    ----------
    row
        A judged row.

    Returns
    -------
    str
    """
    if not row.flagged:
        return "off"
    return "normal" if row.spec.higher_is_better else "inverse"


def kpi_tiles(result: CheckResult, series: DailySeries, activation: str | None) -> tuple[Tile, ...]:
    """The tiles at the top of the page: DAU, new users, events and the activation metric, when judged.

    Parameters
    ----------
    result
        The check of the day.
    series
        The loaded series (for the sparklines).
    activation
        ``[activity] activation`` or None.

    Returns
    -------
    tuple of Tile
    """
    out = []
    for row in narrative.kpi_rows(result, activation):
        spark = tuple(v for v in recent_values(series, row, SPARK_DAYS) if math.isfinite(v))
        out.append(Tile(row.spec.metric, narrative.tile_label(row), narrative.tile_value(row),
                        narrative.tile_delta(row), delta_color(row), narrative.tile_help(row), kpi_delta(row),
                        row.flagged, spark))
    return tuple(out)


def anomaly_frame(result: CheckResult, series: DailySeries) -> pd.DataFrame:
    """The ranked anomaly list (worst first) with a 28-day sparkline and the segment that moved.

    Parameters
    ----------
    result
        The check of the day.
    series
        The loaded series.

    Returns
    -------
    pandas.DataFrame
        Columns severity, metric, segment, change, what moved, last 4 weeks, explanation.
    """
    sparks = [recent_values(series, r, SPARK_DAYS) for r in result.flagged]
    frame = pd.DataFrame(narrative.anomaly_table(result, sparks),
                         columns=["severity", "metric", "segment", "change", "what moved", "last 4 weeks"])
    frame["explanation"] = [narrative.explain(r) for r in result.flagged]
    return frame


# ----------------------------------------------------------------------------------------- experiments
@dataclass(frozen=True)
class ExperimentStatus:
    """An experiment's verdict on the checked day and the day before.

    Attributes
    ----------
    experiment
        Its name.
    day
        The checked day.
    verdict
        The verdict as of ``day`` (None when it cannot be reviewed; ``note`` says why).
    previous
        The verdict as of the day before (None before the experiment started or when it cannot be reviewed).
    provisional
        Whether today's verdict is provisional (before the planned sample or end).
    running
        Whether ``day`` is within [start, end].
    reason
        The first reason of today's verdict, or why there is none.
    """

    experiment: str
    day: date
    verdict: VerdictLabel | None
    previous: VerdictLabel | None
    provisional: bool
    running: bool
    reason: str

    @property
    def changed(self) -> bool:
        """Whether the verdict differs from the day before (both known)."""
        return self.verdict is not None and self.previous is not None and self.verdict != self.previous


def _settled(config: ReviewConfig, exp: ExperimentConfig, day: date) -> bool:
    """True when nothing can move the verdict any more: exposures stop at ``end`` and, a metric window later,
    every exposed user's window has closed, so the reviews of ``day`` and the day before are identical."""
    if exp.end is None:
        return False
    names = [exp.primary, *exp.guardrails, *exp.secondary]
    lag = max((metric_lag(config.metrics[n]) for n in names if n in config.metrics), default=0)
    return day - timedelta(days=1) > exp.end + timedelta(days=lag + 1)


def _review(config: ReviewConfig, tables: Tables, day: date, name: str, run: Runner) -> Any:
    as_of = as_of_from(None, config.source.timezone, day)
    assert as_of is not None  # an explicit end date always gives an as_of
    return review_experiment(config, tables, as_of, name, run)


def experiment_statuses(config: ReviewConfig, tables: Tables, day: date, run: Runner) -> tuple[ExperimentStatus, ...]:
    """The experiments worth a line on ``day``: those whose verdict changed since the day before, and the
    current verdict of those running (start <= day <= end).

    Each experiment is reviewed as of ``day`` and as of the day before. Experiments not started yet, or
    settled (a metric window past their end, so nothing can move), are not reviewed; without an assignments
    table the answer is empty and the Today page shows no experiment section.

    Parameters
    ----------
    config
        The review config.
    tables
        Canonical tables.
    day
        The checked day.
    run
        Executes a Select (the UI passes its cached runner).

    Returns
    -------
    tuple of ExperimentStatus
        Changed verdicts first, then in config order.
    """
    if tables.assignments is None:
        return ()
    out = []
    for exp in config.experiments:
        if (exp.start is not None and day < exp.start) or _settled(config, exp, day):
            continue
        running = (exp.start is None or exp.start <= day) and (exp.end is None or day <= exp.end)
        try:
            now = _review(config, tables, day, exp.name, run)
        except ReviewError as err:
            out.append(ExperimentStatus(exp.name, day, None, None, False, running, err.message))
            continue
        previous: VerdictLabel | None = None
        if exp.start is None or exp.start < day:
            try:
                previous = _review(config, tables, day - timedelta(days=1), exp.name, run).verdict
            except ReviewError:
                previous = None  # nobody assigned yet the day before: a start, not a change
        out.append(ExperimentStatus(exp.name, day, now.verdict, previous, now.provisional, running,
                                    now.reasons[0] if now.reasons else ""))
    return tuple(sorted((s for s in out if s.changed or s.running), key=lambda s: not s.changed))
