"""The Source type and constants shared by the database modules."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy.engine import Connection, Engine

SourceKind = Literal["folder", "duckdb", "url"]
TABLES = ("events", "users", "assignments")
FILE_SUFFIXES = (".parquet", ".csv", ".csv.gz", ".tsv")
DEFAULT_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Source:
    """An open, read-only data source.

    Attributes
    ----------
    kind
        ``"folder"``, ``"duckdb"`` or ``"url"``.
    label
        What to show the user: the folder or file path, or the URL with its password hidden.
    engine
        The SQLAlchemy engine (shared; cache it, don't dispose it per query).
    relations
        Canonical table name -> the relation name to select from in that database (missing tables absent).
    files
        For a folder source: canonical table name -> the file it reads.
    """

    kind: SourceKind
    label: str
    engine: Engine
    relations: Mapping[str, str]
    files: Mapping[str, Path] = field(default_factory=dict)

    @property
    def dialect(self) -> str:
        """The SQLAlchemy dialect name (``duckdb``, ``postgresql``, ``sqlite``...)."""
        return self.engine.dialect.name


# One lock per DuckDB engine. A DuckDB source is one connection shared by every session of the app (an in-memory
# database holding the folder's views exists only inside its connection), and DuckDB refuses a second call on a
# connection while one runs ("connection is busy"). Queries on it therefore take turns; DuckDB still uses every
# core for each query, and the app's result cache answers repeated questions without a query.
_LOCKS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def _lock_for(engine: Engine) -> threading.RLock:
    with _LOCKS_GUARD:
        lock = _LOCKS.get(engine)
        if lock is None:
            lock = _LOCKS[engine] = threading.RLock()
        return lock


@contextmanager
def connect(source: Source) -> Iterator[Connection]:
    """A connection to the source, exclusive while it is open when the source is a shared DuckDB connection.

    Parameters
    ----------
    source
        An open source.

    Yields
    ------
    sqlalchemy.engine.Connection
    """
    if source.dialect != "duckdb":
        with source.engine.connect() as conn:
            yield conn
        return
    with _lock_for(source.engine), source.engine.connect() as conn:
        yield conn
