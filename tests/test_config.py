"""The review config: the DESIGN.md section 6 example, defaults, every validation error, and precedence."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

import lib.config
from lib.config import (
    SAMPLE_DIR,
    ActivityConfig,
    CheckConfig,
    ConfigError,
    ExperimentConfig,
    FeatureConfig,
    FunnelConfig,
    MetricConfig,
    NorthStarConfig,
    ReleaseConfig,
    ReviewConfig,
    SourceConfig,
    TargetConfig,
    default_config,
    load_config,
    parse_config,
    resolve_config,
)
from lib.errors import ReviewError

REPO = Path(__file__).resolve().parent.parent

# The example of DESIGN.md section 6 (one comment shortened to fit the line length).
EXAMPLE = """
[source]
path = "."                           # a folder of CSV/Parquet, a .duckdb file; or url = "postgresql+psycopg://..."
timezone = "UTC"
[source.tables]                      # optional: table names in a database source
events = "events"
[source.columns.events]              # optional: canonical name = source column
user_id = "distinct_id"

[activity]
events = []                          # which events count as "active" (empty: any event)
activation = "activated"             # the metric that defines activation (R2)

[metrics.activated]                  # kinds: conversion | retention | mean
kind = "conversion"                  # 1 if the user did `event` within window_days of anchor/exposure
event = "first_project"
window_days = 7
[metrics.retained_d7]
kind = "retention"                   # 1 if the user was active (or did `event`) on day `day`
day = 7
[metrics.projects]
kind = "mean"                        # count of `event` per user (or sum of `value_column`) within window_days
event = "project_created"
window_days = 14
higher_is_better = true              # default true; false for e.g. errors, churn

[[funnels]]
name = "Onboarding"
steps = ["signup", "onboarding_start", "profile_completed", "first_project"]
window_days = 7                      # from the user's step-1 event

[[features]]
name = "Export"
event = "export_clicked"
released = 2026-08-01

[[releases]]
name = "2.0"
date = 2026-09-01

[[experiments]]
name = "new_onboarding"
start = 2026-09-01                   # required unless assignments carry timestamps
end = 2026-09-29                     # optional: the planned end
control = "control"
weights = { control = 0.5, treatment = 0.5 }
primary = "activated"
min_lift = 0.02                      # the success bar, relative
planned_lift = 0.06                  # optional: what the test was sized for
power = 0.8
alpha = 0.05
rule = "significant_and_above"       # or "confidently_above"
guardrails = { retained_d7 = 0.05 }  # metric = allowed relative drop (non-inferiority margin)
secondary = ["projects"]
min_days = 7

[[targets]]
metric = "retained_d7"
change = 0.05                        # relative improvement wanted over the 90-day pre-release baseline
release = "2.0"
by = 2026-10-15

[north_star]
metric = "projects"
leading = ["activated", "retained_d7"]

