"""The static HTML report of a release review (R9): one self-contained file that opens offline.

Charts are embedded as inline SVG rendered by vl-convert, so the file loads no script, style sheet or font
from the network; the CSS is inline. Sections that depend on other views (retention, funnel, adoption,
experiments) call those views' public functions; a view whose module is missing, or whose data cannot be
computed, is skipped with a note in the report instead of failing the whole file.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from lib.charts import release as release_charts
from lib.charts import theme
from lib.context import Context
from lib.errors import ReviewError
from lib.filters import describe
from lib.narrative import release as narrative
from lib.release_review import Comparison, ReleaseReview, TargetProgress, review_release

SectionStatus = Literal["ok", "skipped"]

CSS = """
body {font-family: Helvetica, Arial, sans-serif; font-size: 20px; line-height: 1.5; color: #222;
      max-width: 1100px; margin: 2rem auto; padding: 0 1.5rem;}
h1 {font-size: 2.4rem; margin-bottom: .2rem;} h2 {font-size: 1.8rem; margin-top: 2.5rem;
    border-bottom: 2px solid #ddd;} h3 {font-size: 1.35rem;}
.meta {color: #555;} .summary {background: #eef5fb; border-left: 6px solid #0072B2; padding: .8rem 1.2rem;}
.note {color: #8a5300; background: #fff6e5; padding: .6rem 1rem;} .caveat {font-style: italic; color: #444;}
figure {margin: 1.2rem 0;} figure svg {max-width: 100%; height: auto;}
table {border-collapse: collapse; font-size: 1rem; margin: 1rem 0;} th, td {padding: .35rem .7rem;
    border-bottom: 1px solid #ddd; text-align: right;} th:first-child, td:first-child {text-align: left;}
.met, .on-track {color: #00795a; font-weight: bold;} .behind, .missed {color: #b34700; font-weight: bold;}
"""


@dataclass(frozen=True)
class Section:
    """One section of the report and whether it could be built."""

    title: str
    status: SectionStatus
    note: str | None = None


@dataclass(frozen=True)
class Report:
    """The report's HTML and what went into it."""

    release: str
    html: str
    sections: tuple[Section, ...]


def svg(chart: Any) -> str:
    """Render an Altair chart to inline SVG (no script, works offline).

    Parameters
    ----------
    chart
        An Altair chart.

    Returns
    -------
    str
        The ``<svg>`` element.
    """
    return theme.to_svg(chart)


def _e(text: object) -> str:
    return html.escape(str(text))


def _p(sentences: str | Sequence[str], cls: str = "") -> str:
    items = [sentences] if isinstance(sentences, str) else list(sentences)
    text = "".join(f"<p>{_e(s)}</p>" for s in items)
    return f'<div class="{cls}">{text}</div>' if cls else text


def _figure(chart: Any) -> str:
    return f"<figure>{svg(chart)}</figure>"


def _table(frame: pd.DataFrame) -> str:
    return str(frame.to_html(index=False, border=0, na_rep="", escape=True))


def _comparison_rows(comparisons: Sequence[Comparison]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "metric": c.metric,
                "before": f"{narrative.value(c.before_mean, c.kind)} (n={c.before_n:,})",
                "after": f"{narrative.value(c.after_mean, c.kind)} (n={c.after_n:,})",
                "change": narrative.pct(c.change),
                "95% interval": f"{narrative.pct(c.ci_low)} to {narrative.pct(c.ci_high)}",
                "p-value": "" if math.isnan(c.p_value) else f"{c.p_value:.3g}",
            }
            for c in comparisons
        ]
    )


def _target_rows(targets: Sequence[TargetProgress]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "metric": t.metric,
                "wanted": narrative.pct(t.wanted),
                "by": narrative.day(t.by),
                "baseline": narrative.value(t.comparison.before_mean, t.comparison.kind),
                "current": narrative.value(t.comparison.after_mean, t.comparison.kind),
                "change": narrative.pct(t.comparison.change),
                "progress": "" if math.isnan(t.progress) else f"{t.progress:.0%}",
                "status": t.status,
                "days left": t.days_left,
            }
            for t in targets
        ]
    )


# ----------------------------------------------------------------------------------------- sections
def _targets(review: ReleaseReview) -> str:
    if not review.targets:
        return _p(f"No [[targets]] entry names release {review.release} in review.toml.", "note")
    items = "".join(
        f'<li><span class="{t.status.replace(" ", "-")}">{_e(t.status)}</span> — {_e(narrative.target_sentence(t))}'
        "</li>"
        for t in review.targets
    )
    return (
        f"<ul>{items}</ul>"
        + _figure(release_charts.target_chart(review.targets))
        + _table(_target_rows(review.targets))
    )


def _north_star(review: ReleaseReview, markers: Sequence[tuple[str, Any]]) -> str:
    ns = review.north_star
    if ns is None:
        return _p("No [north_star] is configured in review.toml.", "note")
    return (
        _p(narrative.north_star_sentence(ns, review.release), "summary")
        + _figure(release_charts.north_star_chart(ns, markers))
        + _table(_comparison_rows(ns.comparisons))
    )


def _before_after(review: ReleaseReview) -> str:
    sentences = narrative.before_after_summary(review.before_after, review.release)
    return (
        _p(sentences[:-1])
        + _p(sentences[-1], "caveat")
        + _figure(release_charts.before_after_chart(review.before_after, review.release))
        + _table(_comparison_rows(review.before_after))
    )


def _retention(ctx: Context, review: ReleaseReview) -> str:
    from lib.charts import retention as charts
    from lib.commands.retention import tidy
    from lib.metrics import retention_summary as summ
    from lib.metrics.retention import ReleaseSplit, RetentionSpec, retention
    from lib.narrative import retention as story

    as_of = ctx.require_as_of()
    events = tuple(ctx.config.activity.events)
    base = RetentionSpec(period="week", mode="on", events=events, start=ctx.start, end=ctx.end)
    cells = tidy(ctx.run(retention(ctx.tables, base, as_of)).drop(columns=["segment"]), base)
    recent = sorted(cells["cohort"].unique())[-26:]
    shown = cells[cells["cohort"].isin(recent) & (cells["period"] <= 12)]
    out = _p(story.average_summary(summ.average_row(cells), "week")) + _figure(charts.heatmap(shown, "week"))
    split = ReleaseSplit(review.release, review.release_date)
    spec = RetentionSpec(period="week", mode="on", release=split, events=events, start=ctx.start, end=ctx.end)
    comparison = summ.baseline_comparison(ctx.run(retention(ctx.tables, spec, as_of)), split)
    if not comparison.empty:
        reading = summ.latest_comparable(comparison, story.RELEASE_QUOTED["week"])
        out += _p(story.release_summary(reading, review.release, "week"))
        out += _figure(charts.release_comparison(comparison, review.release, "week"))
    return out


def _funnel(ctx: Context, review: ReleaseReview) -> str:
    from lib.charts import funnels as charts
    from lib.metrics import funnel_report as report
    from lib.narrative import funnels as story

    if not ctx.config.funnels:
        return _p("No [[funnels]] entry in review.toml.", "note")
    spec = report.resolve_spec(ctx.config, None, ctx.config.funnels[0].name, None)
    split = report.compute_funnel(ctx, spec, ctx.run, release=review.release)
    sides = {r.segment: r for r in split}
    out = ""
    if "before" in sides and "after" in sides:
        out += _p(story.before_after(sides["before"], sides["after"], review.release))
    title = f"{spec.name}: entries before vs after {review.release}"
    return out + _figure(charts.funnel_steps(split, title=title))


def _adoption(ctx: Context, review: ReleaseReview) -> str:
    from lib.charts import adoption as charts
    from lib.metrics import adoption_report as report
    from lib.narrative import adoption as story

    features = report.pick_features(ctx)
    if not features:
        return _p("No [[features]] entry in review.toml.", "note")
    periods = report.compute_periods(ctx, features, "week", ctx.run)
    sentences = [s for f in features if (s := story.feature_latest(periods, f.name))]
    markers = [(f"{f.name} released", f.released) for f in features if f.released is not None]
    markers += [(r.name, r.date) for r in ctx.config.releases]
    return _p(sentences) + _figure(charts.adoption_curve(periods, markers))


def _experiments(ctx: Context, review: ReleaseReview) -> str:
    from lib.charts import experiments as charts
    from lib.metrics.experiment_review import review_experiment
    from lib.narrative import experiments as story

    if not review.experiments:
        return _p(f"No configured experiment started on or after {narrative.day(review.release_date)}.", "note")
    out = ""
    for name in review.experiments:
        try:
            exp = review_experiment(ctx.config, ctx.tables, ctx.require_as_of(), name, ctx.run)
        except ReviewError as err:
            out += f"<h3>{_e(name)}</h3>" + _p(f"Not reviewed: {err.message}", "note")
            continue
        out += f"<h3>{_e(name)}: {_e(exp.verdict)}{' (provisional)' if exp.provisional else ''}</h3>"
        out += _p(story.summary(exp)) + _figure(charts.lift_chart(exp))
    return out


def _guarded(title: str, build: Callable[[], str]) -> tuple[str, Section]:
    """Build one section of another view; a missing module or uncomputable data becomes a note."""
    try:
        body = build()
        return body, Section(title, "ok")
    except ModuleNotFoundError as err:
        note = f"Skipped: the module {err.name} is not available in this installation."
    except ReviewError as err:
        note = f"Skipped: {err.message}"
    return _p(note, "note"), Section(title, "skipped", note)


def build_report(ctx: Context, release: str) -> Report:
    """Build the release review report as one HTML document.

    Parameters
    ----------
    ctx
        The context (config, filtered tables, as_of).
    release
        A ``[[releases]]`` name.

    Returns
    -------
    Report

    Raises
    ------
    ReviewError
        For an unknown release or an empty events table.
    """
    review = review_release(ctx, release)
    markers = [(r.name, r.date) for r in ctx.config.releases]
    parts: list[tuple[str, str, Section]] = [
        ("Targets", _targets(review), Section("Targets", "ok")),
        (
            "North Star and leading indicators",
            _north_star(review, markers),
            Section("North Star and leading indicators", "ok" if review.north_star else "skipped"),
        ),
        (f"Before vs after {release}", _before_after(review), Section(f"Before vs after {release}", "ok")),
    ]
    others: list[tuple[str, Callable[[], str]]] = [
        ("Cohort retention", lambda: _retention(ctx, review)),
        ("Onboarding funnel", lambda: _funnel(ctx, review)),
        ("Feature adoption", lambda: _adoption(ctx, review)),
        (f"Experiments since {release}", lambda: _experiments(ctx, review)),
    ]
    for title, build in others:
        body, section = _guarded(title, build)
        parts.append((title, body, section))
    filters = f" Showing only {describe(ctx.filters)}." if ctx.filters else ""
    head = (
        f"<h1>Release review: {_e(review.release)}</h1>"
        f'<p class="meta">Released {_e(narrative.day(review.release_date))}. Data from {_e(ctx.source.label)} '
        f"up to {_e(narrative.day(review.as_of))}.{_e(filters)}</p>" + _p(narrative.summary(review), "summary")
    )
    body = "".join(f"<section><h2>{_e(title)}</h2>{content}</section>" for title, content, _ in parts)
    doc = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Release review {_e(review.release)}</title><style>{CSS}</style></head>"
        f"<body>{head}{body}</body></html>\n"
    )
    return Report(review.release, doc, tuple(s for _, _, s in parts))


