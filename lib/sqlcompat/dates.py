"""Calendar arithmetic on local dates: truncation to day/ISO week/month, differences, adding days and months."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, DateTime, Integer, cast, extract
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal

from lib.sqlcompat._base import _arg, _period, _ts_of, _two, int_const


# --------------------------------------------------------------------------------------------- truncation
class trunc_date(FunctionElement[Any]):
    """The first day of the day/ISO week (Monday)/calendar month containing a DATE.

    Parameters
    ----------
    d
        A DATE expression (already local, see :class:`local_date`).
    period
        ``"day"``, ``"week"`` or ``"month"``.
    """

    type = Date()
    inherit_cache = True
    # period is part of the SQL text, so it must be part of the cache key: without this, SQLAlchemy's
    # compiled-SQL cache would reuse one zone's or period's SQL for another.
    _traverse_internals = [*FunctionElement._traverse_internals, ("period", InternalTraversal.dp_plain_obj)]  # noqa: RUF012
    name = "trunc_date"

    def __init__(self, d: Any, period: str) -> None:
        self.period = _period(period)
        super().__init__(d)


@compiles(trunc_date)
def _trunc_default(element: trunc_date, compiler: SQLCompiler, **kw: Any) -> str:
    d = _arg(compiler, _ts_of(element), **kw)
    if element.period == "day":
        return d
    # DuckDB and PostgreSQL: date_trunc('week') is ISO (Monday); both return a timestamp for a date.
    return f"CAST(date_trunc('{element.period}', {d}) AS DATE)"


@compiles(trunc_date, "sqlite")
def _trunc_sqlite(element: trunc_date, compiler: SQLCompiler, **kw: Any) -> str:
    d = _arg(compiler, _ts_of(element), **kw)
    if element.period == "day":
        return d
    if element.period == "month":
        return f"DATE({d}, 'start of month')"
    # strftime('%w') is 0 on Sunday; step back to Monday.
    return f"DATE({d}, '-' || ((CAST(strftime('%w', {d}) AS INTEGER) + 6) % 7) || ' days')"


@compiles(trunc_date, "trino")
def _trunc_trino(element: trunc_date, compiler: SQLCompiler, **kw: Any) -> str:
    d = _arg(compiler, _ts_of(element), **kw)
    if element.period == "day":
        return d
    return f"date_trunc('{element.period}', {d})"


@compiles(trunc_date, "bigquery")
def _trunc_bigquery(element: trunc_date, compiler: SQLCompiler, **kw: Any) -> str:
    d = _arg(compiler, _ts_of(element), **kw)
    if element.period == "day":
        return d
    part = "ISOWEEK" if element.period == "week" else "MONTH"
    return f"DATE_TRUNC({d}, {part})"


@compiles(trunc_date, "snowflake")
def _trunc_snowflake(element: trunc_date, compiler: SQLCompiler, **kw: Any) -> str:
    d = _arg(compiler, _ts_of(element), **kw)
    if element.period == "day":
        return d
    if element.period == "month":
        return f"DATE_TRUNC('MONTH', {d})"
    # DATE_TRUNC('WEEK') depends on the session's WEEK_START; DAYOFWEEKISO does not.
    return f"DATEADD(day, 1 - DAYOFWEEKISO({d}), {d})"


# --------------------------------------------------------------------------------------------- day arithmetic
class day_diff(FunctionElement[Any]):
    """Whole days from DATE ``earlier`` to DATE ``later`` (``later - earlier``, an integer).

    Parameters
    ----------
    later, earlier
        DATE expressions.
    """

    type = Integer()
    inherit_cache = True
    name = "day_diff"

    def __init__(self, later: Any, earlier: Any) -> None:
        super().__init__(later, earlier)



@compiles(day_diff)
def _dd_default(element: day_diff, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = _two(element, compiler, **kw)
    return f"date_diff('day', {earlier}, {later})"


@compiles(day_diff, "postgresql")
def _dd_pg(element: day_diff, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = _two(element, compiler, **kw)
    return f"({later} - {earlier})"


@compiles(day_diff, "sqlite")
def _dd_sqlite(element: day_diff, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = _two(element, compiler, **kw)
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


@compiles(day_diff, "bigquery")
def _dd_bq(element: day_diff, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = _two(element, compiler, **kw)
    return f"DATE_DIFF({later}, {earlier}, DAY)"


@compiles(day_diff, "snowflake")
def _dd_sf(element: day_diff, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = _two(element, compiler, **kw)
    return f"DATEDIFF(day, {earlier}, {later})"


class add_days(FunctionElement[Any]):
    """DATE ``d`` plus ``n`` days (``n`` an integer expression or Python int).

    Parameters
    ----------
    d
        A DATE expression.
    n
        Days to add (may be negative).
    """

    type = Date()
    inherit_cache = True
    name = "add_days"

    def __init__(self, d: Any, n: Any) -> None:
        if isinstance(n, int):
            n = int_const(n)
        super().__init__(d, n)


@compiles(add_days)
def _ad_default(element: add_days, compiler: SQLCompiler, **kw: Any) -> str:
    d, n = _two(element, compiler, **kw)
    # DuckDB and PostgreSQL: date + integer is a date.
    return f"CAST({d} + CAST({n} AS INTEGER) AS DATE)"


@compiles(add_days, "sqlite")
def _ad_sqlite(element: add_days, compiler: SQLCompiler, **kw: Any) -> str:
    d, n = _two(element, compiler, **kw)
    return f"DATE({d}, printf('%+d days', {n}))"


@compiles(add_days, "trino")
def _ad_trino(element: add_days, compiler: SQLCompiler, **kw: Any) -> str:
    d, n = _two(element, compiler, **kw)
    return f"date_add('day', {n}, {d})"


@compiles(add_days, "bigquery")
def _ad_bq(element: add_days, compiler: SQLCompiler, **kw: Any) -> str:
    d, n = _two(element, compiler, **kw)
    return f"DATE_ADD({d}, INTERVAL {n} DAY)"


@compiles(add_days, "snowflake")
def _ad_sf(element: add_days, compiler: SQLCompiler, **kw: Any) -> str:
    d, n = _two(element, compiler, **kw)
    return f"DATEADD(day, {n}, {d})"


class add_hours(FunctionElement[Any]):
    """Instant ``ts`` plus ``n`` hours of elapsed time (``window_days = N`` is ``add_hours(t0, 24 * N)``).

    Elapsed time, not calendar time: a 7-day window across a daylight-saving change is still 168 hours.

    Parameters
    ----------
    ts
        A TIMESTAMP WITH TIME ZONE expression.
    n
        Hours to add (integer expression or Python int).
    """

    type = DateTime(timezone=True)
    inherit_cache = True
    name = "add_hours"

    def __init__(self, ts: Any, n: Any) -> None:
        if isinstance(n, int):
            n = int_const(n)
        super().__init__(ts, n)


@compiles(add_hours)
def _ah_default(element: add_hours, compiler: SQLCompiler, **kw: Any) -> str:
    ts, n = _two(element, compiler, **kw)
    # DuckDB: to_hours() is an interval of exact hours; the session zone is UTC so no DST folding happens.
    return f"({ts} + to_hours(CAST({n} AS BIGINT)))"


@compiles(add_hours, "postgresql")
def _ah_pg(element: add_hours, compiler: SQLCompiler, **kw: Any) -> str:
    ts, n = _two(element, compiler, **kw)
    return f"({ts} + make_interval(hours => CAST({n} AS INTEGER)))"


@compiles(add_hours, "sqlite")
def _ah_sqlite(element: add_hours, compiler: SQLCompiler, **kw: Any) -> str:
    ts, n = _two(element, compiler, **kw)
    return f"DATETIME({ts}, printf('%+d hours', {n}))"


@compiles(add_hours, "trino")
def _ah_trino(element: add_hours, compiler: SQLCompiler, **kw: Any) -> str:
    ts, n = _two(element, compiler, **kw)
    return f"date_add('hour', {n}, {ts})"


@compiles(add_hours, "bigquery")
def _ah_bq(element: add_hours, compiler: SQLCompiler, **kw: Any) -> str:
    ts, n = _two(element, compiler, **kw)
    return f"TIMESTAMP_ADD({ts}, INTERVAL {n} HOUR)"


@compiles(add_hours, "snowflake")
def _ah_sf(element: add_hours, compiler: SQLCompiler, **kw: Any) -> str:
    ts, n = _two(element, compiler, **kw)
    return f"DATEADD(hour, {n}, {ts})"


# --------------------------------------------------------------------------------------------- composites
def period_index(later: Any, earlier: Any, period: str) -> ColumnElement[Any]:
    """Calendar periods from DATE ``earlier`` to DATE ``later`` (0 = the same day/week/month).

    Period k of a cohort is the k-th calendar week/month after the one containing the anchor, so week
    differences are taken between the Mondays, and month differences from year and month numbers.

    Parameters
    ----------
    later, earlier
        DATE expressions (local dates).
    period
        ``"day"``, ``"week"`` or ``"month"``.

    Returns
    -------
    ColumnElement
        An integer expression.
    """
    p = _period(period)
    if p == "day":
        return day_diff(later, earlier)
    if p == "week":
        days = day_diff(trunc_date(later, "week"), trunc_date(earlier, "week"))
        # Exact: both sides are Mondays. CAST keeps DuckDB's float division out of it.
        return cast(days / int_const(7), Integer)
    months = (extract("year", later) - extract("year", earlier)) * int_const(12) + (
        extract("month", later) - extract("month", earlier)
    )
    return cast(months, Integer)


def add_periods(d: Any, k: Any, period: str) -> ColumnElement[Any]:
    """The start of the period ``k`` periods after the one starting on DATE ``d`` (``d`` a period start).

    Parameters
    ----------
    d
        A DATE that starts a day/week/month.
    k
        Number of periods (integer expression or int).
    period
        ``"day"``, ``"week"`` or ``"month"``.

    Returns
    -------
    ColumnElement
        A DATE expression.
    """
    p = _period(period)
    if p == "day":
        return add_days(d, k)
    if p == "week":
        return add_days(d, k * 7 if isinstance(k, int) else k * int_const(7))
    return add_months(d, k)


class add_months(FunctionElement[Any]):
    """DATE ``d`` (the first of a month) plus ``n`` calendar months.

    Parameters
    ----------
    d
        A DATE expression, normally the first day of a month.
    n
        Months to add (integer expression or Python int).
    """

    type = Date()
    inherit_cache = True
    name = "add_months"

    def __init__(self, d: Any, n: Any) -> None:
        if isinstance(n, int):
            n = int_const(n)
        super().__init__(d, n)


@compiles(add_months)
def _am_default(element: add_months, compiler: SQLCompiler, **kw: Any) -> str:
    d, n = _two(element, compiler, **kw)
    return f"CAST({d} + to_months(CAST({n} AS INTEGER)) AS DATE)"


@compiles(add_months, "postgresql")
def _am_pg(element: add_months, compiler: SQLCompiler, **kw: Any) -> str:
    d, n = _two(element, compiler, **kw)
    return f"CAST({d} + make_interval(months => CAST({n} AS INTEGER)) AS DATE)"


@compiles(add_months, "sqlite")
def _am_sqlite(element: add_months, compiler: SQLCompiler, **kw: Any) -> str:
    d, n = _two(element, compiler, **kw)
    return f"DATE({d}, printf('%+d months', {n}))"


@compiles(add_months, "trino")
def _am_trino(element: add_months, compiler: SQLCompiler, **kw: Any) -> str:
    d, n = _two(element, compiler, **kw)
    return f"date_add('month', {n}, {d})"


@compiles(add_months, "bigquery")
def _am_bq(element: add_months, compiler: SQLCompiler, **kw: Any) -> str:
    d, n = _two(element, compiler, **kw)
    return f"DATE_ADD({d}, INTERVAL {n} MONTH)"


@compiles(add_months, "snowflake")
def _am_sf(element: add_months, compiler: SQLCompiler, **kw: Any) -> str:
    d, n = _two(element, compiler, **kw)
    return f"DATEADD(month, {n}, {d})"
