"""The command-line interface: ``python -m lib COMMAND ...`` (DESIGN.md section 6).

The frame owns what every command shares: the global options, resolving the config and opening the source,
output formats, and exit codes. Each command lives in ``lib/commands/<name>.py`` and returns either a
DataFrame (printed as rows) or a dict (printed as one object). Every failure the user can fix prints one or two
plain sentences to stderr and exits 2; a traceback never reaches the terminal.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, NoReturn

import pandas as pd

from lib.config import resolve_config
from lib.context import Context, open_context
from lib.errors import ReviewError
from lib.filters import parse_filters

FORMATS = ("table", "csv", "json", "md")
# Command modules, in the order `--help` lists them. A module that is missing is skipped, so the frame works
# while a command is being built.
COMMAND_MODULES = ("quality", "activity", "retention", "funnel", "adoption", "experiment", "calc", "check", "report")
EXIT_OK, EXIT_BAD_INPUT, EXIT_FLAGGED = 0, 2, 3

Handler = Callable[[argparse.Namespace, Context], "pd.DataFrame | dict[str, Any]"]


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in our format (one sentence, exit 2) instead of its own."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("python -m lib").strip()
        hint = f"python -m lib {command} --help" if command else "python -m lib --help"
        raise ReviewError(f"{message}. Run `{hint}` for the options.")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date of the form YYYY-MM-DD") from None


def global_options() -> argparse.ArgumentParser:
    """The options every data command accepts (a parent parser).

    Returns
    -------
    argparse.ArgumentParser
    """
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--source", help="a folder of CSV/Parquet files, a .duckdb file, or a database URL")
    p.add_argument("--config", help="the review config (TOML); default: review.toml in the source folder")
    p.add_argument("--filter", action="append", default=[], metavar="ATTR=VALUE",
                   help="segment filter; repeat to AND attributes, repeat one attribute to OR values")
    p.add_argument("--start", type=_date, help="first local date of cohorts/entries (inclusive)")
    p.add_argument("--end", type=_date, help="last local date of cohorts/entries (inclusive); also as_of")
    p.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    return p


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every available command registered.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = _Parser(prog="python -m lib", description="Launch Review: did the release work?")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    parent = global_options()
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"lib.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"lib.commands.{name}":
                continue
            raise
        module.register(_SubparsersWithParent(sub, parent))
    return parser


class _SubparsersWithParent:
    """Wraps the subparsers action so every command gets the global options without repeating them."""

    def __init__(self, sub: Any, parent: argparse.ArgumentParser) -> None:
        self._sub = sub
        self._parent = parent

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        parents = [*kwargs.pop("parents", []), self._parent]
        return self._sub.add_parser(name, parents=parents, **kwargs)


def _clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.date().isoformat() if _is_midnight(value) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return _clean(value.item())
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def _is_midnight(value: datetime) -> bool:
    return value.hour == 0 and value.minute == 0 and value.second == 0 and value.microsecond == 0


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame as JSON-ready records: ISO dates, NaN/inf as None.

    Parameters
    ----------
    df
        A command's output.

    Returns
    -------
    list of dict
    """
    return [{str(k): _clean(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


def render(result: pd.DataFrame | dict[str, Any] | str, fmt: str) -> str:
    """Format a command's output.

    Parameters
    ----------
    result
        Rows (DataFrame) or one object (dict).
    fmt
        ``table``, ``csv``, ``json`` or ``md``.

    Returns
    -------
    str
    """
    if isinstance(result, str):  # a command that writes its own text (check --format md: a chat message)
        return result
    if isinstance(result, dict):
        obj = _clean(result)
        if fmt == "json":
            return json.dumps(obj, indent=2)
        flat = {k: v for k, v in obj.items() if not isinstance(v, list)}
        lists = {k: v for k, v in obj.items() if isinstance(v, list)}
        parts = [render(pd.DataFrame([flat]), fmt)]
        for key, items in lists.items():
            if items and isinstance(items[0], dict):
                parts.append(f"\n{key}:\n" + render(pd.DataFrame(items), fmt))
            elif items:
                parts.append(f"\n{key}:\n" + "\n".join(f"- {i}" for i in items))
        return "\n".join(parts)
    rows = records(result)
    if fmt == "json":
        return json.dumps(rows, indent=2)
    # object dtype: an integer column with a null must stay integers (4746, not 4746.0) in CSV and tables.
    frame = pd.DataFrame(rows, columns=list(result.columns), dtype=object)
    if fmt == "csv":
        return str(frame.to_csv(index=False)).rstrip("\n")
    if fmt == "md":
        return _markdown(frame)
    if frame.empty:
        return "(no rows)"
    return str(frame.to_string(index=False, na_rep=""))


def _markdown(frame: pd.DataFrame) -> str:
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        cells = ["" if v is None else (f"{v:.4g}" if isinstance(v, float) else str(v)) for v in row]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def context_from_args(args: argparse.Namespace) -> Context:
    """Resolve the config and open the source from the global options.

    Parameters
    ----------
    args
        Parsed arguments.

    Returns
    -------
    Context
    """
    config = resolve_config(args.source, args.config)
    return open_context(config, parse_filters(args.filter), args.start, args.end)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI.

    Parameters
    ----------
    argv
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit code: 0 ok, 2 bad input, 3 a flagged check.
    """
    try:
        parser = build_parser()
        # Nested commands (calc test) keep the global options on their parent; parse what is left over
        # with the global options so `--format json` works after any subcommand.
        args, extra = parser.parse_known_args(argv)
        if extra:
            _Parser(prog="python -m lib", add_help=False, parents=[global_options()]).parse_args(extra, args)
        # handler(args, ctx) for data commands; func(args) for those that need no source (calc, quality).
        result = args.handler(args, context_from_args(args)) if hasattr(args, "handler") else args.func(args)
        exit_code = EXIT_OK
        if isinstance(result, tuple):  # (output, exit code) for commands such as quality and check
            result, exit_code = result
        print(render(result, getattr(args, "format", "table")))
        return int(exit_code)
    except ReviewError as err:
        print(f"error: {err.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("error: interrupted.", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug, not bad input: still one plain sentence, never a traceback
        if os.environ.get("LAUNCH_REVIEW_DEBUG"):
            raise
        first = str(exc).splitlines()[0] if str(exc) else ""
        print(
            f"error: Launch Review failed unexpectedly ({type(exc).__name__}: {first}). "
            "Run again with LAUNCH_REVIEW_DEBUG=1 for the details, and report it.",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
