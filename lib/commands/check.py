"""``check [--date D]``: the daily anomaly check; exit 3 when a row is flagged (DESIGN.md section 6)."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

import pandas as pd

from lib.anomaly_check import check_dates, check_frame
from lib.context import Context
from lib.narrative.today import chat_message

EXIT_OK, EXIT_FLAGGED = 0, 3


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date of the form YYYY-MM-DD") from None


def register(subparsers: Any) -> None:
    """Add the ``check`` command.

    Parameters
    ----------
    subparsers
        The CLI's subparsers (global options are added by the frame).
    """
    p = subparsers.add_parser(
        "check",
        help="the daily anomaly check: key metrics vs their usual same-weekday range; exit 3 when one is off",
    )
    p.add_argument("--date", type=_date, default=None, metavar="D",
                   help="the day to check, YYYY-MM-DD (default: the last complete day, as_of)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: Context) -> tuple[pd.DataFrame | str, int]:
    """Check one day.

    Parameters
    ----------
    args
        Parsed arguments (``--date``, ``--format``).
    ctx
        The context.

    Returns
    -------
    tuple
        The table (or, for ``--format md``, a chat message) and the exit code: 3 when a row is flagged.
    """
    day = args.date or ctx.require_as_of().date
    (result,) = check_dates(ctx, day)
    code = EXIT_FLAGGED if result.flagged else EXIT_OK
    if getattr(args, "format", "table") == "md":
        return chat_message(result), code
    return check_frame(result), code
