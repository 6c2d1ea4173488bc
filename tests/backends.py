"""The test databases behind the ``db_backend`` fixture: a DuckDB file or a fresh PostgreSQL database.

Golden SQL tests load the same tiny hand-made tables into each backend and expect the same answer. Every
connection opened here sets the session time zone to UTC, so tz-aware columns land as TIMESTAMPTZ and read
back in UTC on both backends. Engines are disposed after each call: a DuckDB file accepts connections of one
configuration per process, so nothing of ours may stay open while the code under test opens the file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

BackendName = Literal["duckdb", "postgresql"]
BACKENDS: tuple[BackendName, ...] = ("duckdb", "postgresql")

_SET_UTC: Mapping[BackendName, str] = {
    "duckdb": "SET TimeZone = 'UTC'",
    "postgresql": "SET TIME ZONE 'UTC'",
}


def utc_engine(name: BackendName, url: str) -> Engine:
    """Return an engine whose every connection runs in UTC.

    Parameters
    ----------
    name
        Which backend the URL points at (picks the SET statement).
    url
        SQLAlchemy URL.

    Returns
    -------
    Engine
        A new engine; dispose it when done.
    """
    engine = sa.create_engine(url)
    statement = _SET_UTC[name]

    @sa.event.listens_for(engine, "connect")
    def _set_utc(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()

    return engine


@dataclass(frozen=True)
class DbBackend:
    """One empty test database, private to one test.

    Attributes
    ----------
    name
        ``"duckdb"`` or ``"postgresql"``.
    url
        SQLAlchemy URL of the database (a DuckDB file in the test's tmp_path, or a fresh PostgreSQL database).
    """

    name: BackendName
    url: str

    @contextmanager
    def engine(self) -> Iterator[Engine]:
        """Yield a UTC engine on this database and dispose it afterwards.

        Yields
        ------
        Engine
            The engine.
        """
        engine = utc_engine(self.name, self.url)
        try:
            yield engine
        finally:
            engine.dispose()

    def load(self, tables: Mapping[str, pd.DataFrame]) -> None:
        """Create one table per DataFrame (replacing any of that name) holding exactly its rows.

        Column types follow pandas' mapping: int64 -> BIGINT, str -> VARCHAR/TEXT, float64 -> DOUBLE,
        bool -> BOOLEAN, ``datetime64[..., UTC]`` -> TIMESTAMP WITH TIME ZONE, ``datetime.date`` -> DATE.
        Give timestamp columns a time zone (``pd.to_datetime(..., utc=True)``); naive ones land as TIMESTAMP.

        Parameters
        ----------
        tables
            Table name -> rows. The index is not written.
        """
        with self.engine() as engine, engine.begin() as conn:
            for table, frame in tables.items():
                # Not to_sql(if_exists="replace"): that reflects the old table, and SQLAlchemy's column
                # reflection fails on duckdb-engine 0.17 (it queries pg_catalog.pg_collation).
                sa.Table(table, sa.MetaData()).drop(conn, checkfirst=True)
                frame.to_sql(table, conn, index=False)

    def read(self, query: str | sa.Executable) -> pd.DataFrame:
        """Run a query in UTC and return the rows (a test's own check, not the code under test).

        Parameters
        ----------
        query
            SQL text or a SQLAlchemy selectable.

        Returns
        -------
        pandas.DataFrame
            The result.
        """
        statement = sa.text(query) if isinstance(query, str) else query
        with self.engine() as engine, engine.connect() as conn:
            return pd.read_sql(statement, conn)
