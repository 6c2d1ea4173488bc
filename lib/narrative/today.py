"""Plain-language sentences for the daily check, built from the same result objects as the numbers.

Nothing here queries or computes a number the result does not carry; the tests compare exact sentences.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lib.anomaly_results import CheckResult, CheckRow
    from lib.today import ExperimentStatus


def _fmt(value: float, kind: str) -> str:
    if not math.isfinite(value):
        return "n/a"
    if kind == "proportion":
        return f"{value:.1%}"
    if kind == "mean":
        return f"{value:.2f}"
    return f"{value:,.0f}"


def _signed_pct(change: float) -> str:
    if not math.isfinite(change):
        return "n/a"
    return f"{'+' if change >= 0 else '−'}{abs(change):.0%}"


def _move(row: CheckRow) -> str:
    """The size of the move: relative for volumes and means, in points for rates."""
    s = row.score
    if row.spec.kind == "proportion":
        pts = (s.value - s.expected) * 100
        return f"{'+' if pts >= 0 else '−'}{abs(pts):.1f} points"
    return _signed_pct(s.change)


def _what(row: CheckRow) -> str:
    name = row.spec.label if row.segment == "all" else f"{row.spec.label} ({row.segment})"
    if row.spec.lag:
        return f"{name} of the {row.date:%a %d %b} signups"
    return name


def explain(row: CheckRow) -> str:
    """One sentence for one judged row (the ``explanation`` column).

    Parameters
    ----------
    row
        A judged row.

    Returns
    -------
    str
        E.g. "DAU −26% vs the usual Tuesday (3,771 vs 5,090 expected, usual range 3,823–6,357); platform=android
        −71% explains 95% of it."
    """
    s, kind = row.score, row.spec.kind
    if row.outage:
        return (f"No events at all on {row.date:%A %d %B %Y}: a tracking outage or a broken export. "
                "Every other number for that day is unreliable.")
    rng = f"usual range {_fmt(s.low, kind)}–{_fmt(s.high, kind)}"
    if not row.flagged:
        return f"{_what(row)}: {_fmt(s.value, kind)}, within the {rng} for a {row.date:%A}."
    text = (f"{_what(row)} {_move(row)} vs the usual {row.date:%A} "
            f"({_fmt(s.value, kind)} vs {_fmt(s.expected, kind)} expected, {rng})")
    c = row.contribution
    if c is not None:
        text += f"; {c.segment} {_signed_pct(c.change)} explains {min(c.share, 1.0):.0%} of it"
    return text + "."


def headline(result: CheckResult) -> str:
    """The first sentence of the daily summary.

    Parameters
    ----------
    result
        The check of one date.

    Returns
    -------
    str
    """
    day = f"{result.date:%A %d %B %Y}"
    if result.outage:
        return f"{day}: no events at all were recorded: check the tracking before reading anything else."
    flagged = result.flagged
    if not result.rows:
        return f"{day}: not enough history to judge yet (the check needs 3 earlier {result.date:%A}s)."
    if not flagged:
        return f"{day}: all {len(result.rows)} checked numbers are within their usual range for a {result.date:%A}."
    bad = sum(r.score.bad for r in flagged)
    word = "anomaly" if len(flagged) == 1 else "anomalies"
    return (f"{day}: {len(flagged)} {word} out of {len(result.rows)} checked numbers, "
            f"{bad} of them in the bad direction.")


def summary(result: CheckResult, top: int = 3, experiments: Sequence[ExperimentStatus] = ()) -> list[str]:
    """The plain-language summary: the headline, the biggest anomalies and any experiment that changed verdict.

    Parameters
    ----------
    result
        The check of one date.
    top
        How many anomalies to spell out.
    experiments
        The experiments' statuses on that date (:func:`lib.today.experiment_statuses`).

    Returns
    -------
    list of str
    """
    lines = [headline(result)]
    lines += [explain(r) for r in result.flagged[:top]]
    news = experiments_headline(experiments)
    return lines + ([news] if news else [])


def _verdict(status: ExperimentStatus) -> str:
    return f"{status.verdict}{' (provisional)' if status.provisional else ''}"


def experiments_headline(statuses: Sequence[ExperimentStatus]) -> str | None:
    """One sentence on the experiments for the summary: the verdicts that changed, else the running ones.

    Parameters
    ----------
    statuses
        From :func:`lib.today.experiment_statuses`.

    Returns
    -------
    str or None
        None when there is no experiment to speak of.
    """
    changed = [s for s in statuses if s.changed]
    if changed:
        word = "experiment changed its verdict" if len(changed) == 1 else "experiments changed their verdict"
        parts = [f"{s.experiment} is now {_verdict(s)} (was {s.previous})" for s in changed]
        return f"{len(changed)} {word}: {'; '.join(parts)}."
    running = [s for s in statuses if s.running and s.verdict is not None]
    if running:
        return "No experiment changed its verdict: " + "; ".join(
            f"{s.experiment} is {_verdict(s)}" for s in running) + "."
    return None


def experiment_line(status: ExperimentStatus) -> str:
    """One line per experiment under the anomalies: its verdict, whether it changed, and the first reason.

    Parameters
    ----------
    status
        One experiment's status.

    Returns
    -------
    str
    """
    if status.verdict is None:
        return f"**{status.experiment}**: no verdict on {status.day:%d %B}. {status.reason}"
    if status.changed:
        head = f"**{status.experiment}** changed from {status.previous} to **{_verdict(status)}**"
    elif status.previous is None:
        head = f"**{status.experiment}** started: **{_verdict(status)}**"
    else:
        head = f"**{status.experiment}**: {_verdict(status)}, as the day before"
    return f"{head}. {status.reason}"


def chat_message(result: CheckResult, limit: int = 10) -> str:
    """A short message ready to paste into a chat: a headline and a bullet per flagged row.

    Parameters
    ----------
    result
        The check of one date.
    limit
        At most this many bullets (the rest are counted).

    Returns
    -------
    str
    """
    flagged = result.flagged
    bad = any(r.score.bad for r in flagged)
    icons = {(True, True): ":rotating_light:", (True, False): ":warning:"}
    icon = icons.get((bool(flagged), bad), ":white_check_mark:")
    lines = [f"{icon} *Daily check* — {headline(result)}"]
    for r in flagged[:limit]:
        mark = "bad" if r.score.bad else "good"
        lines.append(f"- [{r.score.severity}, {mark}] {explain(r)}")
    if len(flagged) > limit:
        lines.append(f"- … and {len(flagged) - limit} more: run `python -m lib check` for the full table.")
    return "\n".join(lines)


# The headline numbers shown as tiles on the Today page (when judged), then the activation metric.
KPI_METRICS = ("dau", "new_users", "events")


def kpi_rows(result: CheckResult, activation: str | None) -> list[CheckRow]:
    """The overall rows shown as tiles: DAU, new users, events and the activation metric.

    Parameters
    ----------
    result
        The check of one date.
    activation
        ``[activity] activation`` (a metric name) or None.

    Returns
    -------
    list of CheckRow
    """
    wanted = [*KPI_METRICS, *([activation] if activation else [])]
    by_metric = {r.spec.metric: r for r in result.rows if r.segment == "all"}
    return [by_metric[m] for m in wanted if m in by_metric]


def _ascii_signed(text: str) -> str:
    """Streamlit's st.metric reads the direction from a leading ASCII '-', not the typographic minus."""
    return "-" + text[1:] if text.startswith("−") else text


