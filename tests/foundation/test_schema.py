"""lib/schema.py: column mapping from the config, timestamp normalisation to UTC instants, clear errors for
missing columns, and the whitelist behind breakdown attributes and event properties."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from lib import db, schema
from lib.config import load_config
from lib.errors import ReviewError

UTC = dt.UTC


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def _instants(source: db.Source, tables: schema.Tables) -> list[dt.datetime]:
    ev = tables.events
    frame = db.run(source, sa.select(ev.c.ts).order_by(ev.c.user_id))
    return [pd.Timestamp(v).to_pydatetime() for v in frame["ts"]]


def _config(folder: Path, body: str) -> Path:
    path = folder / "review.toml"
    path.write_text(body)
    return path


def test_columns_are_mapped_from_the_config(tmp_path: Path) -> None:
    folder = tmp_path / "segment_export"
    folder.mkdir()
    pd.DataFrame(
        {
            "distinct_id": ["a1", "b2"],
            "event_name": ["signup", "open"],
            "sent_at": ["2026-07-01T12:00:00Z", "2026-07-02T08:00:00Z"],
            "platform": ["ios", "web"],
        }
    ).to_csv(folder / "events.csv", index=False)
    pd.DataFrame({"uid": ["a1", "b2"], "plan": ["pro", "free"]}).to_csv(folder / "users.csv", index=False)
    config = load_config(_config(folder, """
