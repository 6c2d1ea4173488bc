"""``adoption [--period week|month]`` (DESIGN.md section 6).

Output columns: ``feature, period_start, active_users, adopters, adoption_rate, cumulative_adopters``, one row
per configured feature and period with activity, up to as_of. Extension: ``--feature NAME`` (repeatable).
"""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd

from lib.context import Context
from lib.metrics.adoption_report import compute_periods, pick_features
from lib.metrics.adoption_results import adoption_table


def register(subparsers: Any) -> None:
    """Add the ``adoption`` command.

    Parameters
    ----------
    subparsers
        The CLI's subparsers (the frame adds the global options).
    """
    p = subparsers.add_parser(
        "adoption",
        help="feature adoption per period: active users, adopters, rate, cumulative adopters",
        description="For each [[features]] entry: distinct active users per period, those who used the "
        "feature in it, their share, and distinct users who ever used it up to the period.",
    )
    p.add_argument("--period", choices=("week", "month"), default="week", help="period (default: week)")
    p.add_argument("--feature", action="append", help="only this feature (repeatable; default: all)")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace, ctx: Context) -> pd.DataFrame:
    """Compute the adoption table of the contract.

    Parameters
    ----------
    args
        Parsed arguments (``period``, ``feature``).
    ctx
        The open context.

    Returns
    -------
    pandas.DataFrame
        ``feature, period_start, active_users, adopters, adoption_rate, cumulative_adopters``.
    """
    features = pick_features(ctx, getattr(args, "feature", None))
    return adoption_table(compute_periods(ctx, features, args.period, ctx.run))
