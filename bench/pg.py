"""The benchmark on PostgreSQL: a throwaway server holding one generated dataset, and a way to point cases at it.

:func:`serve` starts a cluster with the tests' :func:`tests.pg.start_cluster` (a temp dir, a free port, run as
the ``postgres`` OS user when we are root), loads the dataset's three Parquet files into it and yields the
database's SQLAlchemy URL; the cluster and its directory are removed on exit. Loading goes DuckDB -> CSV file
-> ``COPY ... FROM STDIN`` (DuckDB's postgres extension cannot be installed offline), then the indexes a
warehouse table of events would have and ``ANALYZE``.

:func:`use_postgres` makes a case's ``project_fn`` read from that database instead of the folder: the case
modules resolve their config with ``resolve_config(folder, None)``; it swaps that for
``resolve_config(url, folder/review.toml)`` (same config, ``--source`` = the URL, the precedence rule of
DESIGN.md section 6), so the very same metric code runs on PostgreSQL.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import psycopg
from psycopg import sql

from lib import config as lib_config

TABLES = ("users", "assignments", "events")
# A warehouse's events table is clustered/indexed by user and time; the funnel and metric windows filter on
# event name and time. users/assignments are looked up by user and experiment.
INDEXES = (
    ("events", ("user_id", "timestamp")),
    ("events", ("event", "timestamp")),
    ("users", ("user_id",)),
    ("assignments", ("experiment", "user_id")),
)
# Settings a reporting database would have instead of the 4 MB default (which makes every grouping spill).
SETTINGS = {"work_mem": "256MB", "maintenance_work_mem": "512MB"}
_PG_TYPES = {
    "BIGINT": "BIGINT", "INTEGER": "INTEGER", "SMALLINT": "SMALLINT", "VARCHAR": "TEXT", "DOUBLE": "DOUBLE PRECISION",
    "FLOAT": "REAL", "BOOLEAN": "BOOLEAN", "DATE": "DATE", "TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ",
    "TIMESTAMP": "TIMESTAMP",
}


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _pg_type(duck_type: str) -> str:
    if duck_type.startswith("ENUM") or duck_type.startswith("VARCHAR"):
        return "TEXT"
    return _PG_TYPES.get(duck_type, "TEXT")


def load(conninfo: dict[str, Any], folder: Path, work: Path) -> dict[str, float]:
    """Create and fill the events, users and assignments tables from a dataset folder.

    Parameters
    ----------
    conninfo
        psycopg connection arguments of the target database.
    folder
        The dataset (``<table>.parquet``).
    work
        A scratch directory for the CSV exports (deleted by the caller).

    Returns
    -------
    dict
        Seconds per step (``<table>``, ``indexes``), for the report.
    """
    timings: dict[str, float] = {}
    duck = duckdb.connect()
    duck.execute("SET TimeZone = 'UTC'")
    with psycopg.connect(**conninfo, autocommit=True) as pg:
        pg.execute("SET TIME ZONE 'UTC'")
        for table in TABLES:
            parquet = folder / f"{table}.parquet"
            if not parquet.exists():
                continue
            t0 = time.perf_counter()
            scan = "read_parquet('" + str(parquet).replace("'", "''") + "')"
            schema = duck.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()
            cols = sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(_pg_type(str(typ))))
                for name, typ, *_ in schema
            )
            pg.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table)))
            pg.execute(sql.SQL("CREATE UNLOGGED TABLE {} ({})").format(sql.Identifier(table), cols))
            csv = work / f"{table}.csv"
            duck.execute(f"COPY (SELECT * FROM {scan}) TO '{csv}' (HEADER, DELIMITER ',')")
            copy_sql = sql.SQL("COPY {} FROM STDIN (FORMAT csv, HEADER true)").format(sql.Identifier(table))
            with pg.cursor() as cur, cur.copy(copy_sql) as copy, csv.open("rb") as fh:
                while block := fh.read(4 << 20):
                    copy.write(block)
            csv.unlink()
            timings[table] = time.perf_counter() - t0
            _log(f"  loaded {table} in {timings[table]:.1f} s")
        t0 = time.perf_counter()
        pg.execute(sql.SQL("SET maintenance_work_mem = {}").format(sql.Literal(SETTINGS["maintenance_work_mem"])))
        for table, columns in INDEXES:
            pg.execute(sql.SQL("CREATE INDEX ON {} ({})").format(
                sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns)))
        for table in TABLES:
            pg.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(table)))
        timings["indexes"] = time.perf_counter() - t0
        _log(f"  indexes + analyze in {timings['indexes']:.1f} s")
    duck.close()
    return timings


@contextmanager
def serve(folder: Path) -> Iterator[tuple[str, dict[str, float], str]]:
    """A throwaway PostgreSQL holding one dataset, removed on exit.

    Parameters
    ----------
    folder
        The dataset folder.

    Yields
    ------
    tuple
        The database's SQLAlchemy URL, the load timings, and the server version.
    """
    from tests.pg import start_cluster

    cluster = start_cluster()
    work = Path(tempfile.mkdtemp(prefix="lr-bench-csv-"))
    try:
        name = cluster.create_database("bench")
        conninfo: dict[str, Any] = {"host": "127.0.0.1", "port": cluster.port, "user": "postgres", "dbname": name}
        with psycopg.connect(**conninfo, autocommit=True) as pg:
            for key, value in SETTINGS.items():
                pg.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(key), sql.Literal(value)))
            pg.execute("SELECT pg_reload_conf()")
            version = str(pg.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
        _log(f"PostgreSQL {version} on port {cluster.port}: loading {folder} ...")
        timings = load(conninfo, folder, work)
        yield cluster.url(name), timings, version
    finally:
        shutil.rmtree(work, ignore_errors=True)
        cluster.stop()


def use_postgres(modules: list[ModuleType], url: str) -> None:
    """Point the case modules' config resolution at a PostgreSQL URL (same review.toml, source = the URL).

    Parameters
    ----------
    modules
        The imported case modules (each has a module-level ``resolve_config``).
    url
        The database's SQLAlchemy URL.
    """
    real = lib_config.resolve_config

    def resolve(source: str | None = None, config: str | None = None) -> lib_config.ReviewConfig:
        folder = Path(source) if source is not None and "://" not in source else None
        if config is None and folder is not None and (folder / "review.toml").is_file():
            return real(url, str(folder / "review.toml"))
        return real(source, config)

    for module in modules:
        if hasattr(module, "resolve_config"):
            module.resolve_config = resolve  # type: ignore[attr-defined]