[check]                               # the daily anomaly check
segments = ["platform", "country"]    # attributes to break down by
min_count = 50                        # count floor below which a segment is not judged
"""


def write(folder: Path, text: str, name: str = "review.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_design_example_parses_to_the_expected_dataclasses(tmp_path: Path) -> None:
    path = write(tmp_path, EXAMPLE)
    expected = ReviewConfig(
        source=SourceConfig(path=tmp_path.resolve(), url=None, timezone="UTC", tables={"events": "events"},
                            columns={"events": {"user_id": "distinct_id"}}),
        activity=ActivityConfig(events=(), activation="activated"),
        metrics={
            "activated": MetricConfig("activated", "conversion", event="first_project", window_days=7),
            "retained_d7": MetricConfig("retained_d7", "retention", day=7),
            "projects": MetricConfig("projects", "mean", event="project_created", window_days=14),
        },
        funnels=(FunnelConfig(
            "Onboarding", ("signup", "onboarding_start", "profile_completed", "first_project"), 7),),
        features=(FeatureConfig("Export", "export_clicked", dt.date(2026, 8, 1)),),
        releases=(ReleaseConfig("2.0", dt.date(2026, 9, 1)),),
        experiments=(ExperimentConfig(
            "new_onboarding", dt.date(2026, 9, 1), dt.date(2026, 9, 29), "control",
            {"control": 0.5, "treatment": 0.5}, "activated", 0.02, planned_lift=0.06, power=0.8, alpha=0.05,
            rule="significant_and_above", guardrails={"retained_d7": 0.05}, secondary=("projects",),
            min_days=7, cuped_days=None),),
        targets=(TargetConfig("retained_d7", 0.05, "2.0", dt.date(2026, 10, 15)),),
        north_star=NorthStarConfig("projects", ("activated", "retained_d7")),
        check=CheckConfig(("platform", "country"), 50),
        path=path.resolve(),
    )
    assert load_config(path) == expected


def test_config_is_frozen_and_errors_are_review_errors(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, EXAMPLE))
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.check.min_count = 3  # type: ignore[misc]
    assert issubclass(ConfigError, ReviewError)


MINIMAL = """
[metrics.a]
kind = "conversion"
event = "e"
[metrics.m]
kind = "mean"
value_column = "amount"
[metrics.r]
kind = "retention"
day = 1
[[funnels]]
name = "f"
steps = ["x", "y"]
[[experiments]]
name = "x"
control = "c"
weights = { c = 1, t = 3 }
primary = "a"
min_lift = 0.01
"""


def test_defaults() -> None:
    config = parse_config(tomllib.loads(MINIMAL), None)
    assert config.source == SourceConfig(path=None, url=None, timezone="UTC", tables={}, columns={})
    assert config.metrics["a"].window_days == 7  # conversion default
    assert config.metrics["m"].window_days == 7  # mean default
    assert config.metrics["r"].window_days is None  # retention has no window
    assert all(m.higher_is_better for m in config.metrics.values())
    assert config.funnels[0].window_days == 7
    (experiment,) = config.experiments
    assert (experiment.start, experiment.end, experiment.planned_lift, experiment.cuped_days) == (None,) * 4
    assert (experiment.power, experiment.alpha, experiment.rule) == (0.8, 0.05, "significant_and_above")
    assert (experiment.min_days, experiment.guardrails, experiment.secondary) == (0, {}, ())
    # 1:3 is normalised to fractions that sum to 1.
    assert experiment.weights == {"c": 0.25, "t": 0.75}
    assert config.check == CheckConfig(segments=(), min_count=50)
    assert config.activity == ActivityConfig(events=(), activation=None)
    assert config.north_star is None
    assert ReviewConfig() == parse_config({}, None)


def test_relative_source_path_resolves_from_the_config_folder(tmp_path: Path) -> None:
    path = write(tmp_path / "conf", '[source]\npath = "../data/app.duckdb"\n')
    assert load_config(path).source.path == tmp_path.resolve() / "data" / "app.duckdb"
    absolute = tmp_path / "elsewhere"
    path = write(tmp_path / "conf", f'[source]\npath = "{absolute.as_posix()}"\n')
    assert load_config(path).source.path == absolute


def test_no_path_and_no_url_means_the_config_folder(tmp_path: Path) -> None:
    path = write(tmp_path, '[source]\ntimezone = "Europe/Paris"\n')
    assert load_config(path).source == SourceConfig(path=tmp_path.resolve(), timezone="Europe/Paris")


def test_url_source_keeps_the_url() -> None:
    url = "postgresql+psycopg://me@db/app"
    config = parse_config({"source": {"url": url}}, Path("/etc/review.toml"))
    assert (config.source.path, config.source.url) == (None, url)


# ---- every validation error: (mutation of the DESIGN example, key path, fragment of the message) ----

DELETE = object()


def mutate(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set (or delete) ``a.b.0.c`` in parsed TOML; numbers index arrays of tables."""
    *parents, last = dotted.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    if value is DELETE:
        del node[last]
    else:
        node[last] = value


BASE = tomllib.loads(EXAMPLE)
ONE_STEP = ["signup"]
E = "experiments.new_onboarding"

