"""Segment filters: ``--filter country=FR`` on the CLI, the segment picker in the sidebar.

A bare name is the user attribute when the users table has that column, else the event property;
``user.x=`` / ``event.x=`` say which explicitly. Filters on different attributes AND together; repeated values
of one attribute OR. Applying filters returns new canonical tables, so metric code never sees them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import sqlalchemy as sa

from lib.errors import ReviewError
from lib.schema import Tables

Scope = Literal["user", "event"]


@dataclass(frozen=True)
class Filter:
    """One attribute and the values it may take.

    Attributes
    ----------
    attribute
        Column name (a user attribute or an event property).
    values
        Accepted values (OR).
    scope
        ``"user"``, ``"event"``, or None to decide from the schema.
    """

    attribute: str
    values: tuple[str, ...]
    scope: Scope | None = None


def parse_filters(specs: Iterable[str]) -> tuple[Filter, ...]:
    """Parse ``ATTR=VALUE`` strings, merging repeated attributes into one OR filter.

    Parameters
    ----------
    specs
        Strings such as ``"country=FR"``, ``"user.plan=pro"``, ``"event.platform=ios"``.

    Returns
    -------
    tuple of Filter

    Raises
    ------
    ReviewError
        For a string without ``=`` or with an empty name.
    """
    merged: dict[tuple[str, Scope | None], list[str]] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ReviewError(
                f"--filter {spec!r} is not of the form ATTR=VALUE. Example: --filter country=FR "
                "(or user.plan=pro, event.platform=ios)."
            )
        scope: Scope | None = None
        if name.startswith("user."):
            scope, name = "user", name[5:]
        elif name.startswith("event."):
            scope, name = "event", name[6:]
        if not name:
            raise ReviewError(
                f"--filter {spec!r} names no attribute after '{scope}.': use ATTR=VALUE, "
                f"e.g. --filter {scope}.plan=pro."
            )
        merged.setdefault((name, scope), []).append(value.strip())
    return tuple(Filter(name, tuple(vals), scope) for (name, scope), vals in merged.items())


def resolve_scope(tables: Tables, f: Filter) -> Scope:
    """Decide whether a filter applies to users or to events.

    Parameters
    ----------
    tables
        Canonical tables (their reflected columns are the whitelist).
    f
        The filter.

    Returns
    -------
    Scope

    Raises
    ------
    ReviewError
        When the attribute exists in neither table; lists the names that do.
    """
    in_users = f.attribute in tables.user_attributes
    in_events = f.attribute in tables.event_properties
    if (f.scope == "user" and in_users) or (f.scope is None and in_users):
        return "user"
    if (f.scope == "event" and in_events) or (f.scope is None and in_events):
        return "event"
    allowed = [f"user.{a}" for a in tables.user_attributes] + [f"event.{p}" for p in tables.event_properties]
    raise ReviewError(
        f"Cannot filter on {f.attribute!r}: it is not a column of the "
        + ({"user": "users table", "event": "events table"}.get(f.scope or "", "users or events tables"))
        + f". Filterable: {', '.join(allowed) or 'none'}."
    )


def apply_filters(tables: Tables, filters: Sequence[Filter]) -> Tables:
    """Canonical tables restricted by segment filters.

    A user filter keeps the users matching it and the events of those users; an event filter keeps matching
    events only (so "platform=ios" retention counts iOS activity).

    Parameters
    ----------
    tables
        Canonical tables.
    filters
        Parsed filters.

    Returns
    -------
    Tables
        New tables with the same columns.
    """
    if not filters:
        return tables
    events, users = tables.events, tables.users
    user_conds = []
    event_conds = []
    for f in filters:
        scope = resolve_scope(tables, f)
        if scope == "user":
            assert tables.users is not None
            user_conds.append(sa.cast(tables.users.c[f.attribute], sa.String).in_(list(f.values)))
        else:
            event_conds.append(sa.cast(tables.events.c[f.attribute], sa.String).in_(list(f.values)))
    if user_conds and tables.users is not None:
        u = tables.users
        users = sa.select(u).where(*user_conds).subquery("users")
        keep = sa.select(users.c.user_id)
        ev = tables.events
        events = sa.select(ev).where(ev.c.user_id.in_(keep), *event_conds).subquery("events")
    elif event_conds:
        ev = tables.events
        events = sa.select(ev).where(*event_conds).subquery("events")
    assignments = tables.assignments
    if user_conds and assignments is not None and users is not None:
        assignments = (
            sa.select(assignments).where(assignments.c.user_id.in_(sa.select(users.c.user_id))).subquery("assignments")
        )
    return replace(tables, events=events, users=users, assignments=assignments)


def describe(filters: Sequence[Filter]) -> str:
    """Filters in words, for captions: ``"country = FR or DE, plan = pro"``.

    Parameters
    ----------
    filters
        Parsed filters.

    Returns
    -------
    str
        Empty string when there are none.
    """
    return ", ".join(f"{f.attribute} = {' or '.join(f.values)}" for f in filters)


def distinct_values(tables: Tables, attribute: str, scope: str, limit: int = 50) -> sa.Select[Any]:
    """A Select of the most common values of a user attribute or event property (for filter pickers).

    Parameters
    ----------
    tables
        Canonical tables.
    attribute
        Attribute/property name (whitelisted).
    scope
        ``"user"`` or ``"event"``.
    limit
        At most this many values, most frequent first.

    Returns
    -------
    Select
        Columns ``value``, ``n``.
    """
    col = tables.user_attribute(attribute) if scope == "user" else tables.event_property(attribute)
    return (
        sa.select(col.label("value"), sa.func.count().label("n"))
        .where(col.is_not(None))
        .group_by(col)
        .order_by(sa.func.count().desc(), col)
        .limit(limit)
    )