def tile_delta(row: CheckRow) -> str:
    """The delta of a KPI tile: the move against the expected value, e.g. ``-18% vs usual Tuesday``.

    Rates move in points (``+1.2 points``); volumes and means in percent. The sign is an ASCII ``-`` so that
    st.metric draws the arrow and the colour in the right direction.

    Parameters
    ----------
    row
        An overall row.

    Returns
    -------
    str
    """
    return _ascii_signed(f"{_move(row)} vs usual {row.date:%A}")


def tile_label(row: CheckRow) -> str:
    """The label of a KPI tile (cohort metrics name the signup day they judge).

    Parameters
    ----------
    row
        An overall row.

    Returns
    -------
    str
    """
    return row.spec.label + (f" ({row.date:%d %b} signups)" if row.spec.lag else "")


def tile_help(row: CheckRow) -> str:
    """The help text of a KPI tile: the expected value and the usual range (the band).

    Parameters
    ----------
    row
        An overall row.

    Returns
    -------
    str
    """
    kind, s = row.spec.kind, row.score
    where = "outside it: flagged" if row.flagged else "inside it: nothing to do"
    return (f"Expected {_fmt(s.expected, kind)} for a {row.date:%A}; usual range "
            f"{_fmt(s.low, kind)}–{_fmt(s.high, kind)} ({where}).")


def tile_value(row: CheckRow) -> str:
    """The formatted value of a KPI tile.

    Parameters
    ----------
    row
        An overall row.

    Returns
    -------
    str
    """
    return _fmt(row.score.value, row.spec.kind)


def anomaly_table(result: CheckResult, sparklines: list[list[float]]) -> list[dict[str, object]]:
    """The ranked anomaly list of the Today page (one record per flagged row).

    Parameters
    ----------
    result
        The check of one date.
    sparklines
        Recent values per flagged row, in the same order.

    Returns
    -------
    list of dict
        Keys: severity, metric, segment, change, what moved, last 4 weeks.
    """
    out: list[dict[str, object]] = []
    for row, spark in zip(result.flagged, sparklines, strict=True):
        c = row.contribution
        out.append({
            "severity": row.score.severity + (" (bad)" if row.score.bad else ""),
            "metric": row.spec.label,
            "segment": row.segment,
            "change": _move(row),
            "what moved": f"{c.segment} {_signed_pct(c.change)} ({min(c.share, 1.0):.0%} of it)" if c else "",
            "last 4 weeks": [v if math.isfinite(v) else None for v in spark],
        })
    return out