ERRORS: list[tuple[str, str, Any, str, str]] = [
    # id, key to set, value, key path named in the message, fragment of the message
    ("unknown-top-level", "sparkles", 1, "",
     "unknown top-level key 'sparkles'; allowed keys: source, activity,"),
    ("typo-nested", "metrics.activated.windo_days", 7, "metrics.activated",
     "unknown key 'windo_days' for a conversion metric; allowed keys: kind, event, window_days, "
     "higher_is_better. Did you mean 'window_days'?"),
    ("key-of-other-kind", "metrics.retained_d7.window_days", 3, "metrics.retained_d7",
     "unknown key 'window_days' for a retention metric"),
    ("typo-experiment", "experiments.0.minlift", 0.1, E, "Did you mean 'min_lift'?"),
    ("typo-source", "source.time_zone", "UTC", "source", "unknown key 'time_zone'"),
    ("typo-check", "check.min_counts", 3, "check", "unknown key 'min_counts'"),
    ("unknown-table", "source.tables.sessions", "s", "source.tables",
     "'sessions' is not one of events, users,"),
    ("unknown-columns-table", "source.columns.visits", {"a": "b"}, "source.columns",
     "'visits' is not one of"),
    ("kind", "metrics.activated.kind", "sparkles", "metrics.activated.kind",
     "'sparkles' is not one of conversion, retention, mean."),
    ("rule", "experiments.0.rule", "sometimes", f"{E}.rule",
     "is not one of significant_and_above, confidently"),
    ("string-for-int", "metrics.activated.window_days", "7", "metrics.activated.window_days",
     "expected an integer, got '7'."),
    ("bool-is-not-int", "check.min_count", True, "check.min_count", "expected an integer, got true."),
    ("float-for-int", "funnels.0.window_days", 7.5, "funnels.Onboarding.window_days", "expected an integer"),
    ("string-for-number", "experiments.0.min_lift", "2%", f"{E}.min_lift", "expected a number, got '2%'."),
    ("string-for-bool", "metrics.projects.higher_is_better", "yes", "metrics.projects.higher_is_better",
     "expected true or false"),
    ("quoted-date", "releases.0.date", "2026-09-01", "releases.2.0.date", "expected a TOML date such as"),
    ("datetime-not-date", "releases.0.date", dt.datetime(2026, 9, 1, 12), "releases.2.0.date",
     "expected a TOML date"),
    ("string-for-list", "experiments.0.secondary", "projects", f"{E}.secondary",
     "expected a list of strings"),
    ("list-of-numbers", "activity.events", [1, 2], "activity.events", "expected a list of strings"),
    ("bad-weights", "experiments.0.weights", {"control": "half"}, f"{E}.weights",
     "expected a table of numbers"),
    ("bad-columns", "source.columns", {"events": "distinct_id"}, "source.columns",
     "expected tables of strings"),
    ("empty-string", "metrics.activated.event", "", "metrics.activated.event",
     "must not be an empty string."),
    ("empty-step", "funnels.0.steps", ["a", " "], "funnels.Onboarding.steps", "must not be an empty string."),
    ("source-not-table", "source", ".", "source", "expected a table written [source], got '.'."),
    ("metric-not-table", "metrics.activated", "conversion", "metrics.activated", "expected a table written"),
    ("funnels-not-array", "funnels", {"name": "x"}, "funnels", "write [[funnels]] (double brackets)"),
    ("missing-kind", "metrics.projects.kind", DELETE, "metrics.projects", "missing required key 'kind'"),
    ("conversion-needs-event", "metrics.activated.event", DELETE, "metrics.activated",
     "missing required key 'event': a conversion metric"),
    ("retention-needs-day", "metrics.retained_d7.day", DELETE, "metrics.retained_d7",
     "missing required key 'day'"),
    ("mean-needs-event-or-column", "metrics.projects.event", DELETE, "metrics.projects",
     "a mean metric needs event (counted per user) or value_column"),
    ("funnel-needs-name", "funnels.0.name", DELETE, "funnels[1]", "missing required key 'name'"),
    ("funnel-needs-steps", "funnels.0.steps", DELETE, "funnels.Onboarding", "missing required key 'steps'"),
    ("funnel-two-steps", "funnels.0.steps", ONE_STEP, "funnels.Onboarding.steps", "at least 2 steps, got 1."),
    ("feature-needs-name", "features.0.name", DELETE, "features[1]", "missing required key 'name'"),
    ("feature-needs-event", "features.0.event", DELETE, "features.Export", "missing required key 'event'"),
    ("release-needs-date", "releases.0.date", DELETE, "releases.2.0", "missing required key 'date'"),
    *[(f"experiment-needs-{key}", f"experiments.0.{key}", DELETE, E if key != "name" else "experiments[1]",
       f"missing required key '{key}'") for key in ("control", "weights", "primary", "min_lift")],
    ("experiment-needs-name", "experiments.0.name", DELETE, "experiments[1]", "missing required key 'name'"),
    ("weight-zero", "experiments.0.weights", {"control": 0.5, "treatment": 0}, f"{E}.weights",
     "the weight of 'treatment' is 0.0; it must be greater than 0."),
    ("weight-negative", "experiments.0.weights", {"control": -1, "treatment": 1}, f"{E}.weights",
     "the weight of 'control' is -1.0"),
    ("one-variant", "experiments.0.weights", {"control": 1}, f"{E}.weights", "needs at least 2 variants"),
    ("control-not-in-weights", "experiments.0.control", "ctrl", f"{E}.control",
     "'ctrl' is not a key of weights (control, treatment)"),
    ("primary-undefined", "experiments.0.primary", "activatd", f"{E}.primary",
     "'activatd' is not a defined metric; defined metrics: activated, projects, retained_d7."),
    ("guardrail-undefined", "experiments.0.guardrails", {"crashes": 0.1}, f"{E}.guardrails",
     "'crashes' is not a defined metric"),
    ("secondary-undefined", "experiments.0.secondary", ["nope"], f"{E}.secondary",
     "'nope' is not a defined metric"),
    ("activation-undefined", "activity.activation", "nope", "activity.activation",
     "'nope' is not a defined metric"),
    ("activation-mean", "activity.activation", "projects", "activity.activation", "is a mean metric"),
    ("target-metric-undefined", "targets.0.metric", "nope", "targets[1].metric",
     "'nope' is not a defined metric"),
    ("target-release-undefined", "targets.0.release", "3.0", "targets[1].release",
     "'3.0' is not a defined release; defined releases: 2.0."),
    ("target-before-release", "targets.0.by", dt.date(2026, 8, 1), "targets[1].by",
     "2026-08-01 is not after the release date 2026-09-01."),
    ("north-star-undefined", "north_star.metric", "nope", "north_star.metric",
     "'nope' is not a defined metric"),
    ("leading-undefined", "north_star.leading", ["activated", "nope"], "north_star.leading",
     "'nope' is not a"),
    ("north-star-needs-metric", "north_star.metric", DELETE, "north_star", "missing required key 'metric'"),
    ("alpha-too-big", "experiments.0.alpha", 0.5, f"{E}.alpha",
     "0.5 is outside (0, 0.5); use a value such as 0.05."),
    ("alpha-zero", "experiments.0.alpha", 0, f"{E}.alpha", "is outside (0, 0.5)"),
    ("power-one", "experiments.0.power", 1, f"{E}.power", "1.0 is outside (0, 1)"),
    ("window-zero", "metrics.activated.window_days", 0, "metrics.activated.window_days",
     "must be at least 1"),
    ("funnel-window-zero", "funnels.0.window_days", 0, "funnels.Onboarding.window_days",
     "must be at least 1"),
    ("day-negative", "metrics.retained_d7.day", -1, "metrics.retained_d7.day", "must be at least 0"),
    ("min-lift-minus-one", "experiments.0.min_lift", -1, f"{E}.min_lift", "must be greater than -1"),
    ("margin-zero", "experiments.0.guardrails", {"retained_d7": 0}, f"{E}.guardrails",
     "the margin of 'retained_d7' is 0.0; it must be greater than 0."),
    ("min-days-negative", "experiments.0.min_days", -1, f"{E}.min_days", "must be at least 0"),
    ("cuped-zero", "experiments.0.cuped_days", 0, f"{E}.cuped_days", "must be at least 1"),
    ("min-count-negative", "check.min_count", -5, "check.min_count", "must be at least 0"),
    ("change-minus-one", "targets.0.change", -1.5, "targets[1].change", "must be greater than -1"),
    ("end-before-start", "experiments.0.end", dt.date(2026, 8, 31), f"{E}.end",
     "2026-08-31 is before start 2026-09-01."),
    ("planned-below-bar", "experiments.0.planned_lift", 0.02, f"{E}.planned_lift",
     "0.02 must be larger than min_lift 0.02"),
    ("path-and-url", "source.url", "duckdb:///x.duckdb", "source", "both path and url are set; keep one"),
    ("url-without-scheme", "source", {"url": "localhost/db"}, "source.url", "is not a SQLAlchemy URL"),
    ("timezone", "source.timezone", "Mars/Olympus", "source.timezone",
     "'Mars/Olympus' is not a known time zone; use an IANA name such as 'UTC', 'Europe/Paris'"),
    ("timezone-malformed", "source.timezone", "../etc", "source.timezone", "is not a known time zone"),
]


