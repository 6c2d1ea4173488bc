"""Shared pieces of the portable SQL functions: validated inline literals and argument rendering."""

from __future__ import annotations

import re
from typing import Any, Literal, get_args

from sqlalchemy import Integer, literal_column
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

Period = Literal["day", "week", "month"]
PERIODS: tuple[Period, ...] = get_args(Period)

_TZ_RE = re.compile(r"^[A-Za-z0-9_+\-/]+$")


def _tz_literal(tz: str) -> str:
    if not _TZ_RE.match(tz):
        raise ValueError(f"invalid time zone name {tz!r}")
    return "'" + tz + "'"


def _period(period: str) -> Period:
    if period not in PERIODS:
        raise ValueError(f"period {period!r} is not one of {', '.join(PERIODS)}")
    return period


def int_const(n: int) -> ColumnElement[Any]:
    """An integer constant rendered inline (not a bound parameter), so GROUP BY expressions compare equal.

    Parameters
    ----------
    n
        The integer.

    Returns
    -------
    ColumnElement
        ``literal_column(str(n))`` typed INTEGER.
    """
    return literal_column(str(int(n)), Integer())


def _arg(compiler: SQLCompiler, element: Any, **kw: Any) -> str:
    return compiler.process(element, **kw)


def _ts_of(element: FunctionElement[Any]) -> Any:
    return next(iter(element.clauses))


def _two(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> tuple[str, str]:
    a, b = list(element.clauses)
    return _arg(compiler, a, **kw), _arg(compiler, b, **kw)
