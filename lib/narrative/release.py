"""Plain-language sentences of the release review, built only from its result objects."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from lib.release_review import Comparison, NorthStar, ReleaseReview, TargetProgress

CAVEAT = (
    "This is a before/after comparison, not an experiment: anything else that changed around the release "
    "(the season, marketing, an experiment on the new users) is mixed into these numbers."
)

_REASONS = {
    "no_users": "there are no mature users on one side yet",
    "too_early": "not one whole week after the release is mature yet",
    "n_lt_2": "fewer than two mature users on one side",
    "zero_variance": "the metric does not vary",
    "zero_baseline": "the value before the release is zero",
    "invalid_input": "the statistics are invalid",
}


def day(d: date) -> str:
    """A date as "15 Oct 2026".

    Parameters
    ----------
    d
        The date.

    Returns
    -------
    str
    """
    return f"{d.day} {d:%b %Y}"


def value(x: float, kind: str) -> str:
    """A metric value: a percentage for conversion/retention, else two decimals.

    Parameters
    ----------
    x
        The value.
    kind
        The metric kind.

    Returns
    -------
    str
    """
    if math.isnan(x):
        return "n/a"
    return f"{x:.1%}" if kind in ("conversion", "retention") else f"{x:.2f}"


def pct(x: float) -> str:
    """A signed relative change, "+10.3%".

    Parameters
    ----------
    x
        A fraction.

    Returns
    -------
    str
    """
    return "n/a" if math.isnan(x) else f"{x:+.1%}"


def _change(c: Comparison) -> str:
    if c.status != "ok":
        return f"no change can be computed ({_REASONS.get(c.reason, c.reason)})"
    return f"{pct(c.change)}, 95% interval {pct(c.ci_low)} to {pct(c.ci_high)}"


def target_sentence(t: TargetProgress) -> str:
    """One target: values, change, the wanted change and its status.

    Parameters
    ----------
    t
        The target's progress.

    Returns
    -------
    str
    """
    c = t.comparison
    head = (
        f"{t.metric}: {value(c.before_mean, c.kind)} over the 90 days before {t.release}, "
        f"{value(c.after_mean, c.kind)} since ({_change(c)}); the target is {pct(t.wanted)} by {day(t.by)}"
    )
    if t.status in ("met", "missed") and t.days_left == 0:
        return f"{head}: {t.status} (judged on data up to {day(t.judged_at)})."
    left = f"{t.days_left} day{'s' if t.days_left != 1 else ''} left"
    return f"{head}: {t.status}, {left}."


def comparison_sentence(c: Comparison, release: str) -> str:
    """One before/after comparison.

    Parameters
    ----------
    c
        The comparison.
    release
        The release name.

    Returns
    -------
    str
    """
    span = f"the {c.weeks} weeks" if c.weeks > 1 else "the week"
    if c.weeks == 0:
        span = "the 90 days"
    after_span = span if c.weeks else "the users who joined since"
    return (
        f"{c.metric}: {value(c.before_mean, c.kind)} in {span} before {release}, "
        f"{value(c.after_mean, c.kind)} in {after_span}{' after' if c.weeks else ''} ({_change(c)})."
    )


def north_star_sentence(ns: NorthStar, release: str) -> str:
    """The North Star before vs after the release, and how many leading indicators moved the right way.

    Parameters
    ----------
    ns
        The North Star result.
    release
        The release name.

    Returns
    -------
    str
    """
    main = next((c for c in ns.comparisons if c.metric == ns.metric), None)
    if main is None:
        return f"The North Star {ns.metric} has no data."
    text = (
        f"The North Star, {ns.metric}, is {value(main.after_mean, main.kind)} for users who joined since "
        f"{release}, against {value(main.before_mean, main.kind)} in the 90 days before ({_change(main)})."
    )
    leading = [c for c in ns.comparisons if c.metric != ns.metric]
    if leading:
        better = [c.metric for c in leading if _better(c)]
        text += f" {len(better)} of {len(leading)} leading indicators improved clearly"
        text += f" ({', '.join(better)})." if better else "."
    return text


def _better(c: Comparison) -> bool:
    if not c.significant:
        return False
    return c.ci_low > 0 if c.higher_is_better else c.ci_high < 0


def before_after_summary(comparisons: Sequence[Comparison], release: str) -> list[str]:
    """Sentences for the before/after table, ending with the caveat.

    Parameters
    ----------
    comparisons
        Before/after comparisons.
    release
        The release name.

    Returns
    -------
    list of str
    """
    return [comparison_sentence(c, release) for c in comparisons] + [CAVEAT]


def summary(review: ReleaseReview) -> list[str]:
    """One to three sentences summing up the release review.

    Parameters
    ----------
    review
        The review.

    Returns
    -------
    list of str
    """
    out: list[str] = []
    if review.targets:
        met = sum(t.status == "met" for t in review.targets)
        on_track = sum(t.status == "on track" for t in review.targets)
        n = len(review.targets)
        text = f"Release {review.release} ({day(review.release_date)}): {met} of {n} target{'s' if n != 1 else ''} met"
        text += f", {on_track} on track." if on_track else "."
        out.append(text)
    else:
        out.append(f"Release {review.release} ({day(review.release_date)}) has no targets in the config.")
    if review.north_star is not None:
        out.append(north_star_sentence(review.north_star, review.release))
    out.append(f"Data up to {day(review.as_of)}; only users whose metric window is over are counted.")
    return out
