"""Time zones: an instant's local date and wall-clock time, naive values read as local, text parsed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, DateTime
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal

from lib.sqlcompat._base import _arg, _ts_of, _tz_literal


# --------------------------------------------------------------------------------------------- local date
class local_date(FunctionElement[Any]):
    """The calendar date of a UTC timestamp in time zone ``tz`` (DATE).

    Parameters
    ----------
    ts
        A TIMESTAMP WITH TIME ZONE expression (an instant).
    tz
        An IANA zone name such as ``"Europe/Paris"``; validated, rendered inline.
    """

    type = Date()
    inherit_cache = True
    # tz is part of the SQL text, so it must be part of the cache key: without this, SQLAlchemy's
    # compiled-SQL cache would reuse one zone's or period's SQL for another.
    _traverse_internals = [*FunctionElement._traverse_internals, ("tz", InternalTraversal.dp_plain_obj)]  # noqa: RUF012
    name = "local_date"

    def __init__(self, ts: Any, tz: str) -> None:
        self.tz = tz
        _tz_literal(tz)
        super().__init__(ts)



@compiles(local_date)
def _local_date_default(element: local_date, compiler: SQLCompiler, **kw: Any) -> str:
    # DuckDB and PostgreSQL: timezone(zone, timestamptz) gives the local wall-clock time.
    return f"CAST(timezone({_tz_literal(element.tz)}, {_arg(compiler, _ts_of(element), **kw)}) AS DATE)"


@compiles(local_date, "sqlite")
def _local_date_sqlite(element: local_date, compiler: SQLCompiler, **kw: Any) -> str:
    if element.tz != "UTC":
        raise NotImplementedError("SQLite sources support timezone = 'UTC' only")
    return f"DATE({_arg(compiler, _ts_of(element), **kw)})"


@compiles(local_date, "trino")
def _local_date_trino(element: local_date, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(at_timezone({_arg(compiler, _ts_of(element), **kw)}, {_tz_literal(element.tz)}) AS DATE)"


@compiles(local_date, "bigquery")
def _local_date_bigquery(element: local_date, compiler: SQLCompiler, **kw: Any) -> str:
    return f"DATE({_arg(compiler, _ts_of(element), **kw)}, {_tz_literal(element.tz)})"


@compiles(local_date, "snowflake")
def _local_date_snowflake(element: local_date, compiler: SQLCompiler, **kw: Any) -> str:
    ts = _arg(compiler, _ts_of(element), **kw)
    return f"CAST(CONVERT_TIMEZONE({_tz_literal(element.tz)}, {ts}) AS DATE)"


class local_timestamp(FunctionElement[Any]):
    """The local wall-clock time (TIMESTAMP WITHOUT TIME ZONE) of a UTC instant in time zone ``tz``.

    Parameters
    ----------
    ts
        A TIMESTAMP WITH TIME ZONE expression.
    tz
        An IANA zone name; validated, rendered inline.
    """

    type = DateTime()
    inherit_cache = True
    _traverse_internals = [*FunctionElement._traverse_internals, ("tz", InternalTraversal.dp_plain_obj)]  # noqa: RUF012
    name = "local_timestamp"

    def __init__(self, ts: Any, tz: str) -> None:
        self.tz = tz
        _tz_literal(tz)
        super().__init__(ts)


@compiles(local_timestamp)
def _local_ts_default(element: local_timestamp, compiler: SQLCompiler, **kw: Any) -> str:
    return f"timezone({_tz_literal(element.tz)}, {_arg(compiler, _ts_of(element), **kw)})"


@compiles(local_timestamp, "sqlite")
def _local_ts_sqlite(element: local_timestamp, compiler: SQLCompiler, **kw: Any) -> str:
    if element.tz != "UTC":
        raise NotImplementedError("SQLite sources support timezone = 'UTC' only")
    return _arg(compiler, _ts_of(element), **kw)


@compiles(local_timestamp, "trino")
def _local_ts_trino(element: local_timestamp, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(at_timezone({_arg(compiler, _ts_of(element), **kw)}, {_tz_literal(element.tz)}) AS TIMESTAMP)"


@compiles(local_timestamp, "bigquery")
def _local_ts_bigquery(element: local_timestamp, compiler: SQLCompiler, **kw: Any) -> str:
    return f"DATETIME({_arg(compiler, _ts_of(element), **kw)}, {_tz_literal(element.tz)})"


@compiles(local_timestamp, "snowflake")
def _local_ts_snowflake(element: local_timestamp, compiler: SQLCompiler, **kw: Any) -> str:
    ts = _arg(compiler, _ts_of(element), **kw)
    return f"CAST(CONVERT_TIMEZONE({_tz_literal(element.tz)}, {ts}) AS TIMESTAMP_NTZ)"


# --------------------------------------------------------------------------------------------- naive -> UTC
class local_to_utc(FunctionElement[Any]):
    """Read a naive (wall-clock) timestamp as local time in ``tz``; return the instant (TIMESTAMPTZ).

    Parameters
    ----------
    ts
        A TIMESTAMP WITHOUT TIME ZONE expression.
    tz
        The zone the naive values were recorded in (the config's ``source.timezone``).
    """

    type = DateTime(timezone=True)
    inherit_cache = True
    # tz is part of the SQL text, so it must be part of the cache key: without this, SQLAlchemy's
    # compiled-SQL cache would reuse one zone's or period's SQL for another.
    _traverse_internals = [*FunctionElement._traverse_internals, ("tz", InternalTraversal.dp_plain_obj)]  # noqa: RUF012
    name = "local_to_utc"

    def __init__(self, ts: Any, tz: str) -> None:
        self.tz = tz
        _tz_literal(tz)
        super().__init__(ts)


@compiles(local_to_utc)
def _l2u_default(element: local_to_utc, compiler: SQLCompiler, **kw: Any) -> str:
    return f"timezone({_tz_literal(element.tz)}, {_arg(compiler, _ts_of(element), **kw)})"


@compiles(local_to_utc, "sqlite")
def _l2u_sqlite(element: local_to_utc, compiler: SQLCompiler, **kw: Any) -> str:
    if element.tz != "UTC":
        raise NotImplementedError("SQLite sources support timezone = 'UTC' only")
    return _arg(compiler, _ts_of(element), **kw)


@compiles(local_to_utc, "trino")
def _l2u_trino(element: local_to_utc, compiler: SQLCompiler, **kw: Any) -> str:
    return f"with_timezone({_arg(compiler, _ts_of(element), **kw)}, {_tz_literal(element.tz)})"


@compiles(local_to_utc, "bigquery")
def _l2u_bigquery(element: local_to_utc, compiler: SQLCompiler, **kw: Any) -> str:
    return f"TIMESTAMP({_arg(compiler, _ts_of(element), **kw)}, {_tz_literal(element.tz)})"


@compiles(local_to_utc, "snowflake")
def _l2u_snowflake(element: local_to_utc, compiler: SQLCompiler, **kw: Any) -> str:
    ts = _arg(compiler, _ts_of(element), **kw)
    return f"CONVERT_TIMEZONE({_tz_literal(element.tz)}, 'UTC', {ts})"


# --------------------------------------------------------------------------------------------- text -> instant
class parse_timestamp(FunctionElement[Any]):
    """Parse timestamp text into an instant; NULL where it does not parse (DuckDB) .

    Text with an offset (``...+02:00`` or ``...Z``) is read as that instant; text without one is read as
    wall-clock time in ``tz``. Other databases cast strictly (a bad value fails the query there), because
    text timestamps only reach Launch Review through CSV files, which DuckDB reads.

    Parameters
    ----------
    text
        A VARCHAR expression.
    tz
        The zone for values without an offset.
    """

    type = DateTime(timezone=True)
    inherit_cache = True
    # tz is part of the SQL text, so it must be part of the cache key: without this, SQLAlchemy's
    # compiled-SQL cache would reuse one zone's or period's SQL for another.
    _traverse_internals = [*FunctionElement._traverse_internals, ("tz", InternalTraversal.dp_plain_obj)]  # noqa: RUF012
    name = "parse_timestamp"

    def __init__(self, text: Any, tz: str) -> None:
        self.tz = tz
        _tz_literal(tz)
        super().__init__(text)


# An offset only counts after a time of day: the "-01" at the end of the date "2026-07-01" is not an offset.
OFFSET_PATTERN = r"[0-9]:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*([+-][0-9]{2}(:?[0-9]{2})?|Z|UTC)$"


@compiles(parse_timestamp)
def _pt_default(element: parse_timestamp, compiler: SQLCompiler, **kw: Any) -> str:
    t = _arg(compiler, _ts_of(element), **kw)
    return f"CAST({t} AS TIMESTAMP WITH TIME ZONE)"


@compiles(parse_timestamp, "postgresql")
def _pt_pg(element: parse_timestamp, compiler: SQLCompiler, **kw: Any) -> str:
    t = _arg(compiler, _ts_of(element), **kw)
    tz = _tz_literal(element.tz)
    # PostgreSQL has no TRY_CAST: a value that does not parse fails the query (quality reports it first).
    return (
        f"CASE WHEN trim({t}) ~ '{OFFSET_PATTERN}' THEN CAST(trim({t}) AS TIMESTAMPTZ) "
        f"ELSE timezone({tz}, CAST(trim({t}) AS TIMESTAMP)) END"
    )


@compiles(parse_timestamp, "duckdb")
def _pt_duckdb(element: parse_timestamp, compiler: SQLCompiler, **kw: Any) -> str:
    t = _arg(compiler, _ts_of(element), **kw)
    tz = _tz_literal(element.tz)
    return (
        f"CASE WHEN regexp_matches(trim({t}), '{OFFSET_PATTERN}') THEN TRY_CAST(trim({t}) AS TIMESTAMPTZ) "
        f"ELSE timezone({tz}, TRY_CAST(trim({t}) AS TIMESTAMP)) END"
    )
