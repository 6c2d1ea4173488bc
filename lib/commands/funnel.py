"""``funnel --steps A,B,C [--window-days N] [--by ATTR]`` (DESIGN.md section 6).

Output columns: ``[segment,] step_index, step, users, step_rate, overall_rate``, over entries whose window
ended by as_of. Extensions: ``--name NAME`` picks a ``[[funnels]]`` entry (default: the first one when no
``--steps``), ``--release NAME`` splits entries into ``before``/``after`` segments.
"""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd

from lib.context import Context
from lib.metrics.funnel_report import compute_funnel, resolve_spec
from lib.metrics.funnel_results import funnel_table


def register(subparsers: Any) -> None:
    """Add the ``funnel`` command.

    Parameters
    ----------
    subparsers
        The CLI's subparsers (the frame adds the global options).
    """
    p = subparsers.add_parser(
        "funnel",
        help="ordered funnel: users reaching each step within the window from step 1",
        description="Each step's first occurrence at or after the previous step's, inside [t1, t1 + N x 24h) "
        "from the user's first step-1 event in --start/--end. Only entries whose window ended by as_of "
        "count.",
    )
    p.add_argument("--steps", help="event names in order, comma-separated (e.g. signup,first_project)")
    p.add_argument("--name", help="a funnel from [[funnels]] in the config (default: the first one)")
    p.add_argument(
        "--window-days", type=int, dest="window_days", help="conversion window N in days (default 7)"
    )
    p.add_argument("--by", help="break down by a user attribute or a property of the step-1 event")
    p.add_argument("--release", help="split entries into before/after this [[releases]] name")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace, ctx: Context) -> pd.DataFrame:
    """Compute the funnel table of the contract.

    Parameters
    ----------
    args
        Parsed arguments (``steps``, ``name``, ``window_days``, ``by``, ``release``).
    ctx
        The open context.

    Returns
    -------
    pandas.DataFrame
        ``[segment,] step_index, step, users, step_rate, overall_rate``.
    """
    spec = resolve_spec(ctx.config, args.steps, getattr(args, "name", None), args.window_days)
    release = getattr(args, "release", None)
    results = compute_funnel(ctx, spec, ctx.run, by=args.by, release=release)
    return funnel_table(results, with_segment=args.by is not None or release is not None)
