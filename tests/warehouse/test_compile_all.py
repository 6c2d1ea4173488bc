"""Every query the CLI sends compiles for the warehouse dialects (Trino, BigQuery, Snowflake).

Rather than list each metric's builder by hand (and forget the next one), the test runs every command on the
sample product with ``lib.db.run`` wrapped so it records the statements it executes, then compiles each recorded
statement for each dialect. A dialect gap (a function with no @compiles rule, a construct the dialect cannot
render) fails here without a warehouse.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from snowflake.sqlalchemy.snowdialect import SnowflakeDialect  # type: ignore[import-untyped]
from sqlalchemy.engine import Dialect
from sqlalchemy_bigquery import BigQueryDialect  # type: ignore[import-untyped]
from trino.sqlalchemy.dialect import TrinoDialect  # type: ignore[import-untyped]

from lib import cli, db

DIALECTS: dict[str, Dialect] = {
    "trino": TrinoDialect(),
    "bigquery": BigQueryDialect(),
    "snowflake": SnowflakeDialect(),
}

COMMANDS = [
    ["activity", "--period", "day"],
    ["activity", "--period", "week"],
    ["retention", "--period", "week"],
    ["retention", "--period", "month", "--mode", "on_or_after", "--by", "channel"],
    ["retention", "--period", "day", "--return-event", "project_created", "--anchor", "first_event"],
    ["retention", "--period", "week", "--release", "2.0"],
    ["funnel", "--steps", "signup,onboarding_start,profile_completed,first_project", "--by", "platform"],
    ["adoption", "--period", "week"],
    ["experiment", "new_onboarding"],
    ["experiment", "checkout_redesign"],
    ["check", "--date", "2026-11-10"],
    ["activity", "--filter", "country=FR", "--filter", "event.platform=ios"],
]


@pytest.fixture(scope="module")
def recorded() -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []
    original = db.run

    def recording(source: db.Source, stmt: Any, timeout_s: float = db.DEFAULT_TIMEOUT_S) -> Any:
        statements.append((current[0], stmt))
        return original(source, stmt, timeout_s)

    current = [""]
    db.run = recording  # type: ignore[assignment]
    try:
        for args in COMMANDS:
            current[0] = " ".join(args)
            assert cli.main([*args, "--format", "json"]) in (0, 3), args
        current[0] = "report"
        out = Path(__file__).resolve().parents[2] / "test-artifacts" / "compile_report.html"
        out.parent.mkdir(exist_ok=True)
        assert cli.main(["report", "--release", "2.0", "--out", str(out)]) == 0
    finally:
        db.run = original  # type: ignore[assignment]
    yield statements


# Functions that exist only in DuckDB/PostgreSQL: if one shows up in a warehouse's SQL, a rule in
# lib/sqlcompat.py is missing and the query would fail there even though it compiles.
FOREIGN = ("timezone(", "to_hours(", "to_months(", "make_interval(", "regexp_matches(", "date_diff('day'",
           "quantile_cont(", "list_", "epoch(")
NATIVE = {"trino": ("date_diff('day'",)}


@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_every_executed_query_compiles(recorded: list[tuple[str, Any]], dialect: str) -> None:
    assert len(recorded) > 30
    failures = []
    for command, stmt in recorded:
        if not isinstance(stmt, sa.sql.ClauseElement):
            continue
        try:
            sql = str(stmt.compile(dialect=DIALECTS[dialect])).lower()
        except Exception as exc:  # collect them all: one report of every gap
            failures.append(f"{command}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            continue
        for name in FOREIGN:
            # Whole names only: Trino's at_timezone( and Snowflake's convert_timezone( are their own functions.
            if re.search(r"(?<![a-z_])" + re.escape(name), sql) and name not in NATIVE.get(dialect, ()):
                failures.append(f"{command}: uses {name}...) which {dialect} does not have")
    assert not failures, "\n".join(sorted(set(failures)))
