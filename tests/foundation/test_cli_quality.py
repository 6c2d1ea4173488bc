"""`python -m lib quality` end to end: exit codes, one readable sentence on stderr, never a traceback."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from lib.config import SAMPLE_DIR

ROOT = Path(__file__).resolve().parents[2]
HEADER = "user_id,event,timestamp"
CLEAN = [f"{u},open,2026-09-0{d}T10:00:00Z" for u in (1, 2) for d in (1, 2)]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lib", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def _folder(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    for name, text in files.items():
        target = folder / name if "." in name else folder / f"{name}.csv"
        target.write_text(text)
    return folder


def _events(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def _assert_clean_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    for needle in needles:
        assert needle in result.stderr, f"{needle!r} not in {result.stderr!r}"


@pytest.mark.skipif(not (SAMPLE_DIR / "review.toml").is_file(), reason="sample product not generated")
def test_sample_product_exits_0() -> None:
    result = _cli("quality")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_missing_column_exits_2_naming_file_and_column(tmp_path: Path) -> None:
    folder = _folder(tmp_path, events="user_id,name,timestamp\n1,open,2026-09-01T10:00:00Z\n")
    _assert_clean_error(_cli("quality", "--source", str(folder)), str(folder / "events.csv"), "column event")


def test_empty_events_exits_2(tmp_path: Path) -> None:
    folder = _folder(tmp_path, events=HEADER + "\n")
    _assert_clean_error(_cli("quality", "--source", str(folder)), str(folder / "events.csv"), "no rows")


def test_unparseable_timestamps_exit_2_naming_file_and_column(tmp_path: Path) -> None:
    rows = [*CLEAN, "3,open,soon", "4,open,later"]
    folder = _folder(tmp_path, events=_events(*rows))
    _assert_clean_error(_cli("quality", "--source", str(folder)), "events.csv", "column timestamp", "33.3%")


def test_missing_source_folder_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    _assert_clean_error(_cli("quality", "--source", str(missing)), str(missing), "does not exist")


def test_folder_without_events_exits_2(tmp_path: Path) -> None:
    folder = _folder(tmp_path, users="user_id\n1\n")
    _assert_clean_error(_cli("quality", "--source", str(folder)), str(folder), "events.csv")


def test_wrong_config_key_exits_2_naming_the_key(tmp_path: Path) -> None:
    folder = _folder(tmp_path, events=_events(*CLEAN))
    (folder / "review.toml").write_text('[source]\ntimezon = "UTC"\n')
    _assert_clean_error(_cli("quality", "--source", str(folder)), "timezon")


def test_invalid_timezone_in_config_exits_2(tmp_path: Path) -> None:
    folder = _folder(tmp_path, events=_events(*CLEAN))
    config = tmp_path / "review.toml"
    config.write_text('[source]\ntimezone = "Mars/Olympus"\n')
    _assert_clean_error(_cli("quality", "--source", str(folder), "--config", str(config)), "source.timezone")


WARNINGS = [
    pytest.param({"events": _events(*CLEAN, CLEAN[0], CLEAN[0])}, "duplicate_rows", 2, id="duplicates"),
    pytest.param({"events": _events(*CLEAN, "1,open,2099-01-01T00:00:00Z")}, "future_timestamps", 1, id="future"),
    pytest.param({"events": _events(*CLEAN, "9,open,2026-09-01T10:00:00Z"), "users": "user_id\n1\n2\n"},
                 "unknown_users", 1, id="unknown-users"),
    pytest.param({"events": _events(*CLEAN), "users": "user_id,plan\n1,free\n1,pro\n2,free\n"},
                 "duplicate_users", 1, id="duplicate-users"),
    pytest.param({"events": _events(*CLEAN),
                  "assignments": "user_id,experiment,variant\n1,x,a\n1,x,b\n2,x,a\n"},
                 "multi_variant_users", 1, id="multi-variant"),
    pytest.param({"events": _events(*CLEAN, "3,open,2026-09-01T10:00:00+02:00")}, "mixed_time_zones", 1,
                 id="mixed-offsets"),
    pytest.param({"events": _events(*[f"{u},open,2026-09-01T10:00:00Z" for u in range(150)], "1,open,bad")},
                 "unparseable_timestamps", 1, id="few-unparseable"),
    pytest.param({"events": _events(*CLEAN),
                  "users": "user_id,signup_at\n1,2026-09-02T00:00:00Z\n2,2026-08-01T00:00:00Z\n"},
                 "events_before_signup", 1, id="before-signup"),
]


@pytest.mark.parametrize(("files", "check", "count"), WARNINGS)
def test_warning_exits_0_with_its_row_and_count(tmp_path: Path, files: dict[str, str], check: str, count: int) -> None:
    folder = _folder(tmp_path, **files)
    result = _cli("quality", "--source", str(folder), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    rows = json.loads(result.stdout)
    assert (check, "warning", count) in [(r["check"], r["severity"], r["count"]) for r in rows]
    assert all(r["severity"] == "warning" for r in rows)


def test_json_and_csv_parse_with_the_contract_columns(tmp_path: Path) -> None:
    folder = _folder(tmp_path, events=_events(*CLEAN, CLEAN[0]))
    as_json = json.loads(_cli("quality", "--source", str(folder), "--format", "json").stdout)
    assert list(as_json[0]) == ["check", "severity", "count", "example", "advice"]
    as_csv = list(csv.DictReader(io.StringIO(_cli("quality", "--source", str(folder), "--format", "csv").stdout)))
    assert list(as_csv[0]) == ["check", "severity", "count", "example", "advice"]
    assert (as_csv[0]["check"], as_csv[0]["count"]) == ("duplicate_rows", "1")
    assert as_json[0]["advice"] == as_csv[0]["advice"]


def test_error_output_still_prints_the_table(tmp_path: Path) -> None:
    folder = _folder(tmp_path, events=HEADER + "\n")
    result = _cli("quality", "--source", str(folder), "--format", "json")
    assert result.returncode == 2
    assert [r["check"] for r in json.loads(result.stdout)] == ["events_empty"]


def test_clean_folder_json_is_an_empty_array(tmp_path: Path) -> None:
    result = _cli("quality", "--source", str(_folder(tmp_path, events=_events(*CLEAN))), "--format", "json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == []


def test_unknown_command_exits_2_without_traceback() -> None:
    result = _cli("qualty")
    _assert_clean_error(result, "qualty")


def test_unknown_option_exits_2_without_traceback() -> None:
    _assert_clean_error(_cli("quality", "--frobnicate"), "--frobnicate")
