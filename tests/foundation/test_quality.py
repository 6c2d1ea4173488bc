"""lib/quality.py: each data-quality check on a tiny hand-made bad table, with its severity and count."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from lib.config import SAMPLE_DIR, load_config, resolve_config
from lib.quality import COLUMNS, Finding, findings_frame, run_quality

NOW = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
HEADER = "user_id,event,timestamp"


def _folder(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text)
    return folder


def _events(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def _run(folder: Path, config: str | None = None) -> list[Finding]:
    if config is not None:
        (folder / "review.toml").write_text(config)
    return run_quality(resolve_config(str(folder), None), now=NOW)


def _only(findings: list[Finding], check: str) -> Finding:
    found = [f for f in findings if f.check == check]
    assert len(found) == 1, f"expected one {check} finding, got {findings}"
    return found[0]


CLEAN = [f"{u},open,2026-09-0{d}T10:00:00Z" for u in (1, 2) for d in (1, 2)]


def test_clean_table_has_no_findings(tmp_path: Path) -> None:
    assert _run(_folder(tmp_path, events=_events(*CLEAN))) == []


def test_missing_column_is_an_error_naming_file_and_column(tmp_path: Path) -> None:
    folder = _folder(tmp_path, events="user_id,name,timestamp\n1,open,2026-09-01T10:00:00Z\n")
    [finding] = _run(folder)
    assert (finding.check, finding.severity, finding.count, finding.example) == ("missing_column", "error", 1, "event")
    assert str(folder / "events.csv") in finding.advice
    assert "required column event" in finding.advice
    assert "[source.columns.events]" in finding.advice


def test_empty_events_is_an_error(tmp_path: Path) -> None:
    folder = _folder(tmp_path, events=HEADER + "\n")
    [finding] = _run(folder)
    assert (finding.check, finding.severity, finding.count) == ("events_empty", "error", 0)
    assert str(folder / "events.csv") in finding.advice


def test_missing_source_folder_is_an_error(tmp_path: Path) -> None:
    config = resolve_config(str(tmp_path / "nowhere"), None)
    [finding] = run_quality(config, now=NOW)
    assert (finding.check, finding.severity) == ("source_unreadable", "error")
    assert str(tmp_path / "nowhere") in finding.advice


def test_many_unparseable_timestamps_are_an_error(tmp_path: Path) -> None:
    # 2 of 10 (20%) do not parse: more than 1%.
    rows = [f"{u},open,2026-09-01T10:00:00Z" for u in range(8)] + ["8,open,last tuesday", "9,open,2026-13-45"]
    finding = _only(_run(_folder(tmp_path, events=_events(*rows))), "unparseable_timestamps")
    assert (finding.severity, finding.count) == ("error", 2)
    assert "events.csv" in finding.example and "timestamp" in finding.example
    assert "last tuesday" in finding.example or "2026-13-45" in finding.example


def test_a_few_unparseable_timestamps_in_a_big_table_are_a_warning(tmp_path: Path) -> None:
    # 1 of 201 (0.5%) does not parse.
    rows = [f"{u},open,2026-09-01T10:00:00Z" for u in range(200)] + ["7,open,not a time"]
    findings = _run(_folder(tmp_path, events=_events(*rows)))
    finding = _only(findings, "unparseable_timestamps")
    assert (finding.severity, finding.count) == ("warning", 1)
    assert "'not a time'" in finding.example
    assert not [f for f in findings if f.severity == "error"]


def test_empty_timestamps_are_counted_apart_from_unparseable(tmp_path: Path) -> None:
    rows = [*CLEAN, "3,open,"]
    findings = _run(_folder(tmp_path, events=_events(*rows)))
    assert [(f.check, f.severity, f.count) for f in findings] == [("missing_timestamps", "warning", 1)]


def test_future_timestamps_are_a_warning(tmp_path: Path) -> None:
    rows = [*CLEAN, "1,open,2027-01-01T00:00:00Z", "2,open,2026-10-01T00:00:01Z"]
    finding = _only(_run(_folder(tmp_path, events=_events(*rows))), "future_timestamps")
    assert (finding.severity, finding.count) == ("warning", 2)


def test_duplicate_rows_count_the_extra_copies(tmp_path: Path) -> None:
    # One row three times (2 extra), another twice (1 extra): 3.
    a, b = "1,open,2026-09-01T10:00:00Z", "2,buy,2026-09-02T10:00:00+00:00"
    rows = [a, a, a, b, "2,buy,2026-09-02T10:00:00Z", "2,open,2026-09-02T10:00:00Z"]
    finding = _only(_run(_folder(tmp_path, events=_events(*rows))), "duplicate_rows")
    assert (finding.severity, finding.count) == ("warning", 3)


def test_events_before_signup(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path,
        events=_events("1,open,2026-09-01T09:00:00Z", "1,open,2026-09-01T11:00:00Z", "2,open,2026-08-01T00:00:00Z"),
        users="user_id,signup_at\n1,2026-09-01T10:00:00Z\n2,2026-09-01T10:00:00Z\n",
    )
    finding = _only(_run(folder), "events_before_signup")
    assert (finding.severity, finding.count) == ("warning", 2)


def test_unknown_users_count_distinct_users(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path,
        events=_events(*CLEAN, "8,open,2026-09-01T10:00:00Z", "8,open,2026-09-02T10:00:00Z",
                       "9,open,2026-09-01T10:00:00Z"),
        users="user_id,plan\n1,free\n2,pro\n",
    )
    finding = _only(_run(folder), "unknown_users")
    assert (finding.severity, finding.count) == ("warning", 2)


def test_users_in_several_variants_are_counted_per_experiment(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path,
        events=_events(*CLEAN),
        assignments="user_id,experiment,variant\n"
        "1,alpha,control\n1,alpha,treatment\n2,alpha,control\n2,alpha,b\n3,alpha,control\n"
        "1,beta,control\n1,beta,control\n3,beta,control\n3,beta,treatment\n",
    )
    found = [(f.check, f.severity, f.count) for f in _run(folder)]
    assert found == [("multi_variant_users", "warning", 2), ("multi_variant_users", "warning", 1)]
    examples = [f.example for f in _run(folder)]
    assert examples == ["experiment alpha: user 1", "experiment beta: user 3"]


def test_mixed_time_zone_offsets(tmp_path: Path) -> None:
    rows = ["1,open,2026-09-01T10:00:00Z", "1,open,2026-09-01T11:00:00Z", "1,open,2026-09-01T12:00:00Z",
            "2,open,2026-09-01T10:00:00+02:00", "2,open,2026-09-01T10:00:00"]
    finding = _only(_run(_folder(tmp_path, events=_events(*rows))), "mixed_time_zones")
    # The most common offset (Z, 3 rows) is the norm; the 2 others are counted.
    assert (finding.severity, finding.count) == ("warning", 2)
    assert "Z (3)" in finding.example


def test_unparseable_values_are_not_also_mixed_offsets(tmp_path: Path) -> None:
    rows = [f"{u},open,2026-09-01T10:00:00Z" for u in range(200)] + ["7,open,not a time"]
    findings = _run(_folder(tmp_path, events=_events(*rows)))
    assert [f.check for f in findings] == ["unparseable_timestamps"]


def test_config_event_that_never_occurs(tmp_path: Path) -> None:
    folder = _folder(tmp_path, events=_events(*CLEAN))
    findings = _run(folder, """
[metrics.activated]
kind = "conversion"
event = "first_projekt"
window_days = 7

[[funnels]]
name = "Onboarding"
steps = ["open", "first_projekt"]
""")
    assert [(f.check, f.severity) for f in findings] == [("unknown_event", "warning")]
    assert "'first_projekt'" in findings[0].example
    assert "metrics.activated.event" in findings[0].example


@pytest.mark.skipif(not (SAMPLE_DIR / "review.toml").is_file(), reason="sample product not generated")
def test_sample_product_has_no_errors() -> None:
    findings = run_quality(load_config(SAMPLE_DIR / "review.toml"))
    assert [f for f in findings if f.severity == "error"] == []


def test_findings_frame_has_the_contract_columns() -> None:
    frame = findings_frame([Finding("duplicate_rows", "warning", 3, "x", "y")])
    assert tuple(frame.columns) == COLUMNS == ("check", "severity", "count", "example", "advice")
    assert frame.iloc[0].tolist() == ["duplicate_rows", "warning", 3, "x", "y"]
    assert list(findings_frame([]).columns) == list(COLUMNS)
