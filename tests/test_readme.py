"""The README stays true: its two set-up commands, every CLI command, and what CI runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from lib.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(sub.choices)


def test_readme_opens_with_the_two_setup_commands() -> None:
    assert "pip install -r requirements.txt && streamlit run app.py" in README
    assert "pip install -r requirements-dev.txt && python -m pytest" in README


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -r requirements-dev.txt" in ci
    assert "python -m pytest" in ci


def test_every_cli_command_is_documented() -> None:
    commands = _commands()
    assert {"quality", "activity", "retention", "funnel", "adoption", "experiment", "calc", "check", "report"} <= set(
        commands
    )
    missing = [c for c in commands if f"`{c}" not in README]
    assert not missing, f"README does not document: {missing}"


def test_every_page_is_documented() -> None:
    import app_pages

    missing = [title for _, title, _ in app_pages.PAGES if f"| {title}" not in README]
    assert not missing, f"README's page table misses: {missing}"
