"""Funnel results: frozen dataclasses built from the aggregate rows of lib/metrics/funnels.py.

Pure Python on one row per segment (or per segment and entry period); no SQL here. Charts, narrative, the CLI
and the pages all read these objects, so a number means the same thing everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import pandas as pd

FunnelStatus = Literal["ok", "no_entries"]
CONTRACT_COLUMNS: tuple[str, ...] = ("step_index", "step", "users", "step_rate", "overall_rate")


@dataclass(frozen=True)
class FunnelStep:
    """One step of a funnel, over mature entries.

    Attributes
    ----------
    index
        1-based position.
    step
        Event name.
    users
        Users who reached this step inside the window.
    step_rate
        users / users of the previous step (1.0 for step 1; NaN when the previous step had nobody).
    overall_rate
        users / users of step 1 (1.0 for step 1; NaN without entries).
    dropped
        Users of the previous step who did not reach this one (0 for step 1).
    p50_hours, p75_hours, p90_hours
        Hours from the previous step to this one among users who reached it (None for step 1 or nobody).
    """

    index: int
    step: str
    users: int
    step_rate: float
    overall_rate: float
    dropped: int
    p50_hours: float | None = None
    p75_hours: float | None = None
    p90_hours: float | None = None


@dataclass(frozen=True)
class FunnelResult:
    """A funnel for one segment.

    Attributes
    ----------
    name
        The funnel's name (config) or ``"ad hoc"``.
    segment
        The segment value as text (``"all"`` without a breakdown; ``"before"``/``"after"`` for a release
        split;
        ``"(missing)"`` for a NULL attribute).
    window_days
        N of the conversion window.
    entered
        Mature entries (the denominator).
    maturing
        Entries whose window has not ended by as_of (not counted anywhere else).
    steps
        One :class:`FunnelStep` per step.
    status
        ``"ok"`` or ``"no_entries"`` (no mature entry: rates are NaN).
    reason
        Why the result is degenerate, in plain words; None when ok.
    """

    name: str
    segment: str
    window_days: int
    entered: int
    maturing: int
    steps: tuple[FunnelStep, ...]
    status: FunnelStatus = "ok"
    reason: str | None = None

    @property
    def overall_rate(self) -> float:
        """Share of mature entries that reached the last step (NaN without entries)."""
        return self.steps[-1].overall_rate


@dataclass(frozen=True)
class FunnelPeriod:
    """Conversion of the users who entered in one period (conversion over time).

    Attributes
    ----------
    segment
        Segment value as text.
    period_start
        First local date of the entry period.
    entered
        All entries of the period.
    maturing
        Entries whose window has not ended by as_of.
    converted
        Entries that reached the last step.
    rate
        converted / entered.
    mature
        True when every entry's window has ended: an immature period's rate can still rise; show it marked and
        never average it.
    """

    segment: str
    period_start: date
    entered: int
    maturing: int
    converted: int
    rate: float
    mature: bool


def _ratio(num: int, den: int) -> float:
    return num / den if den > 0 else math.nan


def _hours(value: Any) -> float | None:
    if value is None:
        return None
    x = float(value)
    return None if math.isnan(x) else x


def segment_label(value: Any) -> str:
    """The text shown for a segment value (NULL becomes ``"(missing)"``).

    Parameters
    ----------
    value
        The raw value from the database.

    Returns
    -------
    str
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "(missing)"
    return str(value)


def funnel_results(
    frame: pd.DataFrame, steps: Sequence[str], window_days: int, name: str = "ad hoc"
) -> tuple[FunnelResult, ...]:
    """Turn the rows of :func:`lib.metrics.funnels.funnel_select` into one result per segment.

    Parameters
    ----------
    frame
        The executed Select.
    steps
        The step event names, in order.
    window_days
        N.
    name
        The funnel's name.

    Returns
    -------
    tuple of FunnelResult
        In the Select's segment order; a single ``no_entries`` result for ``"all"`` when the frame is empty.
    """
    if frame.empty:
        return (_empty(steps, window_days, name, "all", 0),)
    out = []
    for row in frame.to_dict("records"):
        segment = segment_label(row["segment"])
        counts = [int(row[f"reached_{k}"]) for k in range(1, len(steps) + 1)]
        maturing = int(row["maturing"] or 0)
        if counts[0] == 0:
            out.append(_empty(steps, window_days, name, segment, maturing))
            continue
        rows = []
        for k, step in enumerate(steps, start=1):
            users = counts[k - 1]
            prev = counts[k - 2] if k > 1 else users
            rows.append(
                FunnelStep(
                    index=k,
                    step=step,
                    users=users,
                    step_rate=1.0 if k == 1 else _ratio(users, prev),
                    overall_rate=1.0 if k == 1 else _ratio(users, counts[0]),
                    dropped=0 if k == 1 else prev - users,
                    p50_hours=_hours(row.get(f"p50_{k}")),
                    p75_hours=_hours(row.get(f"p75_{k}")),
                    p90_hours=_hours(row.get(f"p90_{k}")),
                )
            )
        out.append(FunnelResult(name, segment, window_days, counts[0], maturing, tuple(rows)))
    return tuple(out)


