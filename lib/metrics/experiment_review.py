"""Assemble an experiment's review: config + the sufficient statistics SQL returns + lib.stats.

:func:`review_experiment` runs the Selects of :mod:`lib.metrics.experiments` and hands the aggregates to
:func:`assemble`, which is pure: per-metric comparisons (CUPED when configured), SRM after excluding users
seen in several variants, Holm across arms on the primary and across (secondary x arm), the planning numbers
and the verdict of :func:`lib.stats.verdict.decide_arms` with its plain-language reasons (DESIGN.md
section 5). Statistics formulas live in lib.stats only; this module decides what to compare and says why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa

from lib.config import ExperimentConfig, MetricConfig, ReviewConfig
from lib.definitions import AsOf
from lib.errors import ReviewError
from lib.experiments import (
    ArmVerdict,
    DayLift,
    ExperimentReview,
    MetricRow,
    Planning,
    Role,
    VariantCount,
    find_experiment,
    plan,
)
from lib.metrics import experiments as sql
from lib.schema import Tables
from lib.stats import (
    CovariateStats,
    EffectResult,
    Guardrail,
    SampleStats,
    compare,
    cuped_compare,
    decide_arms,
    holm,
    one_sided_bounds,
    srm_test,
)

Runner = Callable[[sa.Select[Any]], pd.DataFrame]


def _metric_roles(config: ReviewConfig, exp: ExperimentConfig) -> list[tuple[Role, MetricConfig]]:
    wanted: list[tuple[Role, str]] = [("primary", exp.primary)]
    wanted += [("guardrail", m) for m in exp.guardrails] + [("secondary", m) for m in exp.secondary]
    out = []
    for role, name in wanted:
        if name not in config.metrics:
            defined = ", ".join(config.metrics) or "none"
            raise ReviewError(
                f"Experiment {exp.name!r} uses metric {name!r} as {role}, but no [metrics.{name}] is defined "
                f"(defined: {defined}). Define it in review.toml or fix the experiment."
            )
        out.append((role, config.metrics[name]))
    return out


def review_experiment(
    config: ReviewConfig, tables: Tables, as_of: AsOf, name: str, run: Runner
) -> ExperimentReview:
    """Query and assemble the review of one experiment.

    Parameters
    ----------
    config
        The review config.
    tables
        Canonical tables (with assignments).
    as_of
        The data's as_of: only users whose windows ended by then are analysed.
    name
        The experiment's name.
    run
        Executes a Select (``ctx.run`` or the UI's cached runner).

    Returns
    -------
    ExperimentReview

    Raises
    ------
    ReviewError
        Unknown experiment, a metric missing from the config, no assignments table, nobody assigned, or a
        variant in the data missing from ``weights``.
    """
    exp = find_experiment(config, name)
    roles = _metric_roles(config, exp)
    counts = run(sql.variant_counts(tables, exp, as_of))
    if counts.empty:
        raise ReviewError(
            f"No user is assigned to experiment {name!r} in the assignments table. Check that the name in "
            "review.toml matches the experiment column exactly."
        )
    unknown = sorted(set(counts["variant"].astype(str)) - set(exp.weights))
    if unknown:
        raise ReviewError(
            f"The assignments of {name!r} contain variant {', '.join(map(repr, unknown))}, which is not in "
            f"its weights ({', '.join(exp.weights)}). Add it to weights in the [[experiments]] entry of "
            "review.toml."
        )
    unique = list({m.name: m for _, m in roles}.values())
    activity = config.activity.events
    stats = run(sql.metric_stats(tables, exp, unique, as_of, activity))
    no_cuped = replace(exp, cuped_days=None)
    by_day = run(sql.metric_stats(tables, no_cuped, [roles[0][1]], as_of, activity, by_exposure_day=True))
    return assemble(
        exp,
        roles,
        as_of.date,
        counts,
        stats,
        multi=run(sql.multi_variant_users(tables, exp)),
        daily=run(sql.exposures_by_day(tables, exp, as_of)),
        by_day=by_day,
    )


def _arm_stats(stats: pd.DataFrame) -> dict[tuple[str, str], CovariateStats]:
    out = {}
    cuped = all(c in stats.columns for c in sql.CUPED_COLUMNS)
    for r in stats.itertuples(index=False):
        d = r._asdict()
        out[(str(d["metric"]), str(d["variant"]))] = CovariateStats(
            int(d["n"]),
            float(d["sum"]),
            float(d["sum_sq"]),
            float(d["sum_x"]) if cuped else 0.0,
            float(d["sum_x2"]) if cuped else 0.0,
            float(d["sum_xy"]) if cuped else 0.0,
        )
    return out


def _maturing(stats: pd.DataFrame, metric: str) -> dict[str, int]:
    sub = stats[stats["metric"] == metric]
    return {str(v): int(m) for v, m in zip(sub["variant"], sub["maturing"], strict=True)}


def _compare(c: CovariateStats, t: CovariateStats, metric: MetricConfig, alpha: float, cuped: bool
             ) -> tuple[EffectResult, bool]:
    binary = metric.kind != "mean"
    if cuped:
        res = cuped_compare(c, t, alpha=alpha, binary=binary)
        return res.result, res.applied
    return compare(c.outcome, t.outcome, alpha=alpha, binary=binary), False


def _status(role: Role, res: EffectResult, metric: MetricConfig, exp: ExperimentConfig, p_adj: float
            ) -> tuple[str, float | None]:
    sign = 1.0 if metric.higher_is_better else -1.0
    if role == "guardrail":
        margin = exp.guardrails[metric.name]
        threshold = -sign * margin
    elif role == "primary":
        threshold = sign * exp.min_lift
    else:
        threshold = None
    if not res.ok:
        return "inconclusive", threshold
    lo, hi = one_sided_bounds(res, exp.alpha)
    good_lo, good_hi = (lo, hi) if metric.higher_is_better else (-hi, -lo)
    worse = p_adj < exp.alpha and sign * res.effect < 0
    if role == "guardrail":
        margin = exp.guardrails[metric.name]
        word = "pass" if good_lo > -margin else "breach" if good_hi < -margin else "not yet shown"
        return word, threshold
    if role == "secondary":
        return ("significant" if p_adj < exp.alpha else "not significant"), threshold
    if worse:
        return "worse", threshold
    if exp.rule == "confidently_above":
        met = good_lo >= exp.min_lift
    else:
        met = p_adj < exp.alpha and sign * res.effect >= exp.min_lift and sign * res.effect > 0
    return ("bar met" if met else "bar not met"), threshold


def assemble(
    exp: ExperimentConfig,
    roles: Sequence[tuple[Role, MetricConfig]],
    as_of: date,
    counts: pd.DataFrame,
    stats: pd.DataFrame,
    multi: pd.DataFrame,
    daily: pd.DataFrame,
    by_day: pd.DataFrame,
) -> ExperimentReview:
    """Turn the query results into the review (pure: no SQL).

    Parameters
    ----------
    exp
        The experiment.
    roles
        (role, metric) pairs, the primary first.
    as_of
        The last complete local date.
    counts, stats, multi, daily, by_day
        Results of :func:`lib.metrics.experiments.variant_counts`, ``metric_stats``, ``multi_variant_users``,
        ``exposures_by_day`` and ``metric_stats(..., by_exposure_day=True)`` on the primary.

    Returns
    -------
    ExperimentReview
    """
    variants = list(exp.weights)
    arms = [v for v in variants if v != exp.control]
    cnt = {str(r.variant): r for r in counts.itertuples(index=False)}
    exposed = [int(cnt[v].exposed) if v in cnt else 0 for v in variants]
    srm = srm_test(exposed, [exp.weights[v] for v in variants])
    vcounts = tuple(
        VariantCount(
            v,
            exp.weights[v],
            int(cnt[v].raw_users) if v in cnt else 0,
            int(cnt[v].assigned) if v in cnt else 0,
            exposed[i],
            srm.expected[i],
        )
        for i, v in enumerate(variants)
    )
    arm_stats = _arm_stats(stats)
    empty = CovariateStats(0, 0.0, 0.0, 0.0, 0.0, 0.0)
    cuped = exp.cuped_days is not None
    results: dict[tuple[Role, str, str], tuple[EffectResult, bool]] = {}
    for role, m in roles:
        for arm in arms:
            c = arm_stats.get((m.name, exp.control), empty)
            t = arm_stats.get((m.name, arm), empty)
            results[(role, m.name, arm)] = _compare(c, t, m, exp.alpha, cuped)

    # Holm across arms on the primary, across (secondary x arm) for secondaries; guardrails uncorrected.
    adjusted: dict[tuple[Role, str, str], float] = {}
    for role in ("primary", "secondary"):
        keys = [k for k in results if k[0] == role]
        for k, p in zip(keys, holm([results[k][0].p_value for k in keys]), strict=True):
            adjusted[k] = p
    rows = []
    for role, m in roles:
        matur = _maturing(stats, m.name)
        for arm in arms:
            key = (role, m.name, arm)
            res, applied = results[key]
            p_adj = adjusted.get(key, res.p_value)
            status, threshold = _status(role, res, m, exp, p_adj)
            rows.append(MetricRow(
                m.name, role, arm, res.treatment_n, res.treatment_mean, res.control_n, res.control_mean,
                res.abs_lift, res.rel_lift, res.ci_low, res.ci_high, res.p_value, p_adj,
                matur.get(arm, 0), m.higher_is_better, threshold, status, res.reason, applied,
            ))

    primary = roles[0][1]
    prim_rows = [r for r in rows if r.role == "primary"]
    maturing = sum(_maturing(stats, primary.name).values())
    exposures = tuple(
        (pd.Timestamp(r.day).date(), str(r.variant), int(r.exposed)) for r in daily.itertuples(index=False)
    )
    control_stats = arm_stats.get((primary.name, exp.control), empty).outcome
    planning = plan(exp, primary, control_stats, prim_rows, vcounts, exposures, as_of)
    primaries = {arm: results[("primary", primary.name, arm)][0] for arm in arms}
    guard = {
        arm: [
            Guardrail(m.name, results[("guardrail", m.name, arm)][0], exp.guardrails[m.name],
                      m.higher_is_better)
            for role, m in roles
            if role == "guardrail"
        ]
        for arm in arms
    }
    verdicts = decide_arms(
        primaries,
        guard,
        min_lift=exp.min_lift,
        rule=exp.rule,
        alpha=exp.alpha,
        srm_p=srm.p_value if srm.status == "ok" else None,
        min_days_reached=planning.min_days_reached,
        horizon_reached=planning.horizon_reached,
        higher_is_better=primary.higher_is_better,
    )
    arm_verdicts = tuple(
        ArmVerdict(a, v.verdict, v.provisional, v.reasons, v.decided_by) for a, v in verdicts.items()
    )
    overall = _overall(arm_verdicts)
    n_multi = int(multi["total"].iloc[0]) if len(multi) else 0
    examples = tuple(str(u) for u in multi["user_id"]) if len(multi) else ()
    never = sum(v.never_exposed for v in vcounts)
    extra = _extra_reasons(exp, primary, vcounts, maturing, n_multi, examples, never, planning)
    plain = sorted({r.metric for r in rows if cuped and not r.cuped})
    if plain:
        extra.append(
            f"CUPED ({exp.cuped_days} days before exposure) was not applied to {', '.join(plain)}: the "
            "pre-exposure values do not vary (e.g. new users have no history), so the plain estimate is used."
        )
    if len(arm_verdicts) == 1:
        head: list[str] = list(overall.reasons)
    else:
        head = [f"Overall {overall.verdict}: the best arm decides ({overall.variant})."]
        head += [f"{a.variant}: {line}" for a in arm_verdicts for line in a.reasons]
    return ExperimentReview(
        experiment=exp.name,
        config=exp,
        primary=primary,
        as_of=as_of,
        verdict=overall.verdict,
        provisional=overall.provisional,
        reasons=tuple(head + extra),
        decided_by=overall.decided_by,
        arms=arm_verdicts,
        srm=srm,
        variants=vcounts,
        rows=tuple(rows),
        maturing=maturing,
        multi_variant_users=n_multi,
        multi_variant_examples=examples,
        never_exposed=never,
        planning=planning,
        lift_by_day=_lift_by_day(by_day, exp, primary, arms),
        exposures=exposures,
    )


def _overall(arms: Sequence[ArmVerdict]) -> ArmVerdict:
    # SRM is shared, so one INVALID arm means all are; otherwise ship the best shippable arm, give up only
    # when every arm is DONT_SHIP, and keep running in between.
    order: Mapping[str, int] = {"INVALID": 0, "SHIP": 1, "KEEP_RUNNING": 2, "DONT_SHIP": 3}
    return min(arms, key=lambda a: order[a.verdict])


def _extra_reasons(
    exp: ExperimentConfig,
    primary: MetricConfig,
    vcounts: Sequence[VariantCount],
    maturing: int,
    n_multi: int,
    examples: Sequence[str],
    never: int,
    planning: Planning,
) -> list[str]:
    out = []
    if maturing:
        window = f"day {primary.day}" if primary.kind == "retention" else f"{primary.window_days}-day window"
        out.append(
            f"{maturing:,} exposed users are still inside the {window} of {primary.name} and are not counted "
            "yet."
        )
    if n_multi:
        raw = ", ".join(f"{v.variant} {v.raw_users:,}" for v in vcounts)
        out.append(
            f"{n_multi:,} users were assigned to several variants and are excluded (e.g. user "
            f"{', '.join(examples[:3])}); SRM is computed after excluding them (raw counts: {raw})."
        )
    if never:
        out.append(f"{never:,} assigned users were never exposed; they are reported, not analysed.")
    out.extend(planning.sentences)
    return out


def _lift_by_day(by_day: pd.DataFrame, exp: ExperimentConfig, primary: MetricConfig, arms: Sequence[str]
                 ) -> tuple[DayLift, ...]:
    out = []
    binary = primary.kind != "mean"
    for day, group in by_day.groupby("exposure_date", sort=True):
        st = {
            str(r.variant): SampleStats(int(r.n), float(r.sum), float(r.sum_sq))
            for r in group.itertuples(index=False)
        }
        c = st.get(exp.control, SampleStats(0, 0.0, 0.0))
        for arm in arms:
            t = st.get(arm, SampleStats(0, 0.0, 0.0))
            if c.n == 0 and t.n == 0:
                continue
            res = compare(c, t, alpha=exp.alpha, binary=binary)
            day_ = pd.Timestamp(str(day)).date()
            out.append(DayLift(day_, arm, t.n, c.n, res.rel_lift, res.ci_low, res.ci_high))
    return tuple(out)


