"""The experiment verdict against its predefined success bar (DESIGN.md section 5), as a pure function.

Precedence: INVALID (SRM p < 0.001, or an error-level quality problem) > DONT_SHIP (primary significantly
worse, a guardrail breach, or futility at/after the planned sample or end) > SHIP (bar met, every guardrail
passes, min_days reached) > KEEP_RUNNING. Before the planned sample or end, SHIP and DONT_SHIP also need the
always-valid interval (confidence sequence) to agree; otherwise the verdict is KEEP_RUNNING and the
fixed-horizon reading is reported as provisional. Every number is in the metric's "good" direction: for a
metric where lower is better the lift and its bounds are mirrored first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from scipy import stats as sps

from lib.stats.corrections import holm
from lib.stats.effects import EffectResult, one_sided_bounds, two_sided_interval
from lib.stats.sequential import DEFAULT_TUNING, sequential_interval, sequential_one_sided_bounds
from lib.stats.srm import SRM_THRESHOLD

VerdictLabel = Literal["SHIP", "DONT_SHIP", "KEEP_RUNNING", "INVALID"]
Rule = Literal["significant_and_above", "confidently_above"]
Reading = Literal["fixed", "sequential"]


@dataclass(frozen=True)
class Guardrail:
    """A guardrail metric's comparison and its non-inferiority margin (relative allowed drop, e.g. 0.05)."""

    metric: str
    result: EffectResult
    margin: float
    higher_is_better: bool = True


@dataclass(frozen=True)
class Verdict:
    """The decision for one treatment arm.

    ``decided_by`` names what settled it: ``srm``, ``data_quality``, ``primary_worse``,
    ``guardrail:<metric>``, ``futility``, the rule (``significant_and_above`` / ``confidently_above``),
    ``min_days`` or ``always_valid`` (the fixed-horizon reading is not yet confirmed).
    ``provisional`` is True before the planned sample or end when the verdict is not settled by the
    always-valid interval: the numbers are interim.
    """

    verdict: VerdictLabel
    provisional: bool
    reasons: tuple[str, ...]
    decided_by: str


@dataclass(frozen=True)
class _Read:
    """One metric seen through one reading, oriented so that positive is good."""

    est: float
    p: float
    low2: float
    high2: float
    low1: float
    high1: float


