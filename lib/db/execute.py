"""Running statements: reflection, execution with a timeout, SQL text for display and cache keys."""

from __future__ import annotations

import threading
from typing import Any

import pandas as pd
import sqlalchemy as sa

from lib.db.base import DEFAULT_TIMEOUT_S, Source, connect
from lib.db.sources import _first_line
from lib.errors import ReviewError


def reflect_columns(source: Source, table: str) -> dict[str, str]:
    """The columns of a source table and their database types, as lower-case type names.

    Parameters
    ----------
    source
        An open source.
    table
        A canonical table name present in ``source.relations``.

    Returns
    -------
    dict
        Column name -> type name such as ``"timestamp with time zone"``, ``"varchar"``, ``"bigint"``.
    """
    relation = source.relations[table]
    try:
        if source.dialect in ("duckdb", "postgresql"):
            # duckdb-engine's inspector queries pg_catalog tables DuckDB 2 no longer has; information_schema
            # answers the same question on both databases.
            info = sa.table("columns", sa.column("table_name"), sa.column("column_name"), sa.column("data_type"),
                            sa.column("ordinal_position"), sa.column("table_schema"), schema="information_schema")
            stmt = (
                sa.select(info.c.column_name, info.c.data_type)
                .where(info.c.table_name == relation)
                .where(info.c.table_schema == sa.func.current_schema())
                .order_by(info.c.ordinal_position)
            )
            with connect(source) as conn:
                return {str(n): str(t).lower() for n, t in conn.execute(stmt)}
        cols = sa.inspect(source.engine).get_columns(relation)
    except Exception as exc:
        raise ReviewError(
            f"Could not read the columns of table {relation} in {source.label}: {_first_line(exc)}.",
            detail=str(exc),
        ) from None
    return {c["name"]: _type_name(c["type"]) for c in cols}


def _type_name(t: Any) -> str:
    if isinstance(t, sa.DateTime):
        return "timestamp with time zone" if t.timezone else "timestamp"
    try:
        return str(t.compile()).lower()
    except Exception:
        return type(t).__name__.lower()


def run(source: Source, stmt: Any, timeout_s: float = DEFAULT_TIMEOUT_S) -> pd.DataFrame:
    """Execute a statement and return its (small, aggregated) result as a DataFrame.

    Parameters
    ----------
    source
        An open source.
    stmt
        A SQLAlchemy Select (never a string built from user input).
    timeout_s
        Cancel the query after this many seconds.

    Returns
    -------
    pandas.DataFrame
        One column per label of the Select.

    Raises
    ------
    ReviewError
        When the query fails or times out; the compiled SQL is attached as ``detail``.
    """
    timer: threading.Timer | None = None
    try:
        with connect(source) as conn:
            if source.dialect == "postgresql":
                conn.exec_driver_sql(f"SET statement_timeout = {int(timeout_s * 1000)}")
            elif source.dialect == "duckdb":
                raw = conn.connection.dbapi_connection
                interrupt = getattr(raw, "interrupt", None)
                if interrupt is not None:
                    timer = threading.Timer(timeout_s, interrupt)
                    timer.daemon = True
                    timer.start()
            result = conn.execute(stmt)
            columns = list(result.keys())
            rows = result.fetchall()
        return pd.DataFrame([tuple(r) for r in rows], columns=columns)
    except ReviewError:
        raise
    except Exception as exc:
        text = _first_line(exc)
        if "interrupt" in text.lower() or "statement timeout" in text.lower() or "canceling" in text.lower():
            message = (
                f"The query took longer than {timeout_s:g} s on {source.label} and was stopped. Narrow the "
                "date range or add a filter."
            )
        else:
            message = f"The query failed on {source.label}: {text}."
        raise ReviewError(message, detail=f"{exc}\n\nSQL:\n{compiled_sql(source, stmt)}") from None
    finally:
        if timer is not None:
            timer.cancel()


def compiled_sql(source: Source, stmt: Any) -> str:
    """The SQL text of a statement for this source's dialect, with values inlined where possible.

    Parameters
    ----------
    source
        An open source.
    stmt
        A SQLAlchemy statement.

    Returns
    -------
    str
        SQL for display to analysts (never executed).
    """
    try:
        return str(stmt.compile(source.engine, compile_kwargs={"literal_binds": True}))
    except Exception:
        return str(stmt.compile(source.engine))


def cache_key(source: Source, stmt: Any) -> str:
    """A string that identifies a statement and its values on a source (for result caches).

    Parameters
    ----------
    source
        An open source.
    stmt
        A SQLAlchemy statement.

    Returns
    -------
    str
        The compiled SQL followed by its bound values.
    """
    compiled = stmt.compile(source.engine)
    params = sorted((k, repr(v)) for k, v in compiled.params.items())
    return f"{source.kind}:{source.label}\n{compiled}\n{params}"
