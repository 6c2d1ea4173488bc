"""The Source type and constants shared by the database modules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy.engine import Engine

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
