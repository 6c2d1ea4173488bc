"""``experiment NAME``: one experiment's verdict against its success bar, as one object (DESIGN.md section 6).

The object: ``experiment, srm_p, verdict, provisional, reasons, metrics`` where each metric row is
``metric, role, variant, n, mean, control_n, control_mean, abs_lift, rel_lift, ci_low, ci_high, p_value,
p_adjusted`` (the interval on the relative lift). Every verdict exits 0; bad input raises ReviewError (exit 2
through the CLI frame).
"""

from __future__ import annotations

import argparse
from typing import Any

from lib.context import Context
from lib.experiments import ExperimentReview, MetricRow, nan_to_none
from lib.metrics.experiment_review import review_experiment

METRIC_FIELDS = (
    "metric",
    "role",
    "variant",
    "n",
    "mean",
    "control_n",
    "control_mean",
    "abs_lift",
    "rel_lift",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
)
OUTPUT_FIELDS = ("experiment", "srm_p", "verdict", "provisional", "reasons", "metrics")


def _row(row: MetricRow) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in METRIC_FIELDS:
        value = getattr(row, name)
        out[name] = nan_to_none(value) if isinstance(value, float) else value
    return out


def to_output(review: ExperimentReview) -> dict[str, Any]:
    """The contract object of ``experiment NAME`` (NaN and infinities as None).

    Parameters
    ----------
    review
        An assembled review.

    Returns
    -------
    dict
        Keys in the order of :data:`OUTPUT_FIELDS`.
    """
    return {
        "experiment": review.experiment,
        "srm_p": nan_to_none(review.srm_p),
        "verdict": review.verdict,
        "provisional": bool(review.provisional),
        "reasons": list(review.reasons),
        "metrics": [_row(r) for r in review.rows],
    }


def run_experiment(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    """Review the experiment named ``args.name`` on the context's data.

    Parameters
    ----------
    args
        Parsed arguments with ``name``.
    ctx
        The open context (config, filtered tables, as_of).

    Returns
    -------
    dict
        The contract object.
    """
    review = review_experiment(ctx.config, ctx.tables, ctx.require_as_of(), args.name, ctx.run)
    return to_output(review)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``experiment NAME`` command.

    Parameters
    ----------
    subparsers
        The CLI's subparsers.
    """
    parser = subparsers.add_parser(
        "experiment",
        help="an experiment's SRM check, per-metric lifts and verdict against its success bar",
        description="Review one [[experiments]] entry of the config: SHIP, DONT_SHIP, KEEP_RUNNING or "
        "INVALID, with the reasons. Exits 0 for every verdict.",
    )
    parser.add_argument("name", help="the experiment's name, as in review.toml")
    parser.set_defaults(handler=run_experiment)
