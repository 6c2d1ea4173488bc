"""``quality``: the data-quality report; exit 2 when an error-level problem is found."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import pandas as pd

from lib.config import resolve_config
from lib.quality import findings_frame, run_quality


def register(subparsers: Any) -> None:
    """Add the ``quality`` command.

    Parameters
    ----------
    subparsers
        The CLI's subparsers (global options are added by the frame).
    """
    p = subparsers.add_parser("quality", help="check the data source against the data contract")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> tuple[pd.DataFrame, int]:
    """Run the report; it opens the source itself so an unreadable source is a finding, not a crash.

    Parameters
    ----------
    args
        Parsed arguments (``--source``, ``--config``).

    Returns
    -------
    tuple
        The findings table and the exit code (2 when an error was found).
    """
    config = resolve_config(args.source, args.config)
    findings = run_quality(config)
    frame = findings_frame(findings)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        # The table goes to stdout for scripts; the sentence a person reads goes to stderr.
        first = errors[0]
        where = f" ({first.example})" if first.example and first.example not in first.advice else ""
        print(f"error: {first.advice}{where}", file=sys.stderr)
        return frame, 2
    if frame.empty and args.format == "table":
        print("No data-quality problems found.", file=sys.stderr)
    return frame, 0