@pytest.mark.parametrize(
    ("key", "value", "where", "fragment"), [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS]
)
def test_validation_error(key: str, value: Any, where: str, fragment: str) -> None:
    data = copy.deepcopy(BASE)
    mutate(data, key, value)
    with pytest.raises(ConfigError) as caught:
        parse_config(data, Path("review.toml"))
    message = str(caught.value)
    assert message.startswith(f"review.toml: {where}: " if where else "review.toml: "), message
    assert fragment in message, message


@pytest.mark.parametrize("section", ["funnels", "features", "releases", "experiments"])
def test_duplicate_names(section: str) -> None:
    data = copy.deepcopy(BASE)
    data[section].append(copy.deepcopy(data[section][0]))
    name = data[section][0]["name"]
    expected = rf"^review\.toml: {section}\.{re.escape(name)}: the name '{re.escape(name)}' is used 2 times"
    with pytest.raises(ConfigError, match=expected):
        parse_config(data, Path("review.toml"))


def test_defined_metrics_listed_even_when_none() -> None:
    expected = re.escape("activity.activation: 'x' is not a defined metric; no metrics are defined.")
    with pytest.raises(ConfigError, match=expected):
        parse_config({"activity": {"activation": "x"}}, None)


# ---- reading the file ----

def test_file_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match=r"Config file not found: .*nope\.toml\. Check the --config path"):
        load_config(missing)