def _pct(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{x:+.1%}"


def _read(
    res: EffectResult, reading: Reading, higher: bool, alpha: float, tuning: float, p_adj: float | None
) -> _Read:
    if reading == "fixed":
        low2, high2 = two_sided_interval(res, alpha)
        low1, high1 = one_sided_bounds(res, alpha)
        p = _two_sided_p(res, alpha) if p_adj is None else p_adj
    else:
        seq = sequential_interval(res, alpha=alpha, tuning=tuning)
        low2, high2 = seq.ci_low, seq.ci_high
        low1, high1 = sequential_one_sided_bounds(res, alpha=alpha, tuning=tuning)
        p = seq.p_value if p_adj is None else p_adj
    if higher:
        return _Read(res.effect, p, low2, high2, low1, high1)
    return _Read(-res.effect, p, -high2, -low2, -high1, -low1)


def _two_sided_p(res: EffectResult, alpha: float) -> float:
    # The verdict always reads the two-sided test about 0, whatever alternative the result was built with.
    if not res.ok:
        return math.nan
    if res.alternative == "two-sided" and res.null == 0.0:
        return res.p_value
    return min(1.0, 2.0 * float(sps.t.sf(abs(res.effect / res.se), res.df)))


def _bar_met(r: _Read, rule: Rule, min_lift: float, alpha: float) -> bool:
    if rule == "significant_and_above":
        return r.p < alpha and r.est > 0.0 and r.est >= min_lift
    return r.low1 >= min_lift


def _worse(r: _Read, alpha: float) -> bool:
    return r.p < alpha and r.est < 0.0


def decide(
    primary: EffectResult,
    *,
    min_lift: float,
    rule: Rule = "significant_and_above",
    alpha: float = 0.05,
    guardrails: Sequence[Guardrail] = (),
    srm_p: float | None = None,
    quality_error: bool = False,
    min_days_reached: bool = True,
    horizon_reached: bool = True,
    higher_is_better: bool = True,
    sequential_tuning: float = DEFAULT_TUNING,
    p_adjusted: float | None = None,
    sequential_p_adjusted: float | None = None,
) -> Verdict:
    """Decide SHIP / DONT_SHIP / KEEP_RUNNING / INVALID for one treatment arm.

    Parameters
    ----------
    primary
        The primary metric's relative-lift comparison (treatment vs control).
    min_lift
        The success bar (relative).
    rule
        ``significant_and_above`` (p < alpha and lift ≥ bar) or ``confidently_above`` (one-sided lower
        bound ≥ bar).
    alpha
        Significance level of the experiment.
    guardrails
        Guardrail comparisons with their margins; all must pass (no multiplicity correction).
    srm_p
        SRM p-value; below 0.001 the experiment is INVALID. None when not computed.
    quality_error
        An error-level data-quality problem was found.
    min_days_reached
        The experiment has run ``min_days``.
    horizon_reached
        The planned sample or ``end`` is reached, or neither is configured (then the fixed-horizon test
        decides and futility applies).
    higher_is_better
        Direction of the primary metric.
    sequential_tuning
        N* of the always-valid interval computed here from each comparison.
    p_adjusted, sequential_p_adjusted
        Holm-adjusted primary p-values (fixed-horizon and always-valid) when there are several arms.

    Returns
    -------
    Verdict
    """
    reasons: list[str] = []
    srm_line = None
    if srm_p is not None and not math.isnan(srm_p):
        ok_srm = srm_p >= SRM_THRESHOLD
        srm_line = (
            f"SRM check {'passed' if ok_srm else 'failed'}: the observed split "
            f"{'matches' if ok_srm else 'differs from'} the planned weights (SRM p = {srm_p:.3g}, "
            f"threshold {SRM_THRESHOLD})."
        )
    if quality_error or (srm_p is not None and srm_p < SRM_THRESHOLD):
        if srm_p is not None and srm_p < SRM_THRESHOLD:
            reasons.append(
                "INVALID: sample ratio mismatch, so the results cannot be trusted; fix the assignment."
            )
            by = "srm"
        else:
            reasons.append(
                "INVALID: an error-level data-quality problem was found; fix it before reading results."
            )
            by = "data_quality"
        if srm_line:
            reasons.append(srm_line)
        return Verdict("INVALID", False, tuple(reasons), by)

    def reads(reading: Reading) -> tuple[_Read, list[tuple[Guardrail, _Read]]]:
        adj = p_adjusted if reading == "fixed" else sequential_p_adjusted
        prim = _read(primary, reading, higher_is_better, alpha, sequential_tuning, adj)
        gr = [
            (g, _read(g.result, reading, g.higher_is_better, alpha, sequential_tuning, None))
            for g in guardrails
        ]
        return prim, gr

    fixed, g_fixed = reads("fixed")
    seq, g_seq = reads("sequential")
    final = horizon_reached
    other: Rule = "confidently_above" if rule == "significant_and_above" else "significant_and_above"

    # --- the readings every page shows, whatever decides -----------------------------------------------
    detail: list[str] = []
    if not primary.ok:
        detail.append(
            f"The primary metric could not be tested ({primary.reason}); the verdict cannot be SHIP."
        )
    else:
        for name in (rule, other):
            met = _bar_met(fixed, name, min_lift, alpha)
            tag = "decides" if name == rule else "shown for reference"
            if name == "significant_and_above":
                detail.append(
                    f"Rule significant_and_above ({tag}): lift {_pct(fixed.est)}, p = {fixed.p:.3g} vs alpha "
                    f"{alpha:g}, bar {_pct(min_lift)}: {'met' if met else 'not met'}."
                )
            else:
                detail.append(
                    f"Rule confidently_above ({tag}): one-sided lower bound {_pct(fixed.low1)} vs bar "
                    f"{_pct(min_lift)}: {'met' if met else 'not met'}."
                )
    for g, r in g_fixed:
        margin = f"{_pct(-g.margin)}"
        if not g.result.ok:
            detail.append(
                f"Guardrail {g.metric} could not be tested ({g.result.reason}), so it does not pass."
            )
        elif r.low1 > -g.margin:
            detail.append(f"Guardrail {g.metric} passes: one-sided lower bound {_pct(r.low1)} > {margin}.")
        elif r.high1 < -g.margin:
            detail.append(
                f"Guardrail {g.metric} is breached: one-sided upper bound {_pct(r.high1)} < {margin}."
            )
        else:
            detail.append(
                f"Guardrail {g.metric} is not yet shown to pass: one-sided lower bound {_pct(r.low1)} "
                f"is not above {margin}."
            )
    if srm_line:
        detail.append(srm_line)

    # --- the fixed-horizon reading -----------------------------------------------------------------------
    def dont_cause(r: _Read, grs: list[tuple[Guardrail, _Read]], with_futility: bool) -> str | None:
        if _worse(r, alpha):
            return "primary_worse"
        for g, gr in grs:
            if gr.high1 < -g.margin:
                return f"guardrail:{g.metric}"
        if with_futility and r.high1 < min_lift:
            return "futility"
        return None

    def ship_block(r: _Read, grs: list[tuple[Guardrail, _Read]]) -> str | None:
        if not _bar_met(r, rule, min_lift, alpha):
            return rule
        for g, gr in grs:
            if not gr.low1 > -g.margin:
                return f"guardrail:{g.metric}"
        return None

    f_dont = dont_cause(fixed, g_fixed, with_futility=final)
    f_block = ship_block(fixed, g_fixed)
    if f_dont is None and f_block is None and not min_days_reached:
        f_block = "min_days"
    f_label: VerdictLabel = "DONT_SHIP" if f_dont else ("SHIP" if f_block is None else "KEEP_RUNNING")

    if final:
        label, by, provisional = f_label, (f_dont or (rule if f_label == "SHIP" else f_block) or rule), False
        timing = (
            "Final: the planned sample or end date is reached (or none is configured), so the fixed-horizon "
            "test decides."
        )
    else:
        s_dont = dont_cause(seq, g_seq, with_futility=False)
        s_block = ship_block(seq, g_seq)
        if f_dont and s_dont:
            label, by, provisional = "DONT_SHIP", f_dont, False
            timing = "Decided early: the always-valid interval agrees with the fixed-horizon test."
        elif f_label == "SHIP" and s_block is None:
            label, by, provisional = "SHIP", rule, False
            timing = "Decided early: the always-valid interval agrees with the fixed-horizon test."
        else:
            label, provisional = "KEEP_RUNNING", True
            by = "always_valid" if f_label != "KEEP_RUNNING" else (f_block or rule)
            interval = f"the always-valid interval is {_pct(seq.low2)} to {_pct(seq.high2)}"
            if f_label == "KEEP_RUNNING":
                timing = f"Provisional: the planned sample or end is not reached yet ({interval})."
            else:
                timing = (
                    f"Provisional: before the planned sample or end, the fixed-horizon reading ({f_label}) "
                    f"only counts when the always-valid interval agrees, and it does not yet ({interval})."
                )

    if label == "DONT_SHIP" and by == "primary_worse":
        first = "DONT_SHIP: the primary metric is significantly worse than control."
    elif label == "DONT_SHIP" and by == "futility":
        first = (
            f"DONT_SHIP: futility. At the planned sample or end the one-sided upper bound of the primary "
            f"({_pct(fixed.high1)}) is below the bar ({_pct(min_lift)})."
        )
    elif label == "DONT_SHIP":
        first = f"DONT_SHIP: guardrail {by.split(':', 1)[1]} is breached."
    elif label == "SHIP":
        first = f"SHIP: the bar is met under rule {rule}, every guardrail passes and min_days is reached."
    elif by == "min_days":
        first = "KEEP_RUNNING: the bar is met but the experiment has not yet run min_days."
    elif by.startswith("guardrail:"):
        first = f"KEEP_RUNNING: guardrail {by.split(':', 1)[1]} does not pass yet."
    elif by == "always_valid":
        first = f"KEEP_RUNNING: the fixed-horizon reading says {f_label}, but it is not confirmed yet."
    else:
        first = f"KEEP_RUNNING: the bar is not met under rule {rule} yet."
    return Verdict(label, provisional, (first, *detail, timing), by)


def decide_arms(
    primaries: Mapping[str, EffectResult],
    guardrails: Mapping[str, Sequence[Guardrail]] | None = None,
    *,
    min_lift: float,
    rule: Rule = "significant_and_above",
    alpha: float = 0.05,
    srm_p: float | None = None,
    quality_error: bool = False,
    min_days_reached: bool = True,
    horizon_reached: bool = True,
    higher_is_better: bool = True,
    sequential_tuning: float = DEFAULT_TUNING,
) -> dict[str, Verdict]:
    """One verdict per treatment arm against control, with Holm across arms on the primary p-values.

    Parameters
    ----------
    primaries
        Primary comparison per treatment arm (variant name → result).
    guardrails
        Guardrail comparisons per treatment arm.
    min_lift, rule, alpha, srm_p, quality_error
        As in :func:`decide`.
    min_days_reached, horizon_reached, higher_is_better, sequential_tuning
        As in :func:`decide`.

    Returns
    -------
    dict
        Variant name → Verdict, in the order of ``primaries``.
    """
    names = list(primaries)
    fixed_adj: list[float | None] = [None] * len(names)
    seq_adj: list[float | None] = [None] * len(names)
    if len(names) > 1:
        fixed_adj = list(holm([_two_sided_p(primaries[n], alpha) for n in names]))
        seq_p = [
            sequential_interval(primaries[n], alpha=alpha, tuning=sequential_tuning).p_value for n in names
        ]
        seq_adj = list(holm(seq_p))
    out: dict[str, Verdict] = {}
    for i, name in enumerate(names):
        out[name] = decide(
            primaries[name],
            min_lift=min_lift,
            rule=rule,
            alpha=alpha,
            guardrails=tuple((guardrails or {}).get(name, ())),
            srm_p=srm_p,
            quality_error=quality_error,
            min_days_reached=min_days_reached,
            horizon_reached=horizon_reached,
            higher_is_better=higher_is_better,
            sequential_tuning=sequential_tuning,
            p_adjusted=fixed_adj[i],
            sequential_p_adjusted=seq_adj[i],
        )
    return out
