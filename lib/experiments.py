"""The result of an experiment review, and the planning numbers it carries (DESIGN.md sections 5 and 6).

:class:`ExperimentReview` is what the experiments page, the ``experiment`` command and the narrative read;
:func:`lib.metrics.experiment_review.review_experiment` builds it. :func:`plan` computes where a test stands
against its plan (MDE at the current sample, the sample the rule needs, days left) from lib.stats.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import pandas as pd

from lib.config import ExperimentConfig, MetricConfig, ReviewConfig
from lib.errors import ReviewError
from lib.stats import SampleStats, SrmResult, days_left, mde_at_n, required_n_for_rule
from lib.stats.verdict import VerdictLabel

Role = Literal["primary", "guardrail", "secondary"]
ROLES: tuple[Role, ...] = ("primary", "guardrail", "secondary")


@dataclass(frozen=True)
class MetricRow:
    """One metric of one treatment arm against control (the ``metrics`` list of the CLI contract).

    ``ci_low``/``ci_high`` are the two-sided (1 - alpha) interval on the relative lift. ``threshold`` is the
    line the row is judged against on the relative-lift axis: the bar (primary), minus the margin (guardrail;
    plus the margin for a lower-is-better metric), None for secondaries. ``status`` is a short word for
    the table: ``bar met``, ``bar not met``, ``worse``, ``pass``, ``breach``, ``not yet shown``,
    ``significant``, ``not significant`` or ``inconclusive``; ``reason`` carries the code of the latter.
    """

    metric: str
    role: Role
    variant: str
    n: int
    mean: float
    control_n: int
    control_mean: float
    abs_lift: float
    rel_lift: float
    ci_low: float
    ci_high: float
    p_value: float
    p_adjusted: float
    maturing: int
    higher_is_better: bool
    threshold: float | None
    status: str
    reason: str | None
    cuped: bool


@dataclass(frozen=True)
class VariantCount:
    """Users of one variant: every assigned user (raw), single-variant users, exposed, and the SRM target."""

    variant: str
    weight: float
    raw_users: int
    assigned: int
    exposed: int
    expected: float

    @property
    def never_exposed(self) -> int:
        """Assigned users never exposed: reported, not analysed."""
        return self.assigned - self.exposed


@dataclass(frozen=True)
class ArmVerdict:
    """The verdict of one treatment arm against control."""

    variant: str
    verdict: VerdictLabel
    provisional: bool
    reasons: tuple[str, ...]
    decided_by: str


@dataclass(frozen=True)
class DayLift:
    """The primary metric's relative lift among users exposed on one local day (the novelty view)."""

    day: date
    variant: str
    n: int
    control_n: int
    rel_lift: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class ExperimentReview:
    """Everything the page, the CLI and the narrative say about one experiment."""

    experiment: str
    config: ExperimentConfig
    primary: MetricConfig
    as_of: date
    verdict: VerdictLabel
    provisional: bool
    reasons: tuple[str, ...]
    decided_by: str
    arms: tuple[ArmVerdict, ...]
    srm: SrmResult
    variants: tuple[VariantCount, ...]
    rows: tuple[MetricRow, ...]
    maturing: int
    multi_variant_users: int
    multi_variant_examples: tuple[str, ...]
    never_exposed: int
    planning: Planning
    lift_by_day: tuple[DayLift, ...]
    exposures: tuple[tuple[date, str, int], ...]

    @property
    def srm_p(self) -> float:
        """The SRM p-value (after excluding multi-variant users)."""
        return self.srm.p_value


@dataclass(frozen=True)
class Planning:
    """Where the experiment stands against its plan (counts are per arm; the smallest arm counts).

    Attributes
    ----------
    current_n
        Users per arm with a mature primary window (the smallest arm).
    exposed_n
        Users exposed per arm so far, mature or not (the smallest arm).
    mde
        Relative lift of the primary detectable at ``current_n`` with the configured power (NaN: unknown).
    required_n
        Users per arm at which the rule is met with that power if the true lift is ``planned_lift``; None
        without ``planned_lift`` or when it cannot be computed.
    exposures_per_day
        Recent pace: new exposures per arm per day over the last 7 days (the smallest arm).
    days_left
        Days until ``required_n`` at that pace (0 when reached, None when unknown).
    days_run
        Local days from start to as_of (or end, if earlier), inclusive.
    min_days_reached, horizon_reached
        Inputs of the verdict: ``min_days`` run; planned sample or end reached (or neither configured).
    sentences
        Plain-language lines for the reasons.
    """

    current_n: int
    exposed_n: int
    mde: float
    required_n: int | None
    exposures_per_day: float | None
    days_left: float | None
    days_run: int
    min_days_reached: bool
    horizon_reached: bool
    sentences: tuple[str, ...]


