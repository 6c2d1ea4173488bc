"""lib/filters.py: parsing --filter, user vs event scope, and applying filters to a tiny table."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from lib import db, schema
from lib.errors import ReviewError
from lib.filters import Filter, apply_filters, describe, parse_filters, resolve_scope


def test_parse_merges_repeated_attributes_into_one_or() -> None:
    assert parse_filters(["country=FR", "plan=pro", " country = DE "]) == (
        Filter("country", ("FR", "DE")),
        Filter("plan", ("pro",)),
    )


def test_parse_explicit_scopes_are_separate_filters() -> None:
    assert parse_filters(["user.country=FR", "event.country=DE", "event.platform=ios"]) == (
        Filter("country", ("FR",), "user"),
        Filter("country", ("DE",), "event"),
        Filter("platform", ("ios",), "event"),
    )


def test_parse_keeps_equals_signs_in_values() -> None:
    assert parse_filters(["utm=a=b"]) == (Filter("utm", ("a=b",)),)


@pytest.mark.parametrize(
    "spec",
    [
        "country",
        "=FR",
        " =FR",
        "user.=x",
    ],
)
def test_parse_rejects_malformed_specs(spec: str) -> None:
    with pytest.raises(ReviewError, match="ATTR=VALUE"):
        parse_filters([spec])


def test_describe() -> None:
    assert describe(parse_filters(["country=FR", "country=DE", "plan=pro"])) == "country = FR or DE, plan = pro"
    assert describe(()) == ""


@pytest.fixture
def source(tmp_path: Path) -> db.Source:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "events.csv").write_text(
        "user_id,event,timestamp,platform,country\n"
        "1,open,2026-09-01T10:00:00Z,ios,FR\n"
        "1,open,2026-09-02T10:00:00Z,web,FR\n"
        "2,open,2026-09-01T10:00:00Z,ios,DE\n"
        "3,open,2026-09-01T10:00:00Z,android,US\n"
        "3,buy,2026-09-03T10:00:00Z,ios,US\n"
    )
    (folder / "users.csv").write_text("user_id,country,plan\n1,FR,pro\n2,DE,free\n3,US,pro\n")
    (folder / "assignments.csv").write_text("user_id,experiment,variant\n1,x,a\n2,x,b\n3,x,a\n")
    return db.open_source(path=folder)


@pytest.fixture
def tables(source: db.Source) -> schema.Tables:
    return schema.build_tables(source, "UTC")


def test_bare_name_prefers_the_user_attribute(tables: schema.Tables) -> None:
    assert resolve_scope(tables, Filter("country", ("FR",))) == "user"
    assert resolve_scope(tables, Filter("country", ("FR",), "event")) == "event"
    assert resolve_scope(tables, Filter("platform", ("ios",))) == "event"
    assert resolve_scope(tables, Filter("plan", ("pro",), "user")) == "user"


def test_unknown_attribute_lists_the_allowed_names(tables: schema.Tables) -> None:
    with pytest.raises(ReviewError) as info:
        resolve_scope(tables, Filter("os", ("ios",)))
    message = info.value.message
    assert "'os'" in message
    assert "user.country, user.plan, event.platform, event.country" in message


def test_explicit_scope_without_that_column_is_an_error(tables: schema.Tables) -> None:
    with pytest.raises(ReviewError, match="users table"):
        resolve_scope(tables, Filter("platform", ("ios",), "user"))
    with pytest.raises(ReviewError, match="events table"):
        resolve_scope(tables, Filter("plan", ("pro",), "event"))


def _ids(source: db.Source, rel: sa.FromClause | None, *cols: str) -> list[tuple[str, ...]]:
    assert rel is not None
    frame = db.run(source, sa.select(*[rel.c[c] for c in cols]).order_by(*[rel.c[c] for c in cols]))
    return [tuple(str(v) for v in row) for row in frame.itertuples(index=False)]


def test_user_filter_keeps_those_users_their_events_and_assignments(source: db.Source, tables: schema.Tables) -> None:
    t = apply_filters(tables, parse_filters(["country=FR", "country=DE"]))
    assert _ids(source, t.users, "user_id") == [("1",), ("2",)]
    assert _ids(source, t.events, "user_id", "platform") == [("1", "ios"), ("1", "web"), ("2", "ios")]
    assert _ids(source, t.assignments, "user_id") == [("1",), ("2",)]
    assert [c.name for c in t.events.c] == [c.name for c in tables.events.c]


def test_event_filter_keeps_matching_events_only(source: db.Source, tables: schema.Tables) -> None:
    t = apply_filters(tables, parse_filters(["platform=ios"]))
    assert _ids(source, t.events, "user_id", "event") == [("1", "open"), ("2", "open"), ("3", "buy")]
    assert _ids(source, t.users, "user_id") == [("1",), ("2",), ("3",)]
    assert _ids(source, t.assignments, "user_id") == [("1",), ("2",), ("3",)]


def test_user_and_event_filters_and_together(source: db.Source, tables: schema.Tables) -> None:
    t = apply_filters(tables, parse_filters(["plan=pro", "event.platform=ios"]))
    assert _ids(source, t.events, "user_id", "event") == [("1", "open"), ("3", "buy")]
    assert _ids(source, t.users, "user_id") == [("1",), ("3",)]


def test_filter_values_are_bound_not_inlined(tables: schema.Tables) -> None:
    t = apply_filters(tables, parse_filters(["country=FR' OR '1'='1"]))
    assert t.users is not None
    compiled = sa.select(t.users).compile()
    assert "FR' OR" not in str(compiled)
    assert "FR' OR '1'='1" in [v for vals in compiled.params.values() for v in (vals if isinstance(vals, list)
                                                                                 else [vals])]


def test_no_filters_returns_the_same_tables(tables: schema.Tables) -> None:
    assert apply_filters(tables, ()) is tables
