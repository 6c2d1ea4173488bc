"""Plain-language sentences about an experiment, built only from its :class:`ExperimentReview`.

Nothing here queries or computes a statistic: every number comes from the review (DESIGN.md section 1,
"numbers are written for non-technical teammates too").
"""

from __future__ import annotations

import math

from lib.experiments import ExperimentReview, MetricRow


def _pct(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{x:+.1%}"


def _lift(row: MetricRow, level: str) -> str:
    direction = "up" if row.rel_lift >= 0 else "down"
    return (
        f"{row.metric} is {direction} {abs(row.rel_lift):.1%} for {row.variant} vs control "
        f"({level} CI {_pct(row.ci_low)} to {_pct(row.ci_high)})"
    )


def headline(review: ExperimentReview) -> str:
    """One sentence: the verdict and the primary metric's lift against the bar.

    Parameters
    ----------
    review
        An assembled review.

    Returns
    -------
    str
    """
    level = f"{1 - review.config.alpha:.0%}"
    name = review.experiment
    if review.verdict == "INVALID" and review.decided_by == "srm":
        return (
            f"{name}: INVALID. The split of users between variants does not match the plan (SRM p = "
            f"{review.srm_p:.3g}), so its numbers cannot be trusted; fix the assignment before reading them."
        )
    if review.verdict == "INVALID":
        return f"{name}: INVALID. {review.reasons[0]}"
    rows = [r for r in review.rows if r.role == "primary"]
    best = next((r for r in rows if r.variant == _deciding_arm(review)), rows[0])
    if best.status == "inconclusive":
        return f"{name}: {review.verdict}. {best.metric} could not be tested yet ({best.reason})."
    bar = f"the {_pct(review.config.min_lift)} bar"
    relation = "above" if best.status == "bar met" else "not clearly above"
    text = f"{name}: {review.verdict}. {_lift(best, level)}, {relation} {bar}"
    breached = [r for r in review.rows if r.role == "guardrail" and r.status == "breach"]
    if breached:
        g = breached[0]
        allowed = _pct(g.threshold) if g.threshold is not None else "n/a"
        text += (
            f", but the {g.metric} guardrail is breached ({_pct(g.rel_lift)} against an allowed {allowed})"
        )
    elif review.verdict == "SHIP":
        text += ", and every guardrail holds"
    if review.provisional:
        text += "; this reading is provisional until the planned sample or end date"
    return text + "."


def _deciding_arm(review: ExperimentReview) -> str:
    for arm in review.arms:
        if arm.verdict == review.verdict:
            return arm.variant
    return review.arms[0].variant if review.arms else ""


def srm_sentence(review: ExperimentReview) -> str:
    """The SRM check in words, with the raw counts when users in several variants were excluded.

    Parameters
    ----------
    review
        An assembled review.

    Returns
    -------
    str
    """
    observed = ", ".join(f"{v.variant} {v.exposed:,}" for v in review.variants)
    planned = ", ".join(f"{v.variant} {v.weight:.0%}" for v in review.variants)
    verdict = "does not match" if review.srm.mismatch else "matches"
    text = (
        f"The observed split ({observed}) {verdict} the planned weights ({planned}): SRM p = "
        f"{review.srm_p:.3g}, threshold 0.001."
    )
    if review.multi_variant_users:
        raw = ", ".join(f"{v.variant} {v.raw_users:,}" for v in review.variants)
        text += (
            f" {review.multi_variant_users:,} users seen in several variants were excluded first "
            f"(raw counts: {raw})."
        )
    return text


def planning_sentence(review: ExperimentReview) -> str:
    """Sample, MDE and days left in one or two sentences (the review's planning lines).

    Parameters
    ----------
    review
        An assembled review.

    Returns
    -------
    str
    """
    return " ".join(review.planning.sentences)


def lift_by_day_sentence(review: ExperimentReview) -> str:
    """How to read the lift-by-exposure-day chart.

    Parameters
    ----------
    review
        An assembled review.

    Returns
    -------
    str
    """
    days = len({d.day for d in review.lift_by_day})
    return (
        f"Each point is the lift of {review.primary.name} among users exposed on that day ({days} days). "
        "A lift that fades for later exposure days suggests a novelty effect rather than a lasting one."
    )


def summary(review: ExperimentReview) -> list[str]:
    """The one-to-three-sentence summary above the experiment's charts.

    Parameters
    ----------
    review
        An assembled review.

    Returns
    -------
    list of str
    """
    out = [headline(review)]
    if review.verdict != "INVALID" and review.planning.sentences:
        out.append(review.planning.sentences[0])
    if review.maturing:
        out.append(
            f"{review.maturing:,} recently exposed users are not counted yet: their window is still open."
        )
    return out[:3]
