"""The test infrastructure itself: the throwaway PostgreSQL server and the `db_backend` fixture."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from tests import pg
from tests.backends import DbBackend

# 2024-03-10 06:30 UTC is 01:30 EST, half an hour before New York's spring-forward gap: a reader left in the
# server's default zone would see a -05:00 offset, one that converts badly would land on the wrong day.
INSTANT = dt.datetime(2024, 3, 10, 6, 30, tzinfo=dt.UTC)

EVENTS = pd.DataFrame(
    {
        "user_id": pd.Series([1, 2, 2], dtype="int64"),
        "event": pd.Series(["open", "open", "buy"], dtype="str"),
        "timestamp": pd.to_datetime(
            ["2024-03-10 06:30:00", "2024-03-10 23:59:59", "2024-03-11 00:00:00"], utc=True
        ).as_unit("us"),
        "amount": pd.Series([0.0, 0.0, 9.5], dtype="float64"),
        "paid": pd.Series([False, False, True], dtype="bool"),
    }
)


def test_pg_fixture_round_trips_a_tz_aware_timestamp_in_utc(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("SET TIME ZONE 'UTC'"))
            conn.execute(sa.text("DROP TABLE IF EXISTS infra_ts"))
            conn.execute(sa.text("CREATE TABLE infra_ts (id INT, at TIMESTAMPTZ)"))
            conn.execute(sa.text("INSERT INTO infra_ts VALUES (1, :at)"), {"at": INSTANT})
            value = conn.execute(sa.text("SELECT at FROM infra_ts WHERE id = 1")).scalar_one()
            day = conn.execute(sa.text("SELECT CAST(at AS DATE) FROM infra_ts")).scalar_one()
    finally:
        engine.dispose()
    assert value == INSTANT
    assert value.utcoffset() == dt.timedelta(0)
    assert day == dt.date(2024, 3, 10)


def test_pg_server_default_zone_is_not_utc(pg_url: str) -> None:
    # The fixture promises that forgetting SET TIME ZONE is visible; check the promise holds.
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            zone = conn.execute(sa.text("SHOW TIME ZONE")).scalar_one()
    finally:
        engine.dispose()
    assert zone == pg.SERVER_TIMEZONE


def test_pg_cluster_gives_isolated_databases(pg_cluster: pg.PgCluster) -> None:
    first, second = pg_cluster.create_database(), pg_cluster.create_database()
    try:
        engine = sa.create_engine(pg_cluster.url(first))
        try:
            with engine.begin() as conn:
                conn.execute(sa.text("CREATE TABLE only_here (x INT)"))
        finally:
            engine.dispose()
        engine = sa.create_engine(pg_cluster.url(second))
        try:
            assert "only_here" not in sa.inspect(engine).get_table_names()
        finally:
            engine.dispose()
    finally:
        pg_cluster.drop_database(first)
        pg_cluster.drop_database(second)


def test_db_backend_loads_types_and_values(db_backend: DbBackend) -> None:
    db_backend.load({"events": EVENTS})
    # information_schema, not sa.inspect(): column reflection fails on duckdb-engine 0.17.
    types = db_backend.read(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'events'"
    )
    columns = dict(zip(types["column_name"], types["data_type"].str.lower(), strict=True))
    assert columns == {
        "user_id": "bigint",
        "event": "text" if db_backend.name == "postgresql" else "varchar",
        "timestamp": "timestamp with time zone",
        "amount": "double precision" if db_backend.name == "postgresql" else "double",
        "paid": "boolean",
    }

    # Day boundaries must be UTC ones on both backends: 23:59:59 stays on the 10th, 00:00 is the 11th.
    days = db_backend.read(
        "SELECT CAST(timestamp AS DATE) AS day, COUNT(*) AS n FROM events GROUP BY 1 ORDER BY 1"
    )
    assert [(pd.Timestamp(d).date(), int(n)) for d, n in zip(days["day"], days["n"], strict=True)] == [
        (dt.date(2024, 3, 10), 2),
        (dt.date(2024, 3, 11), 1),
    ]


def test_db_backend_reads_back_identically_on_both_backends(db_backend: DbBackend) -> None:
    db_backend.load({"events": EVENTS})
    back = db_backend.read("SELECT * FROM events ORDER BY user_id, timestamp")
    back["timestamp"] = back["timestamp"].dt.as_unit("us")
    pd.testing.assert_frame_equal(back, EVENTS, check_dtype=True)


def test_db_backend_replaces_tables_and_starts_empty(db_backend: DbBackend) -> None:
    with db_backend.engine() as engine:
        assert sa.inspect(engine).get_table_names() == []
    db_backend.load({"events": EVENTS})
    db_backend.load({"events": EVENTS.head(1)})
    assert int(db_backend.read("SELECT COUNT(*) AS n FROM events")["n"].iloc[0]) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", False), ("0", False), ("false", False), ("1", True), ("true", True)],
    ids=["empty", "zero", "false", "one", "true"],
)
def test_in_ci_reads_the_ci_variable(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("CI", value)
    assert pg.in_ci() is expected


def test_find_bin_dir_prefers_the_newest_version(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    root = tmp_path
    for version in ("9.6", "15", "16"):
        bin_dir = root / "postgresql" / version / "bin"
        bin_dir.mkdir(parents=True)
        for name in ("initdb", "pg_ctl", "postgres"):
            (bin_dir / name).write_text("#!/bin/sh\n")
            (bin_dir / name).chmod(0o755)
    (root / "postgresql" / "16" / "bin" / "postgres").unlink()  # 16 is incomplete: only the client is there
    monkeypatch.setattr(pg, "BIN_GLOB", str(root / "postgresql" / "*" / "bin"))
    assert pg.find_bin_dir() == root / "postgresql" / "15" / "bin"