def plan(
    exp: ExperimentConfig,
    primary: MetricConfig,
    control: SampleStats,
    prim_rows: Sequence[MetricRow],
    vcounts: Sequence[VariantCount],
    exposures: Sequence[tuple[date, str, int]],
    as_of: date,
) -> Planning:
    """The planning numbers of section 5: MDE at the current sample, required sample, days left.

    Parameters
    ----------
    exp, primary
        The experiment and its primary metric.
    control
        The control arm's primary statistics (its mean is the baseline).
    prim_rows
        The primary rows (one per treatment arm).
    vcounts
        Users per variant.
    exposures
        New exposures per (day, variant).
    as_of
        Last complete local date.

    Returns
    -------
    Planning
    """
    current = min([control.n, *(r.n for r in prim_rows)])
    exposed_n = min(v.exposed for v in vcounts)
    binary = primary.kind != "mean"
    base = control.mean
    variance = None if binary else control.variance
    known = math.isfinite(base) and base != 0 and (variance is None or variance > 0)
    mde = mde_at_n(current, base, variance=variance, alpha=exp.alpha, power=exp.power)
    mde = mde if known and current >= 2 else math.nan
    required = None
    if exp.planned_lift is not None and known:
        required = required_n_for_rule(
            base, abs(exp.planned_lift), abs(exp.min_lift), rule=exp.rule, variance=variance,
            alpha=exp.alpha, power=exp.power,
        )
    start = exp.start or min((d for d, _, _ in exposures), default=as_of)
    first, last = recent_window(as_of, exp.end)
    first = max(first, start)  # a test younger than a week: average over the days it has run
    recent: dict[str, int] = {v.variant: 0 for v in vcounts}
    for day, variant, n in exposures:
        if first <= day <= last and variant in recent:
            recent[variant] += n
    span = (last - first).days + 1
    rate = min(recent.values()) / span if recent and span > 0 else None
    left = days_left(required, exposed_n, rate)
    days_run = max(0, (min(as_of, exp.end or as_of) - start).days + 1)
    end_reached = exp.end is not None and as_of >= exp.end
    sample_reached = required is not None and current >= required
    horizon = end_reached or sample_reached or (exp.planned_lift is None and exp.end is None)
    lines = []
    if math.isfinite(mde):
        lines.append(
            f"At the current sample ({current:,} users per arm) the smallest lift of {primary.name} this "
            f"test can detect with {exp.power:.0%} power is {mde:+.1%} (the bar is {exp.min_lift:+.1%})."
        )
    if exp.planned_lift is None:
        lines.append("No planned_lift is configured, so the sample the rule needs is not computed.")
    elif required is None:
        lines.append("The sample the rule needs cannot be computed from the current control baseline.")
    elif sample_reached:
        lines.append(f"The planned sample of {required:,} users per arm is reached.")
    elif exposed_n >= required:
        lines.append(
            f"Enough users are exposed ({exposed_n:,} per arm) for the planned {required:,}; the reading "
            f"becomes final once {required:,} per arm have a complete {primary.name} window."
        )
    elif left is not None and not end_reached:
        lines.append(
            f"About {math.ceil(left)} more days to reach the planned {required:,} users per arm at the "
            f"recent pace of {rate or 0:,.0f} exposures per arm per day."
        )
    else:
        lines.append(
            f"{max(required - current, 0):,} more users per arm are needed to reach the planned {required:,}."
        )
    if not days_run >= exp.min_days:
        lines.append(f"The experiment has run {days_run} of its {exp.min_days} minimum days.")
    ran = days_run >= exp.min_days
    return Planning(current, exposed_n, mde, required, rate, left, days_run, ran, horizon, tuple(lines))


def find_experiment(config: ReviewConfig, name: str) -> ExperimentConfig:
    """The experiment called ``name``, or a ReviewError listing the configured ones.

    Parameters
    ----------
    config
        The review config.
    name
        Experiment name.

    Returns
    -------
    ExperimentConfig
    """
    for exp in config.experiments:
        if exp.name == name:
            return exp
    names = ", ".join(e.name for e in config.experiments) or "none"
    where = config.path or "review.toml"
    raise ReviewError(
        f"No experiment named {name!r} in {where} (configured: {names}). Add an [[experiments]] entry or "
        "pick one of those."
    )


def recent_window(as_of: date, end: date | None, days: int = 7) -> tuple[date, date]:
    """The last ``days`` local days up to as_of (or the planned end, if earlier): the "recent pace".

    Parameters
    ----------
    as_of
        The last complete local date.
    end
        The experiment's planned end.
    days
        Window length.

    Returns
    -------
    tuple of date
        Inclusive first and last day.
    """
    last = min(as_of, end) if end is not None else as_of
    return last - timedelta(days=days - 1), last


def nan_to_none(x: float | None) -> float | None:
    """A float for JSON: NaN and infinities become None."""
    return None if x is None or not math.isfinite(x) else float(x)


def rows_frame(review: ExperimentReview) -> pd.DataFrame:
    """The per-metric table of the page: one row per (metric, arm) with lift, CI, p-values, bar and status.

    Parameters
    ----------
    review
        An assembled review.

    Returns
    -------
    pandas.DataFrame
        Columns ``metric, role, variant, n, mean, control_n, control_mean, abs_lift, rel_lift, ci_low,
        ci_high, p_value, p_adjusted, threshold, status, maturing``.
    """
    cols = (
        "metric", "role", "variant", "n", "mean", "control_n", "control_mean", "abs_lift", "rel_lift",
        "ci_low", "ci_high", "p_value", "p_adjusted", "threshold", "status", "maturing",
    )
    return pd.DataFrame([{c: getattr(r, c) for c in cols} for r in review.rows], columns=list(cols))


def variants_frame(review: ExperimentReview) -> pd.DataFrame:
    """Users per variant for the SRM panel: planned weight, raw, assigned, exposed, never exposed, expected.

    Parameters
    ----------
    review
        An assembled review.

    Returns
    -------
    pandas.DataFrame
        Columns ``variant, weight, raw_users, assigned, exposed, never_exposed, expected``.
    """
    cols = ["variant", "weight", "raw_users", "assigned", "exposed", "never_exposed", "expected"]
    return pd.DataFrame([{c: getattr(v, c) for c in cols} for v in review.variants], columns=cols)
