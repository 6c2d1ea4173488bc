"""lib/db.py open_source/run: every kind of source gives the same canonical table; bad sources give one
readable ReviewError naming the path or URL (never the password); the user's data is never written."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import sqlalchemy as sa

from lib import db, schema
from lib.errors import ReviewError
from tests.backends import DbBackend

EVENTS = pd.DataFrame(
    {
        "user_id": pd.Series([1, 1, 2], dtype="int64"),
        "event": pd.Series(["signup", "open", "signup"], dtype="str"),
        "timestamp": pd.to_datetime(
            ["2026-03-08 04:30:00", "2026-03-09 12:00:00", "2026-03-10 23:59:59"], utc=True
        ).as_unit("us"),
        "platform": pd.Series(["ios", "ios", "web"], dtype="str"),
    }
)
USERS = pd.DataFrame(
    {
        "user_id": pd.Series([1, 2, 3], dtype="int64"),
        "signup_at": pd.to_datetime(["2026-03-08 04:00", "2026-03-10 23:00", "2026-03-11 08:00"], utc=True)
        .as_unit("us"),
        "plan": pd.Series(["free", "pro", "free"], dtype="str"),
    }
)
# What every source must give for the canonical events table, ordered by ts: (user_id, event, ts, platform).
EXPECTED = [
    ("1", "signup", "2026-03-08T04:30:00+00:00", "ios"),
    ("1", "open", "2026-03-09T12:00:00+00:00", "ios"),
    ("2", "signup", "2026-03-10T23:59:59+00:00", "web"),
]


def _write_csv(folder: Path) -> Path:
    folder.mkdir()
    frame = EVENTS.copy()
    frame["timestamp"] = frame["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    frame.to_csv(folder / "events.csv", index=False)
    users = USERS.copy()
    users["signup_at"] = users["signup_at"].dt.strftime("%Y-%m-%d %H:%M:%SZ")
    users.to_csv(folder / "users.csv", index=False)
    return folder


def _write_parquet(folder: Path) -> Path:
    folder.mkdir()
    EVENTS.to_parquet(folder / "events.parquet", index=False)
    USERS.to_parquet(folder / "users.parquet", index=False)
    return folder


def _write_duckdb(file: Path) -> Path:
    con = duckdb.connect(str(file))
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("ev", EVENTS)
        con.register("us", USERS)
        con.execute("CREATE TABLE events AS SELECT * FROM ev")
        con.execute("CREATE TABLE users AS SELECT * FROM us")
    finally:
        con.close()
    return file


def _canonical_rows(source: db.Source) -> list[tuple[str, str, str, str]]:
    tables = schema.build_tables(source, "UTC")
    ev = tables.events
    frame = db.run(source, sa.select(ev.c.user_id, ev.c.event, ev.c.ts, ev.c.platform).order_by(ev.c.ts))
    # CSV columns are read as text, Parquet/databases keep BIGINT: compare user ids as text.
    return [
        (str(r.user_id), str(r.event), pd.Timestamp(r.ts).isoformat(), str(r.platform))
        for r in frame.itertuples(index=False)
    ]


def _signups(source: db.Source) -> list[tuple[str, str]]:
    tables = schema.build_tables(source, "UTC")
    assert tables.users is not None and tables.has_signup
    u = tables.users
    frame = db.run(source, sa.select(u.c.user_id, u.c.signup_at).order_by(u.c.signup_at))
    return [(str(a), pd.Timestamp(b).isoformat()) for a, b in frame.itertuples(index=False)]


EXPECTED_SIGNUPS = [
    ("1", "2026-03-08T04:00:00+00:00"),
    ("2", "2026-03-10T23:00:00+00:00"),
    ("3", "2026-03-11T08:00:00+00:00"),
]


def _listing(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("writer", [_write_csv, _write_parquet], ids=["csv", "parquet"])
def test_folder_source_gives_the_canonical_table(tmp_path: Path, writer: object) -> None:
    folder = writer(tmp_path / "data")  # type: ignore[operator]
    before = _listing(folder)
    source = db.open_source(path=folder)
    assert source.kind == "folder"
    assert set(source.relations) == {"events", "users"}
    assert _canonical_rows(source) == EXPECTED
    assert _signups(source) == EXPECTED_SIGNUPS
    source.engine.dispose()
    assert _listing(folder) == before, "nothing may be written into a source folder"
    assert sorted(p.name for p in folder.iterdir()) == sorted(before)


def test_duckdb_file_is_opened_read_only(tmp_path: Path) -> None:
    file = _write_duckdb(tmp_path / "product.duckdb")
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    listing = sorted(p.name for p in tmp_path.iterdir())
    source = db.open_source(path=file)
    assert source.kind == "duckdb"
    assert _canonical_rows(source) == EXPECTED
    assert _signups(source) == EXPECTED_SIGNUPS
    with pytest.raises(sa.exc.DBAPIError, match=r"(?i)read.only"), source.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO events VALUES (9, 'x', TIMESTAMPTZ '2026-01-01 00:00:00+00', 'ios')")
    with pytest.raises(ReviewError):
        db.run(source, sa.text("DELETE FROM events"))
    source.engine.dispose()
    assert hashlib.sha256(file.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == listing


def test_postgresql_url_with_mapped_table_names(pg_url: str) -> None:
    DbBackend("postgresql", pg_url).load({"src_app_events": EVENTS, "src_app_people": USERS})
    source = db.open_source(url=pg_url, tables={"events": "src_app_events", "users": "src_app_people"})
    try:
        assert source.kind == "url"
        assert dict(source.relations) == {"events": "src_app_events", "users": "src_app_people"}
        assert _canonical_rows(source) == EXPECTED
        assert _signups(source) == EXPECTED_SIGNUPS
        with pytest.raises(ReviewError, match=r"(?i)read-only"):
            db.run(source, sa.text("DELETE FROM src_app_events"))
        assert len(db.run(source, sa.text("SELECT * FROM src_app_events"))) == 3
    finally:
        source.engine.dispose()


def test_postgresql_table_not_mapped_is_reported(pg_url: str) -> None:
    DbBackend("postgresql", pg_url).load({"src_only_people": USERS})
    source = db.open_source(url=pg_url, tables={"events": "no_such_events", "users": "src_only_people"})
    try:
        with pytest.raises(ReviewError, match=r"\[source.tables\]"):
            schema.build_tables(source, "UTC")
    finally:
        source.engine.dispose()


def test_missing_folder_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    with pytest.raises(ReviewError) as info:
        db.open_source(path=missing)
    assert str(missing) in info.value.message
    assert "does not exist" in info.value.message


def test_folder_without_events_names_the_folder_and_its_files(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    USERS.to_csv(folder / "users.csv", index=False)
    (folder / "evnts.csv").write_text("user_id,event,timestamp\n")
    with pytest.raises(ReviewError) as info:
        db.open_source(path=folder)
    message = info.value.message
    assert str(folder) in message
    assert "events.parquet or events.csv" in message
    assert "evnts.csv" in message
    assert sorted(p.name for p in folder.iterdir()) == ["evnts.csv", "users.csv"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_unreachable_postgresql_masks_the_password() -> None:
    url = f"postgresql+psycopg://alice:s3cret-pw@127.0.0.1:{_closed_port()}/analytics"
    with pytest.raises(ReviewError) as info:
        db.open_source(url=url)
    message = info.value.message
    assert "s3cret-pw" not in message
    assert "s3cret-pw" not in (info.value.detail or "")
    assert "alice:***@127.0.0.1" in message
    assert "/analytics" in message


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+psycopg://alice:s3cret-pw@db.example:notaport/analytics", "db.example:notaport/analytics"),
        ("nosuchdialect://alice:s3cret-pw@db.example/analytics", "nosuchdialect://alice:***@db.example/analytics"),
    ],
    ids=["bad-port", "unknown-dialect"],
)
def test_malformed_url_is_named_without_password(url: str, shown: str) -> None:
    with pytest.raises(ReviewError) as info:
        db.open_source(url=url)
    assert shown in info.value.message
    assert "s3cret-pw" not in info.value.message
    assert "s3cret-pw" not in (info.value.detail or "")


def test_mask_url_hides_the_password() -> None:
    assert db.mask_url("postgresql+psycopg://bob:pw@h:5432/d") == "postgresql+psycopg://bob:***@h:5432/d"


def test_query_timeout_is_a_review_error_naming_the_time(tmp_path: Path) -> None:
    source = db.open_source(path=_write_parquet(tmp_path / "data"))
    slow = sa.text("SELECT sum(a.range * b.range) FROM range(1000000) a, range(100000) b")
    with pytest.raises(ReviewError) as info:
        db.run(source, slow, timeout_s=0.3)
    assert "0.3 s" in info.value.message
    assert "took longer" in info.value.message
    # The connection is usable afterwards (the interrupt did not poison the shared StaticPool connection).
    assert db.run(source, sa.text("SELECT 42 AS x")).iloc[0, 0] == 42


def test_failing_query_carries_the_sql_as_detail(tmp_path: Path) -> None:
    source = db.open_source(path=_write_parquet(tmp_path / "data"))
    events = sa.table("events", sa.column("no_such_column"))
    with pytest.raises(ReviewError) as info:
        db.run(source, sa.select(events.c.no_such_column))
    assert str(tmp_path / "data") in info.value.message
    assert "no_such_column" in (info.value.detail or "")


def test_run_returns_the_labels_as_columns(tmp_path: Path) -> None:
    source = db.open_source(path=_write_parquet(tmp_path / "data"))
    tables = schema.build_tables(source, "UTC")
    ev = tables.events
    frame = db.run(source, sa.select(ev.c.event, sa.func.count().label("n")).group_by(ev.c.event).order_by(ev.c.event))
    assert list(frame.columns) == ["event", "n"]
    assert frame.values.tolist() == [["open", 1], ["signup", 2]]