def _empty(steps: Sequence[str], window_days: int, name: str, segment: str, maturing: int) -> FunnelResult:
    rows = tuple(
        FunnelStep(k, s, 0, 1.0 if k == 1 else math.nan, 1.0 if k == 1 else math.nan, 0)
        for k, s in enumerate(steps, start=1)
    )
    reason = (
        f"No user entered this funnel with a complete {window_days}-day window"
        + (f" ({maturing} still inside their window)" if maturing else "")
        + ". Widen the date range, or wait for the window to end."
    )
    return FunnelResult(name, segment, window_days, 0, maturing, rows, "no_entries", reason)


def funnel_table(results: Sequence[FunnelResult], with_segment: bool) -> pd.DataFrame:
    """The ``funnel`` command's output: ``[segment,] step_index, step, users, step_rate, overall_rate``.

    Parameters
    ----------
    results
        From :func:`funnel_results`.
    with_segment
        Whether to lead with the ``segment`` column (a breakdown was asked for).

    Returns
    -------
    pandas.DataFrame
        Exactly the contract's columns in order.
    """
    records = [
        {
            "segment": r.segment,
            "step_index": s.index,
            "step": s.step,
            "users": s.users,
            "step_rate": s.step_rate,
            "overall_rate": s.overall_rate,
        }
        for r in results
        for s in r.steps
    ]
    columns = (["segment"] if with_segment else []) + list(CONTRACT_COLUMNS)
    return pd.DataFrame(records, columns=["segment", *CONTRACT_COLUMNS])[columns]


def steps_frame(results: Sequence[FunnelResult]) -> pd.DataFrame:
    """Every step of every segment with drop-off and times to convert (for charts and downloads).

    Parameters
    ----------
    results
        From :func:`funnel_results`.

    Returns
    -------
    pandas.DataFrame
        Columns ``segment, step_index, step, users, step_rate, overall_rate, dropped, p50_hours, p75_hours,
        p90_hours, entered, maturing``.
    """
    return pd.DataFrame(
        [
            {
                "segment": r.segment,
                "step_index": s.index,
                "step": s.step,
                "users": s.users,
                "step_rate": s.step_rate,
                "overall_rate": s.overall_rate,
                "dropped": s.dropped,
                "p50_hours": s.p50_hours,
                "p75_hours": s.p75_hours,
                "p90_hours": s.p90_hours,
                "entered": r.entered,
                "maturing": r.maturing,
            }
            for r in results
            for s in r.steps
        ]
    )


def trend_results(frame: pd.DataFrame, n_steps: int) -> tuple[FunnelPeriod, ...]:
    """Turn the rows of :func:`lib.metrics.funnels.funnel_trend_select` into periods.

    Parameters
    ----------
    frame
        The executed Select.
    n_steps
        Number of steps (the last one is "converted").

    Returns
    -------
    tuple of FunnelPeriod
    """
    out = []
    for row in frame.to_dict("records"):
        entered = int(row["entered"])
        maturing = int(row["maturing"] or 0)
        converted = int(row[f"reached_{n_steps}"])
        out.append(
            FunnelPeriod(
                segment=segment_label(row["segment"]),
                period_start=pd.Timestamp(row["period_start"]).date(),
                entered=entered,
                maturing=maturing,
                converted=converted,
                rate=_ratio(converted, entered),
                mature=maturing == 0,
            )
        )
    return tuple(out)


def trend_frame(periods: Sequence[FunnelPeriod]) -> pd.DataFrame:
    """Periods as a table: ``segment, period_start, entered, maturing, converted, rate, mature``.

    Parameters
    ----------
    periods
        From :func:`trend_results`.

    Returns
    -------
    pandas.DataFrame
    """
    cols = ["segment", "period_start", "entered", "maturing", "converted", "rate", "mature"]
    return pd.DataFrame([{c: getattr(p, c) for c in cols} for p in periods], columns=cols)
