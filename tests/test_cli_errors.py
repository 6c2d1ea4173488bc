"""Every data command refuses error-level input with exit 2 and one plain message, never a traceback.

DESIGN.md section 3: a source that cannot be read, a missing required column, an empty events table and more than
1% unparseable timestamps stop every command, not only `quality`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lib import cli

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = [
    ["activity"],
    ["retention", "--period", "week"],
    ["funnel", "--steps", "a,b"],
    ["adoption"],
    ["check"],
]
BAD = {
    "missing_column": ("user_id,event\n1,a\n", "required column timestamp is missing"),
    "empty_events": ("user_id,event,timestamp\n", "no rows"),
    "unparseable": ("user_id,event,timestamp\n1,a,2026-01-01T10:00:00Z\n2,b,garbage\n", "could not be read"),
}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lib", *args], capture_output=True, text=True, cwd=ROOT, timeout=120)


CONFIG = '[[features]]\nname = "A"\nevent = "a"\n'


@pytest.mark.parametrize("bad", list(BAD))
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_error_level_input_exits_2_with_a_message(
    tmp_path: Path, command: list[str], bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    content, expected = BAD[bad]
    (tmp_path / "events.csv").write_text(content)
    (tmp_path / "review.toml").write_text(CONFIG)
    code = cli.main([*command, "--source", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert expected in err
    assert err.startswith("error: ")
    assert err.count("\n") == 1  # one message, one line


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_unreachable_database_exits_2(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main([*command, "--source", "postgresql+psycopg://reader:secret@127.0.0.1:1/nowhere"])
    err = capsys.readouterr().err
    assert code == 2
    assert "secret" not in err
    assert "127.0.0.1:1" in err


def test_no_traceback_reaches_the_terminal(tmp_path: Path) -> None:
    # The one subprocess case: what a user's terminal shows for error-level input.
    (tmp_path / "events.csv").write_text(BAD["unparseable"][0])
    proc = _run("retention", "--period", "week", "--source", str(tmp_path))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ")


def test_bad_option_value_exits_2() -> None:
    proc = _run("activity", "--start", "yesterday")
    assert proc.returncode == 2
    assert "YYYY-MM-DD" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_wrong_config_key_is_named(tmp_path: Path) -> None:
    (tmp_path / "events.csv").write_text("user_id,event,timestamp\n1,a,2026-01-01T10:00:00Z\n")
    (tmp_path / "review.toml").write_text("[metrics.x]\nkind = 'sparkles'\n")
    proc = _run("activity", "--source", str(tmp_path))
    assert proc.returncode == 2
    assert "metrics.x.kind" in proc.stderr
    assert "conversion, retention, mean" in proc.stderr