[source]
path = "."
[source.columns.events]
user_id = "distinct_id"
event = "event_name"
timestamp = "sent_at"
[source.columns.users]
user_id = "uid"
"""))
    source = db.open_source(config.source.path, config.source.url, config.source.tables)
    tables = schema.build_tables(source, config.source.timezone, config.source.columns)
    ev = tables.events
    assert [c.name for c in ev.c] == ["user_id", "event", "ts", "platform"]
    assert tables.event_properties == ("platform",)
    assert tables.user_attributes == ("plan",)
    assert not tables.has_signup
    frame = db.run(source, sa.select(ev.c.user_id, ev.c.event).order_by(ev.c.user_id))
    assert frame.values.tolist() == [["a1", "signup"], ["b2", "open"]]
    assert _instants(source, tables) == [_utc(2026, 7, 1, 12), _utc(2026, 7, 2, 8)]
    assert tables.users is not None
    assert [c.name for c in tables.users.c] == ["user_id", "plan"]


def test_naive_parquet_timestamps_are_read_in_the_configured_zone(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    pd.DataFrame(
        {
            "user_id": [1, 2],
            "event": ["a", "b"],
            # Paris is UTC+2 in July and UTC+1 in January.
            "timestamp": pd.to_datetime(["2026-07-01 12:00", "2026-01-15 00:30"]).as_unit("us"),
        }
    ).to_parquet(folder / "events.parquet", index=False)
    source = db.open_source(path=folder)
    info = schema.inspect_table(source, "events")
    assert info.ts_kinds == {"timestamp": "naive"}
    tables = schema.build_tables(source, "Europe/Paris")
    assert _instants(source, tables) == [_utc(2026, 7, 1, 10), _utc(2026, 1, 14, 23, 30)]


def test_tz_aware_parquet_timestamps_are_kept(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    pd.DataFrame(
        {
            "user_id": [1],
            "event": ["a"],
            "timestamp": pd.to_datetime(["2026-07-01 12:00"], utc=True).as_unit("us"),
        }
    ).to_parquet(folder / "events.parquet", index=False)
    source = db.open_source(path=folder)
    assert schema.inspect_table(source, "events").ts_kinds == {"timestamp": "instant"}
    # The configured zone applies to naive values only; an instant stays the same instant.
    assert _instants(source, schema.build_tables(source, "Europe/Paris")) == [_utc(2026, 7, 1, 12)]


def test_date_signup_is_local_midnight(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    pd.DataFrame({"user_id": [1], "event": ["a"], "timestamp": pd.to_datetime(["2026-07-01"], utc=True)}).to_parquet(
        folder / "events.parquet", index=False
    )
    pd.DataFrame({"user_id": [1], "signup_at": [dt.date(2026, 7, 1)]}).to_parquet(folder / "users.parquet")
    source = db.open_source(path=folder)
    assert schema.inspect_table(source, "users").ts_kinds == {"signup_at": "date"}
    tables = schema.build_tables(source, "Europe/Paris")
    assert tables.users is not None and tables.has_signup
    value = db.run(source, sa.select(tables.users.c.signup_at)).iloc[0, 0]
    assert pd.Timestamp(value).to_pydatetime() == _utc(2026, 6, 30, 22)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-07-01T12:00:00+02:00", _utc(2026, 7, 1, 10)),
        ("2026-07-01 12:00:00-04:00", _utc(2026, 7, 1, 16)),
        ("2026-07-01T12:00:00Z", _utc(2026, 7, 1, 12)),
        ("2026-07-01 12:00:00", _utc(2026, 7, 1, 10)),
        ("2026-07-01T12:00", _utc(2026, 7, 1, 10)),
    ],
    ids=["offset-plus", "offset-minus", "zulu", "naive-seconds", "naive-iso-minutes"],
)
def test_csv_text_timestamps_with_and_without_offsets(tmp_path: Path, text: str, expected: dt.datetime) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "events.csv").write_text(f"user_id,event,timestamp\n1,open,{text}\n")
    source = db.open_source(path=folder)
    assert schema.inspect_table(source, "events").ts_kinds == {"timestamp": "text"}
    assert _instants(source, schema.build_tables(source, "Europe/Paris")) == [expected]


def test_missing_required_column_names_file_column_and_config_key(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "events.csv").write_text("user_id,event_name,timestamp\n1,open,2026-07-01T12:00:00Z\n")
    source = db.open_source(path=folder)
    with pytest.raises(ReviewError) as info:
        schema.build_tables(source, "UTC", config_path="my-review.toml")
    message = info.value.message
    assert str(folder / "events.csv") in message
    assert "required column event is missing" in message
    assert "event_name" in message, "the columns that do exist help the user pick the mapping"
    assert "[source.columns.events]" in message
    assert "my-review.toml" in message


def test_mapping_to_a_column_that_does_not_exist_is_missing(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "events.csv").write_text("uid,event,timestamp\n1,open,2026-07-01T12:00:00Z\n")
    source = db.open_source(path=folder)
    with pytest.raises(ReviewError, match="required column user_id is missing"):
        schema.build_tables(source, "UTC", {"events": {"user_id": "distinct_id"}})


def test_missing_users_column_names_the_users_file(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "events.csv").write_text("user_id,event,timestamp\n1,open,2026-07-01T12:00:00Z\n")
    (folder / "users.csv").write_text("id,plan\n1,pro\n")
    source = db.open_source(path=folder)
    with pytest.raises(ReviewError) as info:
        schema.build_tables(source, "UTC")
    assert str(folder / "users.csv") in info.value.message
    assert "[source.columns.users]" in info.value.message


@pytest.fixture
def tables(tmp_path: Path) -> schema.Tables:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "events.csv").write_text("user_id,event,timestamp,platform,country\n1,open,2026-07-01T12:00:00Z,ios,FR\n")
    (folder / "users.csv").write_text("user_id,signup_at,plan,channel\n1,2026-07-01T11:00:00Z,pro,ads\n")
    return schema.build_tables(db.open_source(path=folder), "UTC")


def test_whitelisted_names_give_columns(tables: schema.Tables) -> None:
    assert tables.user_attributes == ("plan", "channel")
    assert tables.event_properties == ("platform", "country")
    assert tables.user_attribute("plan").name == "plan"
    assert tables.event_property("country").name == "country"


def test_unknown_user_attribute_lists_allowed_names(tables: schema.Tables) -> None:
    with pytest.raises(ValueError, match=r"unknown user attribute 'plan; drop'.*allowed: plan, channel"):
        tables.user_attribute("plan; drop")


def test_unknown_event_property_lists_allowed_names(tables: schema.Tables) -> None:
    with pytest.raises(ValueError, match=r"unknown event property 'os'.*allowed: platform, country"):
        tables.event_property("os")


def test_canonical_columns_are_not_attributes(tables: schema.Tables) -> None:
    # signup_at and user_id are canonical, not breakdown attributes.
    with pytest.raises(ValueError, match="allowed: plan, channel"):
        tables.user_attribute("signup_at")
    with pytest.raises(ValueError):
        tables.event_property("timestamp")


def test_user_attribute_without_users_table(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "events.csv").write_text("user_id,event,timestamp\n1,open,2026-07-01T12:00:00Z\n")
    t = schema.build_tables(db.open_source(path=folder), "UTC")
    with pytest.raises(ValueError, match="no users table"):
        t.user_attribute("plan")


def test_csv_numeric_property_can_be_summed(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "events.csv").write_text(
        "user_id,event,timestamp,value\n1,buy,2026-09-01T10:00:00Z,9.5\n2,buy,2026-09-01T11:00:00Z,0.5\n"
    )
    source = db.open_source(path=folder)
    ev = schema.build_tables(source, "UTC").events
    assert float(db.run(source, sa.select(sa.func.sum(ev.c.value))).iloc[0, 0]) == 10.0


def test_csv_events_with_parquet_users(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "events.csv").write_text("user_id,event,timestamp\n1,open,2026-09-01T10:00:00Z\n")
    pd.DataFrame({"user_id": [1, 2], "plan": ["pro", "free"]}).to_parquet(folder / "users.parquet")
    source = db.open_source(path=folder)
    t = schema.build_tables(source, "UTC")
    assert t.users is not None
    known = sa.select(sa.func.count()).select_from(t.events).where(t.events.c.user_id.in_(sa.select(t.users.c.user_id)))
    assert db.run(source, known).iloc[0, 0] == 1
