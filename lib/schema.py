"""Canonical tables over the mapped source.

Whatever the source calls its columns, metric code sees three relations with the canonical names of the data
contract (DESIGN.md section 3):

- ``events``: ``user_id``, ``event``, ``ts`` (the event's instant, UTC) and every other source column as a
  property;
- ``users`` (optional): ``user_id``, ``signup_at`` (optional, UTC) and attribute columns;
- ``assignments`` (optional): ``user_id``, ``experiment``, ``variant``, ``ts`` (optional exposure instant).

Each is a subquery that renames the mapped columns and normalises timestamps (naive values are read in the
configured zone). Identifiers only ever come from the reflected source, so user text never becomes SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import FromClause
from sqlalchemy.sql.elements import ColumnElement

from lib import db
from lib.errors import ReviewError
from lib.sqlcompat import local_to_utc, parse_timestamp

REQUIRED: Mapping[str, tuple[str, ...]] = {
    "events": ("user_id", "event", "timestamp"),
    "users": ("user_id",),
    "assignments": ("user_id", "experiment", "variant"),
}
OPTIONAL_TS: Mapping[str, str] = {"users": "signup_at", "assignments": "timestamp"}
# Canonical timestamp columns and the name metric code uses for them.
TS_NAMES: Mapping[str, Mapping[str, str]] = {
    "events": {"timestamp": "ts"},
    "users": {"signup_at": "signup_at"},
    "assignments": {"timestamp": "ts"},
}


@dataclass(frozen=True)
class TableInfo:
    """What the schema layer learned about one source table.

    Attributes
    ----------
    name
        Canonical name (``events``, ``users``, ``assignments``).
    where
        Where it came from, for messages: a file path or ``table x in <db>``.
    columns
        Source column -> type name.
    mapping
        Canonical column -> source column, for the canonical columns present.
    missing
        Required canonical columns that the source lacks.
    ts_kinds
        Canonical timestamp column -> how it is stored: ``instant``, ``naive``, ``date``, ``text`` or ``other``.
    """

    name: str
    where: str
    columns: Mapping[str, str]
    mapping: Mapping[str, str]
    missing: tuple[str, ...]
    ts_kinds: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Tables:
    """The canonical relations of one source, ready for metric code.

    Attributes
    ----------
    events, users, assignments
        Subqueries with canonical column names (``users``/``assignments`` may be None).
    timezone
        The product's IANA time zone: every date boundary is taken in it.
    event_properties
        Names of the extra event columns (platform, country...).
    user_attributes
        Names of the extra user columns (plan, channel...).
    has_signup
        Whether ``users.signup_at`` exists.
    has_exposure_ts
        Whether ``assignments.ts`` exists.
    """

    events: FromClause
    users: FromClause | None
    assignments: FromClause | None
    timezone: str
    event_properties: tuple[str, ...] = ()
    user_attributes: tuple[str, ...] = ()
    has_signup: bool = False
    has_exposure_ts: bool = False

    def user_attribute(self, name: str) -> ColumnElement[Any]:
        """The users-table column for a breakdown attribute, from the whitelist of reflected columns.

        Parameters
        ----------
        name
            An attribute name such as ``"plan"``.

        Returns
        -------
        ColumnElement
            The column of ``users``.

        Raises
        ------
        ValueError
            When the users table has no such column; the message lists the allowed names.
        """
        if self.users is None or name not in self.user_attributes:
            allowed = ", ".join(self.user_attributes) or "none (no users table)"
            raise ValueError(f"unknown user attribute {name!r}; allowed: {allowed}")
        return self.users.c[name]

    def event_property(self, name: str) -> ColumnElement[Any]:
        """The events-table column for an event property, from the whitelist of reflected columns.

        Parameters
        ----------
        name
            A property name such as ``"platform"``.

        Returns
        -------
        ColumnElement
            The column of ``events``.

        Raises
        ------
        ValueError
            When the events table has no such column; the message lists the allowed names.
        """
        if name not in self.event_properties:
            allowed = ", ".join(self.event_properties) or "none"
            raise ValueError(f"unknown event property {name!r}; allowed: {allowed}")
        return self.events.c[name]


def _ts_kind(type_name: str) -> str:
    t = type_name.lower()
    if "with time zone" in t or t in ("timestamptz", "timestamp_tz"):
        return "instant"
    if t.startswith("timestamp") or t.startswith("datetime"):
        return "naive"
    if t == "date":
        return "date"
    if "char" in t or "text" in t or "string" in t:
        return "text"
    return "other"


def inspect_table(source: db.Source, name: str, columns: Mapping[str, str] | None = None) -> TableInfo:
    """Reflect a source table and match its columns to the canonical ones.

    Parameters
    ----------
    source
        An open source holding the table.
    name
        Canonical table name.
    columns
        The config's mapping for this table: canonical name -> source column.

    Returns
    -------
    TableInfo
        Columns, mapping, missing required columns and timestamp storage kinds.
    """
    cols = db.reflect_columns(source, name)
    where = str(source.files[name]) if name in source.files else f"table {source.relations[name]} in {source.label}"
    explicit = dict(columns or {})
    wanted = REQUIRED[name] + ((OPTIONAL_TS[name],) if name in OPTIONAL_TS else ())
    mapping: dict[str, str] = {}
    for canon in wanted:
        src = explicit.get(canon, canon)
        if src in cols:
            mapping[canon] = src
    missing = tuple(c for c in REQUIRED[name] if c not in mapping)
    ts_kinds = {canon: _ts_kind(cols[mapping[canon]]) for canon in TS_NAMES[name] if canon in mapping}
    return TableInfo(name, where, cols, mapping, missing, ts_kinds)


def missing_columns_message(info: TableInfo, config_path: str = "review.toml") -> str:
    """A plain message for a table that lacks required columns.

    Parameters
    ----------
    info
        The inspected table.
    config_path
        The config file to name in the advice.

    Returns
    -------
    str
        What is missing, where, what exists, and the config key that maps it.
    """
    have = ", ".join(list(info.columns)[:12])
    missing = ", ".join(info.missing)
    return (
        f"{info.where}: required column {missing} is missing (columns found: {have}). Rename the column, or map "
        f"it in {config_path} under [source.columns.{info.name}] (e.g. {info.missing[0]} = \"your_column\")."
    )


def timestamp_expr(column: ColumnElement[Any], kind: str, tz: str, where: str, name: str) -> ColumnElement[Any]:
    """Normalise a stored timestamp to an instant (TIMESTAMPTZ, UTC).

    Parameters
    ----------
    column
        The source column.
    kind
        Its storage kind from :func:`inspect_table`.
    tz
        The configured zone for naive values.
    where, name
        Where the column lives and its name, for the error message.

    Returns
    -------
    ColumnElement
        An instant expression.
    """
    if kind == "instant":
        return column
    if kind == "naive":
        return local_to_utc(column, tz)
    if kind == "date":
        return local_to_utc(sa.cast(column, sa.DateTime()), tz)
    if kind == "text":
        return parse_timestamp(column, tz)
    raise ReviewError(
        f"{where}: column {name} is not a timestamp (it has another type). Store timestamps as ISO 8601 text or "
        "a timestamp type, or map another column in [source.columns]."
    )


def canonical(
    source: db.Source,
    info: TableInfo,
    tz: str,
    user_id_as_text: bool = False,
) -> FromClause:
    """The canonical subquery of one table (see the module docstring for its columns).

    Parameters
    ----------
    source
        The open source.
    info
        The table as inspected; must have no missing required columns.
    tz
        The configured time zone.
    user_id_as_text
        Cast ``user_id`` to text: set when the tables store it with different types (CSV text beside Parquet
        integers), which databases refuse to compare.

    Returns
    -------
    FromClause
        A subquery aliased to the canonical table name.
    """
    if info.missing:
        raise ReviewError(missing_columns_message(info))
    raw = sa.table(source.relations[info.name], *[sa.column(c) for c in info.columns])
    selected: list[ColumnElement[Any]] = []
    for canon, src in info.mapping.items():
        if canon in TS_NAMES[info.name]:
            expr = timestamp_expr(raw.c[src], info.ts_kinds[canon], tz, info.where, src)
            selected.append(expr.label(TS_NAMES[info.name][canon]))
        elif canon == "user_id" and user_id_as_text:
            selected.append(sa.cast(raw.c[src], sa.String).label(canon))
        else:
            selected.append(raw.c[src].label(canon))
    selected += [raw.c[col].label(col) for col in extra_columns(info)]
    return sa.select(*selected).subquery(info.name)


def extra_columns(info: TableInfo) -> tuple[str, ...]:
    """Source columns of a table that are not canonical: event properties or user attributes.

    Parameters
    ----------
    info
        The inspected table.

    Returns
    -------
    tuple of str
        Column names, in source order.
    """
    used = set(info.mapping.values())
    reserved = set(REQUIRED[info.name]) | {"ts", "signup_at", "timestamp"}
    return tuple(c for c in info.columns if c not in used and c not in reserved)


def checked_infos(
    source: db.Source,
    columns: Mapping[str, Mapping[str, str]] | None = None,
    config_path: str = "review.toml",
) -> dict[str, TableInfo]:
    """Inspect every table of a source, or raise a clear error when the data contract is not met.

    Parameters
    ----------
    source
        The open source.
    columns
        ``[source.columns.*]`` from the config.
    config_path
        Named in error messages.

    Returns
    -------
    dict
        Canonical table name -> inspected table, for the tables the source has.

    Raises
    ------
    ReviewError
        When the events table is absent or a table lacks a required column.
    """
    if "events" not in source.relations:
        raise ReviewError(
            f"No events table in {source.label}. Name it events, or map it in {config_path} under "
            "[source.tables] (events = \"your_table\")."
        )
    infos = {t: inspect_table(source, t, (columns or {}).get(t)) for t in db.TABLES if t in source.relations}
    for info in infos.values():
        if info.missing:
            raise ReviewError(missing_columns_message(info, config_path))
    return infos


def build_tables(
    source: db.Source,
    tz: str,
    columns: Mapping[str, Mapping[str, str]] | None = None,
    config_path: str = "review.toml",
) -> Tables:
    """Canonical tables for a source: :func:`checked_infos` (which raises on a broken contract), then
    :func:`tables_from` in time zone ``tz``.

    Returns
    -------
    Tables
    """
    return tables_from(source, checked_infos(source, columns, config_path), tz)


def _type_family(type_name: str) -> str:
    t = type_name.lower()
    if "int" in t or t in ("numeric", "decimal", "hugeint", "ubigint"):
        return "integer"
    if "char" in t or "text" in t or "string" in t:
        return "text"
    return t


def tables_from(source: db.Source, infos: Mapping[str, TableInfo], tz: str) -> Tables:
    """Canonical tables from inspected tables (no missing required columns).

    Parameters
    ----------
    source
        The open source.
    infos
        Canonical table name -> inspected table; ``events`` is required.
    tz
        The configured time zone.

    Returns
    -------
    Tables
    """
    families = {_type_family(info.columns[info.mapping["user_id"]]) for info in infos.values()}
    as_text = len(families) > 1
    rel = {t: canonical(source, info, tz, user_id_as_text=as_text) for t, info in infos.items()}
    users = infos.get("users")
    assignments = infos.get("assignments")
    return Tables(
        events=rel["events"],
        users=rel.get("users"),
        assignments=rel.get("assignments"),
        timezone=tz,
        event_properties=extra_columns(infos["events"]),
        user_attributes=extra_columns(users) if users else (),
        has_signup=bool(users and "signup_at" in users.mapping),
        has_exposure_ts=bool(assignments and "timestamp" in assignments.mapping),
    )
