"""``activity [--period day|week|month]`` (DESIGN.md section 6).

day: ``date, dau, wau, mau, stickiness`` (trailing 7/30 days; null while the window is incomplete).
week/month: ``period_start, active_users``. Days run from ``--start`` (or the first day of data) to as_of.
"""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd

from lib.context import Context
from lib.metrics.activity import DAILY_COLUMNS, PERIOD_COLUMNS, active_by_period, complete_days, daily_active
from lib.sqlcompat import PERIODS


def register(subparsers: Any) -> None:
    """Add the ``activity`` command.

    Parameters
    ----------
    subparsers
        The CLI's subparsers (``add_parser`` adds the global options).
    """
    p = subparsers.add_parser(
        "activity",
        help="daily DAU with trailing WAU/MAU and stickiness, or active users per week/month",
        description="Active users: per day (DAU, trailing WAU/MAU, stickiness) or per ISO week/month.",
    )
    p.add_argument("--period", choices=PERIODS, default="day", help="day (default), week or month")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: Context) -> pd.DataFrame:
    """Compute the activity table for the CLI.

    Parameters
    ----------
    args
        Parsed arguments (``period``).
    ctx
        The open context.

    Returns
    -------
    pandas.DataFrame
        The contract columns for the period.
    """
    as_of = ctx.require_as_of()
    events = ctx.config.activity.events
    if args.period == "day":
        raw = ctx.run(daily_active(ctx.tables, events, until=as_of.date))
        return complete_days(raw, start=ctx.start, until=as_of.date)
    out = ctx.run(active_by_period(ctx.tables, args.period, events, start=ctx.start, until=as_of.date))
    if out.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in PERIOD_COLUMNS})
    out["period_start"] = pd.to_datetime(out["period_start"]).dt.date
    out["active_users"] = out["active_users"].astype("int64")
    return out[list(PERIOD_COLUMNS)]


__all__ = ["DAILY_COLUMNS", "register", "run"]
