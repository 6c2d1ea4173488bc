"""The static release report (lib/report.py, ``report`` command): one self-contained HTML file that opens offline."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lib.commands import report as report_command
from lib.config import resolve_config
from lib.context import Context, open_context
from lib.errors import ReviewError
from lib.report import build_report, write_report

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sample() -> Iterator[Context]:
    ctx = open_context(resolve_config(None, None))
    yield ctx
    ctx.source.engine.dispose()


@pytest.fixture(scope="module")
def written(sample: Context, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    out = tmp_path_factory.mktemp("report") / "release-2.0.html"
    result = report_command.run(argparse.Namespace(release="2.0", out=str(out)), sample)
    return result, out.read_text(encoding="utf-8")


def test_report_is_self_contained(written: tuple[dict[str, Any], str]) -> None:
    result, text = written
    assert result["bytes"] == len(text.encode("utf-8"))
    lowered = text.lower()
    assert "<script" not in lowered
    assert "cdn" not in lowered
    # Nothing is fetched: the only URLs are the SVG/XLink namespace names, which are never loaded.
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", lowered)
    assert set(re.findall(r"https?://[^\s\"'<>]+", text)) <= {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }
    assert "<link" not in lowered and "@import" not in lowered


def test_report_has_every_section_and_chart(written: tuple[dict[str, Any], str]) -> None:
    result, text = written
    assert result["release"] == "2.0"
    assert result["sections"] == [
        "Targets", "North Star and leading indicators", "Before vs after 2.0", "Cohort retention",
        "Onboarding funnel", "Feature adoption", "Experiments since 2.0",
    ]  # fmt: skip
    assert result["skipped"] == []
    # targets, North Star, before/after, retention heatmap + release comparison, funnel, adoption, 3 experiments
    assert text.count("<svg") == 10
    assert "met</span>" in text and "+10.4%" in text  # retained_d7 target, sample_data/README.md
    assert "not an experiment" in text
    assert "new_onboarding: SHIP" in text and "pricing_page: DONT_SHIP" in text
    assert "checkout_redesign: INVALID" in text


def test_unknown_release_and_bad_path(sample: Context, tmp_path: Path) -> None:
    with pytest.raises(ReviewError, match=r"No release named '3\.0'.*configured: 1\.9, 2\.0"):
        write_report(sample, "3.0", tmp_path / "r.html")
    with pytest.raises(ReviewError, match="does not exist"):
        write_report(sample, "2.0", tmp_path / "missing" / "r.html")
    with pytest.raises(ReviewError, match="is a folder"):
        write_report(sample, "2.0", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_missing_view_module_is_skipped_with_a_note(sample: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes the import fail with ModuleNotFoundError, as when a view is not installed.
    import lib.charts

    monkeypatch.setitem(sys.modules, "lib.charts.funnels", None)
    monkeypatch.delattr(lib.charts, "funnels", raising=False)
    report = build_report(sample, "2.0")
    funnel = next(s for s in report.sections if s.title == "Onboarding funnel")
    assert funnel.status == "skipped"
    assert funnel.note is not None and "lib.charts.funnels" in funnel.note
    assert "Skipped: the module lib.charts.funnels" in report.html
    assert next(s for s in report.sections if s.title == "Feature adoption").status == "ok"


def test_cli_report(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    ok = subprocess.run(
        [sys.executable, "-m", "lib", "report", "--release", "2.0", "--out", str(out), "--format", "json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ok.returncode == 0, ok.stderr
    assert '"release": "2.0"' in ok.stdout and out.stat().st_size > 10_000
    bad = subprocess.run(
        [sys.executable, "-m", "lib", "report", "--release", "nope", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: No release named 'nope'") and "Traceback" not in bad.stderr