def write_report(ctx: Context, release: str, out: str | Path) -> dict[str, Any]:
    """Build the report and write it to ``out``.

    Parameters
    ----------
    ctx
        The context.
    release
        A ``[[releases]]`` name.
    out
        The HTML file to write (its folder must exist).

    Returns
    -------
    dict
        ``release, out, sections`` (titles written), ``skipped`` (notes), ``bytes``.

    Raises
    ------
    ReviewError
        For an unknown release or a path that cannot be written.
    """
    path = Path(out).expanduser()
    if path.is_dir():
        raise ReviewError(f"--out {path} is a folder. Give a file name, e.g. --out {path / 'release.html'}.")
    if not path.parent.is_dir():
        raise ReviewError(
            f"Cannot write {path}: the folder {path.parent} does not exist. Create it or pick another --out path."
        )
    report = build_report(ctx, release)
    data = report.html.encode("utf-8")
    try:
        path.write_bytes(data)
    except OSError as err:
        raise ReviewError(f"Cannot write {path}: {err.strerror or err}. Pick another --out path.") from None
    return {
        "release": report.release,
        "out": str(path.resolve()),
        "sections": [s.title for s in report.sections if s.status == "ok"],
        "skipped": [f"{s.title}: {s.note}" for s in report.sections if s.status == "skipped" and s.note],
        "bytes": len(data),
    }
