"""The one module that executes SQL.

``open_source`` turns a folder of CSV/Parquet files, a DuckDB file or a SQLAlchemy URL into a ``Source``: an
engine that can only read the user's data, with the session time zone pinned to UTC. ``run`` executes a
Select with a timeout and returns a small DataFrame. Nothing else in Launch Review talks to a database.

A folder is queried in place by an in-memory DuckDB: each connection gets views named ``events``, ``users`` and
``assignments`` over the files, so raw events never pass through pandas and nothing is written next to the data.
"""

from lib.db.base import DEFAULT_TIMEOUT_S, FILE_SUFFIXES, TABLES, Source, SourceKind
from lib.db.execute import cache_key, compiled_sql, reflect_columns, run
from lib.db.sources import import_files, mask_url, open_source

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "FILE_SUFFIXES",
    "TABLES",
    "Source",
    "SourceKind",
    "cache_key",
    "compiled_sql",
    "import_files",
    "mask_url",
    "open_source",
    "reflect_columns",
    "run",
]
