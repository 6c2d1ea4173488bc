"""The data-quality report (DESIGN.md section 3, R1).

Each check counts a problem in the source and, when it finds one, returns a row: check, severity, count, an
example, and advice. Errors (the source cannot be read, a required column is missing, no events, more than 1%
of timestamps unparseable, an invalid config) stop every command with exit 2; warnings are reported and the
numbers still come out. The queries aggregate in the database; only counts and one example row come back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import pandas as pd
import sqlalchemy as sa

from lib import db
from lib.config import ReviewConfig
from lib.errors import ReviewError
from lib.schema import (
    TableInfo,
    Tables,
    inspect_table,
    missing_columns_message,
    tables_from,
    timestamp_expr,
)
from lib.sqlcompat import parse_timestamp

Severity = Literal["error", "warning"]
COLUMNS = ("check", "severity", "count", "example", "advice")
# More than this share of unparseable timestamps means the column is probably not what we think it is.
UNPARSEABLE_ERROR_SHARE = 0.01


@dataclass(frozen=True)
class Finding:
    """One problem found in the data.

    Attributes
    ----------
    check
        Short name of the check (``duplicate_rows``).
    severity
        ``error`` blocks computation; ``warning`` does not.
    count
        How many rows or users are involved.
    example
        One example, as text.
    advice
        What to do about it.
    """

    check: str
    severity: Severity
    count: int
    example: str
    advice: str


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    """Findings as the ``quality`` command's table (columns check, severity, count, example, advice).

    Parameters
    ----------
    findings
        The report.

    Returns
    -------
    pandas.DataFrame
    """
    return pd.DataFrame([[getattr(f, c) for c in COLUMNS] for f in findings], columns=list(COLUMNS))


def _scalar(source: db.Source, stmt: sa.Select[Any]) -> Any:
    frame = db.run(source, stmt)
    return None if frame.empty else frame.iloc[0, 0]


def _first_row(source: db.Source, stmt: sa.Select[Any]) -> dict[str, Any] | None:
    frame = db.run(source, stmt.limit(1))
    return None if frame.empty else {str(k): v for k, v in frame.iloc[0].items()}


def _fmt(row: dict[str, Any] | None) -> str:
    if not row:
        return ""
    return ", ".join(f"{k}={v}" for k, v in row.items())


def run_quality(config: ReviewConfig, source: db.Source | None = None, now: datetime | None = None) -> list[Finding]:
    """Run every data-quality check on the config's source.

    Parameters
    ----------
    config
        The review config (source, mapping, time zone, experiments, named events).
    source
        An already-open source (the UI caches it); opened from the config when None.
    now
        The wall clock for the future-timestamp check (tests pass a fixed one).

    Returns
    -------
    list of Finding
        Empty when the data is clean.
    """
    try:
        src = source or db.open_source(config.source.path, config.source.url, config.source.tables)
    except ReviewError as err:
        return [Finding("source_unreadable", "error", 1, "", err.message)]
    cfg_name = config.path.name if config.path else "review.toml"
    if "events" not in src.relations:
        return [Finding("events_missing", "error", 1, src.label,
                        f"No events table or file in {src.label}. Add events.parquet/events.csv, or map the table "
                        f"in {cfg_name} under [source.tables].")]
    infos = {t: inspect_table(src, t, config.source.columns.get(t)) for t in db.TABLES if t in src.relations}
    findings = [
        Finding("missing_column", "error", len(info.missing), ", ".join(info.missing),
                missing_columns_message(info, cfg_name))
        for info in infos.values() if info.missing
    ]
    if findings:
        return findings
    tz = config.source.timezone
    tables = tables_from(src, infos, tz)
    total = int(_scalar(src, sa.select(sa.func.count()).select_from(tables.events)) or 0)
    if total == 0:
        return [Finding("events_empty", "error", 0, infos["events"].where,
                        f"The events table ({infos['events'].where}) has no rows. Export the events again or "
                        "point --source at the right folder.")]
    checks: list[Callable[[], list[Finding]]] = [
        lambda: _timestamps(src, infos, tz),
        lambda: _future(src, tables, now or datetime.now(UTC)),
        lambda: _duplicates(src, tables, total),
        lambda: _before_signup(src, tables),
        lambda: _unknown_users(src, tables),
        lambda: _duplicate_users(src, tables),
        lambda: _multi_variant(src, tables),
        lambda: _mixed_offsets(src, infos),
        lambda: _unknown_events(src, tables, config),
    ]
    for check in checks:
        findings.extend(check())
    return findings


def blocking_timestamp_error(src: db.Source, infos: Mapping[str, TableInfo], tz: str) -> str | None:
    """The error-level timestamp problem that stops every command, if any (more than 1% unparseable).

    Only text timestamps (CSV) can fail to parse, so sources with typed timestamps cost no query here.

    Parameters
    ----------
    src
        The open source.
    infos
        Its inspected tables (from :func:`lib.schema.checked_infos`).
    tz
        The configured time zone (naive text is parsed in it, as the canonical tables do).

    Returns
    -------
    str or None
        The message to show, or None when the timestamps are usable.
    """
    text = {t: i for t, i in infos.items() if "text" in i.ts_kinds.values()}
    for finding in _timestamps(src, text, tz):
        if finding.severity == "error":
            return f"{finding.example}: {finding.advice} Run `python -m lib quality` for the full report."
    return None


def _timestamps(src: db.Source, infos: Mapping[str, TableInfo], tz: str) -> list[Finding]:
    out: list[Finding] = []
    for name, info in infos.items():
        for canon in ("timestamp", "signup_at"):
            if canon not in info.mapping:
                continue
            raw_col = info.mapping[canon]
            raw = sa.table(src.relations[name], sa.column(raw_col)).alias("raw")
            # The canonical table's own parse of the column, so one scan counts rows, empty and unreadable values.
            ts = timestamp_expr(raw.c[raw_col], info.ts_kinds[canon], tz, info.where, raw_col)
            counts = db.run(src, sa.select(
                sa.func.count().label("rows"),
                sa.func.sum(sa.case((ts.is_(None), 1), else_=0)).label("bad"),
                sa.func.sum(sa.case((raw.c[raw_col].is_(None), 1), else_=0)).label("null"),
            )).iloc[0]
            n_rows = int(counts["rows"] or 0)
            n_bad = 0 if pd.isna(counts["bad"]) else int(counts["bad"])
            n_null = 0 if pd.isna(counts["null"]) else int(counts["null"])
            unparseable = n_bad - n_null
            if unparseable > 0:
                example = _example_unparseable(src, info, raw_col)
                share = unparseable / max(n_rows, 1)
                severity: Severity = "error" if share > UNPARSEABLE_ERROR_SHARE else "warning"
                out.append(Finding(
                    "unparseable_timestamps", severity, unparseable,
                    f"{info.where}, column {raw_col}: {example!r}",
                    f"{share:.1%} of the values in {raw_col} could not be read as timestamps"
                    + (" (more than 1%: fix the export or map the right column in [source.columns])."
                       if severity == "error" else "; those rows are left out. Use ISO 8601 (2026-09-01T10:00:00Z)."),
                ))
            if n_null > 0 and canon == "timestamp":
                out.append(Finding("missing_timestamps", "warning", n_null, f"{info.where}, column {raw_col}",
                                   f"{n_null} rows have no {raw_col}; they are left out."))
    return out


def _example_unparseable(src: db.Source, info: TableInfo, raw_col: str) -> str:
    kinds = set(info.ts_kinds.values())
    if "text" not in kinds or src.dialect != "duckdb":
        return ""
    raw = sa.table(src.relations[info.name], sa.column(raw_col))
    # The same parse as the canonical table, applied to the raw text: the first value that gives NULL.
    probe = sa.select(raw.c[raw_col]).where(
        raw.c[raw_col].is_not(None), parse_timestamp(raw.c[raw_col], "UTC").is_(None)
    )
    row = _first_row(src, probe)
    return "" if row is None else str(next(iter(row.values())))


def _future(src: db.Source, tables: Tables, now: datetime) -> list[Finding]:
    ev = tables.events
    when = sa.literal(now, sa.DateTime(timezone=True))
    n = int(_scalar(src, sa.select(sa.func.count()).select_from(ev).where(ev.c.ts > when)) or 0)
    if not n:
        return []
    example = _fmt(_first_row(src, sa.select(ev.c.user_id, ev.c.event, ev.c.ts).where(ev.c.ts > when)))
    return [Finding("future_timestamps", "warning", n, example,
                    f"{n} events are dated after now ({now:%Y-%m-%d %H:%M} UTC): a clock or time-zone problem in "
                    "the export. They are left out of as_of; check [source] timezone.")]


def _duplicates(src: db.Source, tables: Tables, total: int) -> list[Finding]:
    ev = tables.events
    keys = [ev.c.user_id, ev.c.event, ev.c.ts]
    grouped = sa.select(*keys, sa.func.count().label("n")).group_by(*keys).having(sa.func.count() > 1).subquery()
    n = int(_scalar(src, sa.select(sa.func.coalesce(sa.func.sum(grouped.c.n - 1), 0))) or 0)
    if not n:
        return []
    example = _fmt(_first_row(src, sa.select(grouped)))
    return [Finding("duplicate_rows", "warning", n, example,
                    f"{n} events repeat another with the same user, event and timestamp ({n / total:.1%} of rows). "
                    "Counts of distinct users are unaffected; event counts include the copies. De-duplicate the "
                    "export if it matters.")]


def _before_signup(src: db.Source, tables: Tables) -> list[Finding]:
    if tables.users is None or not tables.has_signup:
        return []
    ev, u = tables.events, tables.users
    join = ev.join(u, u.c.user_id == ev.c.user_id)
    cond = ev.c.ts < u.c.signup_at
    n = int(_scalar(src, sa.select(sa.func.count()).select_from(join).where(cond)) or 0)
    if not n:
        return []
    example = _fmt(_first_row(src, sa.select(ev.c.user_id, ev.c.event, ev.c.ts, u.c.signup_at)
                              .select_from(join).where(cond)))
    return [Finding("events_before_signup", "warning", n, example,
                    f"{n} events happened before their user's signup_at. Retention ignores events before the "
                    "anchor; check the signup time zone or use --anchor first_event.")]


def _unknown_users(src: db.Source, tables: Tables) -> list[Finding]:
    if tables.users is None:
        return []
    ev, u = tables.events, tables.users
    cond = ~ev.c.user_id.in_(sa.select(u.c.user_id))
    stmt = sa.select(sa.func.count(sa.distinct(ev.c.user_id))).where(cond)
    n = int(_scalar(src, stmt) or 0)
    if not n:
        return []
    example = _fmt(_first_row(src, sa.select(ev.c.user_id, ev.c.event).where(cond)))
    return [Finding("unknown_users", "warning", n, example,
                    f"{n} users have events but no row in the users table. They have no attributes (breakdowns "
                    "put them under null); add them to the users export.")]


def _duplicate_users(src: db.Source, tables: Tables) -> list[Finding]:
    if tables.users is None:
        return []
    u = tables.users
    repeated = (
        sa.select(u.c.user_id, sa.func.count().label("rows")).group_by(u.c.user_id).having(sa.func.count() > 1)
    ).subquery()
    n = int(_scalar(src, sa.select(sa.func.count()).select_from(repeated)) or 0)
    if not n:
        return []
    example = _fmt(_first_row(src, sa.select(repeated)))
    return [Finding("duplicate_users", "warning", n, example,
                    f"{n} user_ids appear more than once in the users table. Breakdowns and cohort sizes count such "
                    "a user once per row; keep one row per user in the users export.")]


def _multi_variant(src: db.Source, tables: Tables) -> list[Finding]:
    if tables.assignments is None:
        return []
    a = tables.assignments
    per = (
        sa.select(a.c.experiment, a.c.user_id, sa.func.count(sa.distinct(a.c.variant)).label("variants"))
        .group_by(a.c.experiment, a.c.user_id)
        .having(sa.func.count(sa.distinct(a.c.variant)) > 1)
        .subquery()
    )
    stmt = sa.select(per.c.experiment, sa.func.count().label("users"), sa.func.min(per.c.user_id).label("example")
                     ).group_by(per.c.experiment).order_by(per.c.experiment)
    frame = db.run(src, stmt)
    return [
        Finding("multi_variant_users", "warning", int(row.users),
                f"experiment {row.experiment}: user {row.example}",
                f"{int(row.users)} users of {row.experiment} were assigned to more than one variant. They are "
                "excluded from its analysis (SRM is computed after the exclusion); fix the assignment code.")
        for row in frame.itertuples()
    ]


def _mixed_offsets(src: db.Source, infos: dict[str, TableInfo]) -> list[Finding]:
    out: list[Finding] = []
    for info in infos.values():
        for canon, kind in info.ts_kinds.items():
            if kind != "text" or src.dialect != "duckdb":
                continue
            col = info.mapping[canon]
            raw = sa.table(src.relations[info.name], sa.column(col))
            offset = sa.func.regexp_extract(sa.func.trim(raw.c[col]), r"([+-][0-9]{2}:?[0-9]{2}|Z)$")
            # Only values that parse: an unreadable value is reported once, as unparseable, not as a zone.
            stmt = sa.select(offset.label("offset"), sa.func.count().label("n")).where(
                raw.c[col].is_not(None), parse_timestamp(raw.c[col], "UTC").is_not(None)
            ).group_by(offset).order_by(sa.func.count().desc())
            frame = db.run(src, stmt)
            if len(frame) > 1:
                kinds = ", ".join(f"{o or 'none'} ({n})" for o, n in frame.itertuples(index=False))
                out.append(Finding("mixed_time_zones", "warning", int(frame["n"].iloc[1:].sum()),
                                   f"{info.where}, column {col}: offsets {kinds}",
                                   "Timestamps carry different UTC offsets (or none). Each is converted to UTC; "
                                   "values without an offset are read in [source] timezone. Check the export."))
    return out


def _unknown_events(src: db.Source, tables: Tables, config: ReviewConfig) -> list[Finding]:
    named: dict[str, str] = {}
    for m in config.metrics.values():
        if m.event:
            named.setdefault(m.event, f"metrics.{m.name}.event")
    for f in config.funnels:
        for s in f.steps:
            named.setdefault(s, f"funnels '{f.name}' steps")
    for feat in config.features:
        named.setdefault(feat.event, f"features '{feat.name}' event")
    if not named:
        return []
    ev = tables.events
    seen = set(db.run(src, sa.select(ev.c.event).where(ev.c.event.in_(list(named))).distinct())["event"])
    return [
        Finding("unknown_event", "warning", 0, f"{where}: {name!r}",
                f"No event named {name!r} occurs in the data, so {where} will be zero. Check the spelling "
                "against the events table.")
        for name, where in named.items() if name not in seen
    ]
