"""``retention --period day|week|month [--mode on|on_or_after] [--by ATTR] [--anchor signup|first_event]
[--return-event E] [--release NAME]`` (DESIGN.md section 6).

Output columns, in order: ``[segment,] cohort, cohort_size, period, active, eligible, mature, rate``; the
segment column appears with ``--by`` or ``--release``. Cohorts are bounded by ``--start``/``--end``.
"""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd

from lib.config import ReviewConfig
from lib.context import Context
from lib.errors import ReviewError
from lib.metrics.retention import MODES, ReleaseSplit, RetentionSpec, output_columns, retention
from lib.sqlcompat import PERIODS


def register(subparsers: Any) -> None:
    """Add the ``retention`` command.

    Parameters
    ----------
    subparsers
        The CLI's subparsers (``add_parser`` adds the global options).
    """
    p = subparsers.add_parser(
        "retention",
        help="cohort retention cells (cohort x period) with maturity and eligible users",
        description="Cohort retention: one row per cohort and period k, immature cells marked.",
    )
    p.add_argument("--period", choices=PERIODS, default="week", help="cohort and period size (default: week)")
    p.add_argument(
        "--mode",
        choices=MODES,
        default="on",
        help="on: active in period k; on_or_after: active in period k or later (default: on)",
    )
    p.add_argument("--by", metavar="ATTR", help="break cohorts down by a user attribute (e.g. channel)")
    p.add_argument(
        "--anchor",
        choices=("signup", "first_event"),
        help="what starts a user's clock (default: signup when the users table has signup_at)",
    )
    p.add_argument(
        "--return-event", metavar="E", dest="return_event", help="only this event counts as a return"
    )
    p.add_argument(
        "--release",
        metavar="NAME",
        help="compare users who joined after release NAME with the 90 days before it",
    )
    p.set_defaults(handler=run)


def release_split(config: ReviewConfig, name: str) -> ReleaseSplit:
    """The release split for a release named in the config.

    Parameters
    ----------
    config
        The review config.
    name
        A ``[[releases]]`` name.

    Returns
    -------
    ReleaseSplit

    Raises
    ------
    ReviewError
        When no release has that name (the message lists the known ones).
    """
    for rel in config.releases:
        if rel.name == name:
            return ReleaseSplit(rel.name, rel.date)
    known = ", ".join(r.name for r in config.releases) or "none"
    where = config.path.name if config.path else "review.toml"
    raise ReviewError(
        f"No release named {name!r} in {where} (known: {known}). Add a [[releases]] entry or pick "
        "one of the known names."
    )


def spec_from_args(args: argparse.Namespace, ctx: Context) -> RetentionSpec:
    """Turn the command's options into a :class:`RetentionSpec`, checking them against the source.

    Parameters
    ----------
    args
        Parsed arguments.
    ctx
        The open context.

    Returns
    -------
    RetentionSpec
    """
    t = ctx.tables
    if args.anchor == "signup" and not t.has_signup:
        raise ReviewError(
            "--anchor signup needs a users table with a signup_at column; this source has none. "
            "Use --anchor first_event or map signup_at under [source.columns.users]."
        )
    if args.by is not None and args.by not in t.user_attributes:
        allowed = ", ".join(t.user_attributes) or "none (no users table)"
        raise ReviewError(f"--by {args.by}: the users table has no such attribute (allowed: {allowed}).")
    release = release_split(ctx.config, args.release) if args.release else None
    return RetentionSpec(
        period=args.period,
        mode=args.mode,
        anchor=args.anchor,
        return_event=args.return_event,
        by=args.by,
        release=release,
        events=tuple(ctx.config.activity.events),
        start=ctx.start,
        end=ctx.end,
    )


def tidy(cells: pd.DataFrame, spec: RetentionSpec) -> pd.DataFrame:
    """Cells as the contract wants them: dates as ``datetime.date``, plain ints and bools, columns in order.

    Parameters
    ----------
    cells
        The result of :func:`lib.metrics.retention.retention`.
    spec
        The spec it was computed with (decides whether ``segment`` is shown).

    Returns
    -------
    pandas.DataFrame
    """
    cols = list(output_columns(spec))
    if cells.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    out = cells.copy()
    out["cohort"] = pd.to_datetime(out["cohort"]).dt.date
    for col in ("cohort_size", "period", "active", "eligible"):
        out[col] = out[col].astype("int64")
    out["mature"] = out["mature"].astype(bool)
    out["rate"] = out["rate"].astype("float64")
    return out[cols].reset_index(drop=True)


def run(args: argparse.Namespace, ctx: Context) -> pd.DataFrame:
    """Compute the retention cells for the CLI.

    Parameters
    ----------
    args
        Parsed arguments.
    ctx
        The open context.

    Returns
    -------
    pandas.DataFrame
        The contract columns.
    """
    spec = spec_from_args(args, ctx)
    return tidy(ctx.run(retention(ctx.tables, spec, ctx.require_as_of())), spec)
