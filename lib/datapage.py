"""The Data page's content, kept out of the page so it can be tested without Streamlit."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from lib import db
from lib.config import ReviewConfig
from lib.context import Context
from lib.errors import ReviewError
from lib.quality import findings_frame, run_quality
from lib.schema import REQUIRED, inspect_table
from lib.workspace import table_for_upload, upload_dir

Runner = Callable[[Context, Any], pd.DataFrame]


def source_sentence(config: ReviewConfig, source: db.Source | None) -> str:
    """One sentence saying which data the app is looking at.

    Parameters
    ----------
    config
        The review config.
    source
        The open source, when it opened.

    Returns
    -------
    str
    """
    cfg = f"config `{config.path}`" if config.path else "no config file (canonical names, no metrics)"
    if source is None:
        return f"Could not open the source; {cfg}."
    kind = {"folder": "a folder of files", "duckdb": "a DuckDB file", "url": "a database"}[source.kind]
    return f"Reading {kind}: `{source.label}`, with {cfg}. Access is read-only."


def table_summary(ctx: Context, runner: Runner) -> pd.DataFrame:
    """Rows, users, first and last timestamps per canonical table.

    Parameters
    ----------
    ctx
        The context.
    runner
        Executes a Select (``ui.run`` for caching, ``Context.run`` otherwise).

    Returns
    -------
    pandas.DataFrame
        Columns table, rows, users, first, last, columns.
    """
    t = ctx.all_tables
    rows: list[dict[str, Any]] = []
    for name, rel, ts in (
        ("events", t.events, "ts"),
        ("users", t.users, "signup_at" if t.has_signup else None),
        ("assignments", t.assignments, "ts" if t.has_exposure_ts else None),
    ):
        if rel is None:
            rows.append({"table": name, "rows": None, "users": None, "first": None, "last": None,
                         "columns": "(absent)"})
            continue
        cols = [sa.func.count().label("rows"), sa.func.count(sa.distinct(rel.c.user_id)).label("users")]
        if ts:
            cols += [sa.func.min(rel.c[ts]).label("first"), sa.func.max(rel.c[ts]).label("last")]
        frame = runner(ctx, sa.select(*cols))
        rec = frame.iloc[0].to_dict()
        rows.append({"table": name, "rows": int(rec["rows"]), "users": int(rec["users"]),
                     "first": rec.get("first"), "last": rec.get("last"),
                     "columns": ", ".join(c.name for c in rel.columns)})
    return pd.DataFrame(rows)


def quality_table(config: ReviewConfig, source: db.Source | None) -> pd.DataFrame:
    """The data-quality report as a table.

    Parameters
    ----------
    config
        The review config.
    source
        The app's open (cached) source; None when it could not be opened, and the report then says why.

    Returns
    -------
    pandas.DataFrame
    """
    return findings_frame(run_quality(config, source))


def quality_sentence(findings: pd.DataFrame) -> str:
    """A summary of the quality report.

    Parameters
    ----------
    findings
        The report table.

    Returns
    -------
    str
    """
    errors = int((findings["severity"] == "error").sum())
    warnings = int((findings["severity"] == "warning").sum())
    if errors:
        return (f"{errors} error(s) stop the numbers from being computed; fix them first. "
                f"{warnings} warning(s) are listed too.")
    return f"{warnings} warning(s): the numbers still come out, with the rows involved handled as described."


def mapping_table(ctx: Context, config: ReviewConfig) -> pd.DataFrame:
    """Canonical column -> source column per table, as the app reads it now.

    Parameters
    ----------
    ctx
        The context.
    config
        The review config (for the explicit mapping).

    Returns
    -------
    pandas.DataFrame
        Columns table, canonical, source_column, type.
    """
    rows = []
    for table in db.TABLES:
        if table not in ctx.source.relations:
            continue
        info = inspect_table(ctx.source, table, config.source.columns.get(table))
        for canon, src in info.mapping.items():
            rows.append({"table": table, "canonical": canon, "source_column": src, "type": info.columns[src]})
    return pd.DataFrame(rows, columns=["table", "canonical", "source_column", "type"])


def mapping_snippet(config: ReviewConfig) -> str:
    """A ``[source.columns.*]`` TOML block the user can paste into review.toml.

    Parameters
    ----------
    config
        The review config (its explicit mapping is kept; canonical names fill the rest).

    Returns
    -------
    str
    """
    lines = []
    for table, required in REQUIRED.items():
        lines.append(f"[source.columns.{table}]")
        explicit = config.source.columns.get(table, {})
        for canon in required:
            lines.append(f'{canon} = "{explicit.get(canon, canon)}"')
        lines.append("")
    return "\n".join(lines).strip()


def save_upload(files: Sequence[tuple[str, bytes]]) -> str:
    """Import uploaded files into a local DuckDB workspace file and check they can be read.

    The files are written to the upload workspace (``~/.cache/launch-review/workspaces/upload``), then
    imported into a new ``upload-<hash>.duckdb`` there: a new name per upload, so a cached connection to an
    earlier upload never serves stale data. The sample product and the user's own files are never touched.

    Parameters
    ----------
    files
        (file name, content) pairs.

    Returns
    -------
    str
        The workspace DuckDB file, to use as the source.

    Raises
    ------
    ReviewError
        For a file that is not events/users/assignments CSV/Parquet, no events file, or an unreadable file.
    """
    tables: dict[str, str] = {}
    for name, _ in files:
        tables[table_for_upload(name)] = name
    if "events" not in tables:
        raise ReviewError("No events file among the uploads. Upload events.csv or events.parquet.")
    folder = upload_dir()
    digest = hashlib.sha256()
    saved: dict[str, Path] = {}
    for name, content in files:
        table = table_for_upload(name)
        suffix = ".parquet" if name.lower().endswith(".parquet") else ".csv"
        path = folder / f"{table}{suffix}"
        path.write_bytes(content)
        saved[table] = path
        digest.update(name.encode() + b"\0" + content)
    target = folder / f"upload-{digest.hexdigest()[:12]}.duckdb"
    if not target.exists():
        db.import_files(saved, target)
    for path in saved.values():
        path.unlink(missing_ok=True)
    # Prove the tables are usable now, so the error shows here rather than on every page.
    try:
        source = db.open_source(target, None)
        for table in source.relations:
            info = inspect_table(source, table)
            if info.missing:
                raise ReviewError(f"{tables[table]}: required column {', '.join(info.missing)} is missing "
                                  f"(columns found: {', '.join(info.columns)}). Rename it and upload again.")
    except ReviewError:
        target.unlink(missing_ok=True)
        raise
    return str(target)