def test_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[source]\ntimezone = "UTC"\npath = .\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: not valid TOML: ")
    assert "line 3" in str(caught.value)


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a folder, not a config file"):
        load_config(tmp_path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "review.toml"
    path.write_bytes(b'[source]\ntimezone = "\xff"\n')
    with pytest.raises(ConfigError, match="not a UTF-8 text file"):
        load_config(path)


# ---- precedence (DESIGN.md section 6) ----

PARIS = '[source]\npath = "data"\ntimezone = "Europe/Paris"\n[metrics.a]\nkind = "conversion"\nevent = "e"\n'


def test_config_alone(tmp_path: Path) -> None:
    path = write(tmp_path, PARIS)
    config = resolve_config(None, str(path))
    assert config == load_config(path)
    assert config.source.path == tmp_path.resolve() / "data"


def test_source_overrides_the_config_source(tmp_path: Path) -> None:
    path = write(tmp_path / "conf", PARIS)
    config = resolve_config(str(tmp_path / "other"), str(path))
    assert config.source.path == (tmp_path / "other").resolve()
    assert config.source.timezone == "Europe/Paris"  # only where the data is changes
    assert set(config.metrics) == {"a"}
    config = resolve_config("postgresql+psycopg://me@db/app", str(path))
    assert (config.source.path, config.source.url) == (None, "postgresql+psycopg://me@db/app")


def test_source_folder_with_its_own_review_toml(tmp_path: Path) -> None:
    write(tmp_path / "product", PARIS)
    config = resolve_config(str(tmp_path / "product"), None)
    assert config.path == (tmp_path / "product" / "review.toml").resolve()
    assert config.source.path == (tmp_path / "product").resolve()  # --source wins over path = "data"
    assert config.source.timezone == "Europe/Paris"


def test_source_folder_without_review_toml_gets_canonical_names(tmp_path: Path) -> None:
    (tmp_path / "bare").mkdir()
    config = resolve_config(str(tmp_path / "bare"), None)
    assert config == default_config(tmp_path / "bare")
    assert config == ReviewConfig(source=SourceConfig(path=(tmp_path / "bare").resolve()))
    assert config.metrics == {} and config.path is None


def test_relative_source_argument_resolves_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_config("events.duckdb", None).source.path == tmp_path.resolve() / "events.duckdb"


def test_url_source_without_config() -> None:
    config = resolve_config("duckdb:///tmp/app.duckdb", None)
    assert config.source == SourceConfig(path=None, url="duckdb:///tmp/app.duckdb")


def test_sample_dir_is_found_from_the_code() -> None:
    assert SAMPLE_DIR == REPO / "sample_data" / "product"


def test_nothing_given_means_the_sample_product(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sample = REPO / "sample_data" / "product" / "review.toml"
    if not sample.is_file():
        pytest.skip("the sample product has not been generated (python -m sample_data.generate)")
    monkeypatch.chdir(tmp_path)  # the working directory must not matter
    config = resolve_config(None, None)
    assert config.path == sample.resolve()
    assert config.source.path is not None and config.source.path.is_relative_to(REPO / "sample_data")


def test_missing_sample_says_how_to_make_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lib.config, "SAMPLE_DIR", tmp_path / "product")
    with pytest.raises(ConfigError, match=r"python -m sample_data\.generate"):
        resolve_config(None, None)
