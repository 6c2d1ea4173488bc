"""``report --release NAME --out FILE.html`` (DESIGN.md section 6): the release review as one offline HTML file.

Prints one object: ``release, out, sections, skipped, bytes``.
"""

from __future__ import annotations

import argparse
from typing import Any

from lib.context import Context
from lib.report import write_report


def register(subparsers: Any) -> None:
    """Add the ``report`` command.

    Parameters
    ----------
    subparsers
        The CLI's subparsers (``add_parser`` adds the global options).
    """
    p = subparsers.add_parser(
        "report",
        help="write the release review as one self-contained HTML file",
        description="Write the release review (targets, North Star, before/after, retention, funnel, adoption, "
        "experiments) as one HTML file with the charts inlined as SVG; it opens offline.",
    )
    p.add_argument("--release", required=True, metavar="NAME", help="a [[releases]] name from review.toml")
    p.add_argument("--out", required=True, metavar="FILE.html", help="the HTML file to write")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    """Write the report.

    Parameters
    ----------
    args
        Parsed options (``release``, ``out``).
    ctx
        The context built from the global options.

    Returns
    -------
    dict
        ``release, out, sections, skipped, bytes``.
    """
    return write_report(ctx, args.release, args.out)
