"""lib/workspace.py: upload naming rules and the local-state folder ($LAUNCH_REVIEW_HOME)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from lib import db, schema, workspace
from lib.errors import ReviewError


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("events.csv", "events"),
        ("EVENTS.parquet", "events"),
        ("users_2026-09.csv", "users"),
        ("assignments-q3.CSV", "assignments"),
        ("events-export.parquet", "events"),
    ],
)
def test_upload_names_map_to_tables(name: str, table: str) -> None:
    assert workspace.table_for_upload(name) == table


@pytest.mark.parametrize("name", ["data.csv", "eventsX.csv", "my_events.csv", "userz.parquet"])
def test_upload_with_an_unknown_table_name_is_refused(name: str) -> None:
    with pytest.raises(ReviewError) as info:
        workspace.table_for_upload(name)
    assert info.value.message.startswith(f"{name}:")
    assert "events, users or assignments" in info.value.message


@pytest.mark.parametrize("name", ["events.json", "events.xlsx", "events.csv.zip", "events"])
def test_upload_with_another_suffix_is_refused(name: str) -> None:
    with pytest.raises(ReviewError, match=r"only \.csv and \.parquet"):
        workspace.table_for_upload(name)


def test_home_respects_launch_review_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "lr-home"
    monkeypatch.setenv("LAUNCH_REVIEW_HOME", str(target))
    assert workspace.home() == target
    assert target.is_dir()


def test_upload_dir_stays_inside_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAUNCH_REVIEW_HOME", str(tmp_path))
    path = workspace.upload_dir("../../etc/my upload")
    assert path.is_dir()
    assert path.parent == tmp_path / "workspaces"
    assert path.name == "______etc_my_upload"
    assert workspace.upload_dir() == tmp_path / "workspaces" / "upload"


def test_uploaded_files_become_a_readable_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAUNCH_REVIEW_HOME", str(tmp_path / "home"))
    folder = workspace.upload_dir("demo")
    upload = folder / "events_sept.csv"
    upload.write_text("user_id,event,timestamp\n1,open,2026-09-01T10:00:00Z\n2,open,2026-09-02T10:00:00Z\n")
    target = db.import_files({workspace.table_for_upload(upload.name): upload}, folder / "workspace.duckdb")
    assert target.parent == folder
    source = db.open_source(path=target)
    try:
        tables = schema.build_tables(source, "UTC")
        assert db.run(source, sa.select(sa.func.count()).select_from(tables.events)).iloc[0, 0] == 2
    finally:
        source.engine.dispose()


def test_unreadable_upload_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "events.parquet"
    bad.write_text("this is not parquet")
    with pytest.raises(ReviewError, match=r"events\.parquet could not be read as Parquet"):
        db.import_files({"events": bad}, tmp_path / "w.duckdb")
