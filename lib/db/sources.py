"""Opening sources read-only: a folder of CSV/Parquet (DuckDB views), a DuckDB file, a database URL."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool

from lib.db.base import FILE_SUFFIXES, TABLES, Source, SourceKind, connect
from lib.errors import ReviewError


def _find_file(folder: Path, name: str) -> Path | None:
    for suffix in FILE_SUFFIXES:
        candidate = folder / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _reader_sql(path: Path) -> str:
    # The path is a file we found on disk; quote it as a SQL string literal (single quotes doubled).
    quoted = "'" + str(path).replace("'", "''") + "'"
    if path.suffix == ".parquet":
        return f"read_parquet({quoted})"
    delim = ", delim = '\\t'" if path.suffix == ".tsv" else ""
    base = f"read_csv({quoted}, header = true, sample_size = -1{delim}"
    # Numbers stay numbers (value columns can be summed), but every column DuckDB would read as a date or
    # timestamp is kept as text: the schema layer parses it itself, so naive values are read in the product's
    # zone (not the session's UTC), mixed offsets can be reported, and unparseable values counted.
    # sample_size = -1 sniffs the whole file once, so one bad value far down makes text, not a failed scan.
    import duckdb

    con = duckdb.connect()
    try:
        # base is the reader call built above from a path we found on disk (quoted), not user text.
        described = con.execute("DESCRIBE SELECT * FROM " + base + ")").fetchall()
    except duckdb.Error as exc:
        raise ReviewError(
            f"{path} could not be read as CSV: {str(exc).splitlines()[0]}. Check the header row and delimiter.",
            detail=str(exc),
        ) from None
    finally:
        con.close()
    timelike = [str(row[0]) for row in described if str(row[1]).upper().startswith(("TIMESTAMP", "DATE", "TIME"))]
    if not timelike:
        return base + ")"
    types = ", ".join("'" + c.replace("'", "''") + "': 'VARCHAR'" for c in timelike)
    return base + ", types = {" + types + "})"


def mask_url(url: str) -> str:
    """Hide the password in a database URL so it can be shown or logged.

    Parameters
    ----------
    url
        A SQLAlchemy URL string.

    Returns
    -------
    str
        The URL with ``***`` in place of the password.
    """
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]


def open_source(
    path: Path | None = None,
    url: str | None = None,
    tables: Mapping[str, str] | None = None,
) -> Source:
    """Open a folder, a DuckDB file or a database URL for reading.

    Parameters
    ----------
    path
        A folder holding ``events.parquet|csv`` (and optionally ``users.*``, ``assignments.*``) or a
        ``.duckdb`` file.
    url
        A SQLAlchemy URL (``postgresql+psycopg://user@host/db``); used when ``path`` is None.
    tables
        Canonical table name -> table name in a database source (``[source.tables]``).

    Returns
    -------
    Source
        The open source; its engine only reads.

    Raises
    ------
    ReviewError
        When the path does not exist, holds no events file, or the database cannot be reached.
    """
    names = {t: (tables or {}).get(t, t) for t in TABLES}
    if path is not None:
        path = Path(path).expanduser()
        if path.is_dir():
            return _open_folder(path)
        if path.is_file() and path.suffix in (".duckdb", ".db", ".ddb"):
            engine = sa.create_engine(
                f"duckdb:///{path}", connect_args={"read_only": True}, poolclass=StaticPool
            )
            _pin_utc(engine)
            return _with_relations("duckdb", str(path), engine, names)
        if not path.exists():
            raise ReviewError(
                f"The source {path} does not exist. Point --source (or [source] path in review.toml) at a "
                "folder of CSV/Parquet files or a .duckdb file."
            )
        raise ReviewError(
            f"The source {path} is not a folder or a .duckdb file. Use a folder holding events.parquet or "
            "events.csv, a .duckdb file, or a database URL."
        )
    if url is None:
        raise ReviewError("No data source given. Pass --source PATH_OR_URL or set [source] in review.toml.")
    try:
        engine = sa.create_engine(url, pool_pre_ping=True)
    except Exception as exc:
        raise ReviewError(
            f"Could not use the database URL {mask_url(url)}: {str(exc).splitlines()[0]}. Check [source] url "
            "or --source (form: postgresql+psycopg://user:password@host:5432/dbname)."
        ) from None
    _pin_utc(engine)
    return _with_relations("url", mask_url(url), engine, names)


def _open_folder(folder: Path) -> Source:
    files = {t: f for t in TABLES if (f := _find_file(folder, t)) is not None}
    if "events" not in files:
        present = sorted(p.name for p in folder.iterdir() if p.is_file())[:8]
        raise ReviewError(
            f"No events file in {folder}: expected events.parquet or events.csv"
            + (f" (found: {', '.join(present)})" if present else " (the folder is empty)")
            + ". Rename the file or point --source at the right folder."
        )
    views = {t: _reader_sql(f) for t, f in files.items()}
    # StaticPool: an in-memory DuckDB is private to its connection, so every user of this engine must share
    # the one connection that holds the views. DuckDB connections are safe to share across threads.
    engine = sa.create_engine("duckdb:///:memory:", poolclass=StaticPool)

    @sa.event.listens_for(engine, "connect")
    def _create_views(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("SET TimeZone = 'UTC'")
        for name, reader in views.items():
            # name is one of TABLES; reader quotes the path it was given.
            ddl = 'CREATE VIEW "' + name + '" AS SELECT * FROM ' + reader
            cur.execute(ddl)
        cur.close()

    source = Source("folder", str(folder), engine, {t: t for t in files}, files)
    _check_reachable(source)
    return source


def _pin_utc(engine: Engine) -> None:
    dialect = engine.dialect.name

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        if dialect == "duckdb":
            cur.execute("SET TimeZone = 'UTC'")
        elif dialect == "postgresql":
            cur.execute("SET TIME ZONE 'UTC'")
            # Belt and braces: the user should connect as a read-only role; this makes writes fail anyway.
            cur.execute("SET default_transaction_read_only = on")
        cur.close()
        if dialect == "postgresql":
            dbapi_conn.commit()


def _with_relations(kind: SourceKind, label: str, engine: Engine, names: Mapping[str, str]) -> Source:
    source = Source(kind, label, engine, {})
    existing = _check_reachable(source)
    relations = {canon: actual for canon, actual in names.items() if actual in existing}
    return Source(kind, label, engine, relations)


def _check_reachable(source: Source) -> set[str]:
    try:
        if source.dialect in ("duckdb", "postgresql"):
            info = sa.table("tables", sa.column("table_name"), sa.column("table_schema"), schema="information_schema")
            stmt = sa.select(info.c.table_name).where(info.c.table_schema == sa.func.current_schema())
            with connect(source) as conn:
                return {str(r[0]) for r in conn.execute(stmt)}
        inspector = sa.inspect(source.engine)
        return set(inspector.get_table_names()) | set(inspector.get_view_names())
    except Exception as exc:
        raise ReviewError(
            f"Could not read the data source {source.label}: {_first_line(exc)}. Check that it exists, that "
            "the server is running and reachable, and the credentials in the URL.",
            detail=str(exc),
        ) from None


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


def import_files(files: Mapping[str, Path], target: Path) -> Path:
    """Copy uploaded CSV/Parquet files into a local DuckDB workspace file (never the user's own source).

    Parameters
    ----------
    files
        Canonical table name -> uploaded file saved in the workspace folder.
    target
        The workspace ``.duckdb`` file to (re)create.

    Returns
    -------
    Path
        ``target``.

    Raises
    ------
    ReviewError
        When a file cannot be read as CSV/Parquet.
    """
    import duckdb

    tmp = target.with_suffix(".tmp.duckdb")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        for name, path in files.items():
            if name not in TABLES:
                raise ReviewError(f"{path.name}: unknown table {name!r}; name files events, users or assignments.")
            try:
                con.execute('CREATE TABLE "' + name + '" AS SELECT * FROM ' + _reader_sql(path))
            except duckdb.Error as exc:
                raise ReviewError(
                    f"{path.name} could not be read as {'Parquet' if path.suffix == '.parquet' else 'CSV'}: "
                    f"{str(exc).splitlines()[0]}. Check the file's format and header row.",
                    detail=str(exc),
                ) from None
    finally:
        con.close()
    tmp.replace(target)
    return target
