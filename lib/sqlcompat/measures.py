"""Portable measures shared by the funnel and activity metrics (time to convert, time to first value).

- :class:`hours_between`: elapsed hours from one instant to another, as a DOUBLE.
- :class:`quantile`: a continuous percentile aggregate (``percentile_cont`` where the database has it as an
  ordered-set aggregate, the nearest approximate form on Trino and BigQuery, which lack it).

Both follow the ``@compiles`` pattern of the rest of lib/sqlcompat; the quantile fraction is rendered inline because
it is a constant of the code, never user text.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import Float


class hours_between(FunctionElement[Any]):
    """Elapsed hours from instant ``earlier`` to instant ``later`` (DOUBLE; negative if reversed).

    Parameters
    ----------
    later, earlier
        TIMESTAMP WITH TIME ZONE expressions.
    """

    type = Float()
    inherit_cache = True
    name = "hours_between"

    def __init__(self, later: Any, earlier: Any) -> None:
        super().__init__(later, earlier)


def _two(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> tuple[str, str]:
    a, b = list(element.clauses)
    return compiler.process(a, **kw), compiler.process(b, **kw)


@compiles(hours_between)
def _hb_default(element: hours_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = _two(element, compiler, **kw)
    # PostgreSQL (and the SQL standard): the epoch of an interval is its length in seconds.
    return f"(CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS DOUBLE PRECISION) / 3600.0)"


@compiles(hours_between, "duckdb")
def _hb_duckdb(element: hours_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = _two(element, compiler, **kw)
    # epoch() keeps microseconds; date_diff('second') would count boundaries and drop them.
    return f"((epoch({later}) - epoch({earlier})) / 3600.0)"


@compiles(hours_between, "trino")
def _hb_trino(element: hours_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = _two(element, compiler, **kw)
    return f"(CAST(date_diff('millisecond', {earlier}, {later}) AS DOUBLE) / 3600000.0)"


@compiles(hours_between, "bigquery")
def _hb_bigquery(element: hours_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = _two(element, compiler, **kw)
    return f"(TIMESTAMP_DIFF({later}, {earlier}, MICROSECOND) / 3600000000.0)"


@compiles(hours_between, "snowflake")
def _hb_snowflake(element: hours_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = _two(element, compiler, **kw)
    return f"(DATEDIFF(millisecond, {earlier}, {later}) / 3600000.0)"


class quantile(FunctionElement[Any]):
    """The continuous ``q``-quantile (linear interpolation) of a numeric expression; NULLs ignored.

    Parameters
    ----------
    x
        A numeric expression (NULL for rows that should not count).
    q
        The fraction, 0 < q < 1 (a constant of the code, rendered inline).
    """

    type = Float()
    inherit_cache = True
    name = "quantile"
    # q is compiled into the SQL text, so it must be part of the statement cache key: without this, SQLAlchemy
    # would reuse the SQL compiled for p50 when asked for p90 on the same engine.
    _traverse_internals = [*FunctionElement._traverse_internals, ("q", InternalTraversal.dp_plain_obj)]  # noqa: RUF012

    def __init__(self, x: Any, q: float) -> None:
        if not 0.0 < float(q) < 1.0:
            raise ValueError(f"quantile fraction must lie strictly between 0 and 1, got {q}")
        self.q = float(q)
        super().__init__(x)


def _x(element: quantile, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(next(iter(element.clauses)), **kw)


@compiles(quantile)
def _q_default(element: quantile, compiler: SQLCompiler, **kw: Any) -> str:
    # DuckDB, PostgreSQL and Snowflake share the SQL-standard ordered-set aggregate.
    return f"percentile_cont({element.q!r}) WITHIN GROUP (ORDER BY {_x(element, compiler, **kw)})"


@compiles(quantile, "trino")
def _q_trino(element: quantile, compiler: SQLCompiler, **kw: Any) -> str:
    return f"approx_percentile({_x(element, compiler, **kw)}, {element.q!r})"


@compiles(quantile, "bigquery")
def _q_bigquery(element: quantile, compiler: SQLCompiler, **kw: Any) -> str:
    # BigQuery's PERCENTILE_CONT is analytic only; APPROX_QUANTILES in 1000ths is the aggregate form.
    return f"APPROX_QUANTILES({_x(element, compiler, **kw)}, 1000)[OFFSET({round(element.q * 1000)})]"
