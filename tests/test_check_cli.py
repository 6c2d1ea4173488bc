"""``python -m lib check`` end to end on the sample product: exit codes, columns and formats."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lib.anomaly_check import CHECK_COLUMNS

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lib", "check", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_outage_day_exits_3_with_the_contract_columns() -> None:
    proc = _run("--date", "2026-11-10", "--format", "json")
    assert proc.returncode == 3, proc.stderr
    rows = json.loads(proc.stdout)
    assert list(rows[0]) == list(CHECK_COLUMNS)
    first = rows[0]
    assert (first["segment"], first["date"], first["severity"], first["bad"]) == (
        "platform=android", "2026-11-10", "high", True)
    dau = next(r for r in rows if r["metric"] == "dau" and r["segment"] == "all")
    assert "platform=android" in dau["explanation"]


def test_ordinary_day_exits_0() -> None:
    proc = _run("--date", "2026-11-04", "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == ",".join(CHECK_COLUMNS)


@pytest.mark.parametrize("bad", ["2026-13-40", "2027-01-01", "2020-01-01"], ids=["not-a-date", "future", "before"])
def test_bad_date_exits_2_without_traceback(bad: str) -> None:
    proc = _run("--date", bad)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error:")


def test_md_is_a_chat_message() -> None:
    proc = _run("--date", "2026-11-10", "--format", "md")
    assert proc.returncode == 3
    assert proc.stdout.startswith(":rotating_light: *Daily check*")
