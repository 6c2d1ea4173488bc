"""The review config, declared once: frozen dataclasses whose fields carry their TOML type and help text.

The parser (``lib/config.py``) reads every TOML key through the metadata declared here, and
``docs/configuration.md`` documents every key; ``tests/test_docs_config.py`` fails when the two drift apart.
Other modules import these classes from ``lib.config``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import Field, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args

MetricKind = Literal["conversion", "retention", "mean"]
Rule = Literal["significant_and_above", "confidently_above"]
TableName = Literal["events", "users", "assignments"]

# How a TOML value is read; the parser in lib/config.py has one converter per name.
ValueType = Literal[
    "str", "int", "float", "bool", "date", "path", "str_list", "str_map", "float_map", "columns"
]
# How a top-level section is written in TOML: [x], [x.NAME] or [[x]].
Shape = Literal["table", "named_tables", "array"]
# A range check: returns the problem in words, or None when the value is fine.
Check = Callable[[Any], str | None]

METRIC_KINDS: tuple[str, ...] = get_args(MetricKind)
RULES: tuple[str, ...] = get_args(Rule)
TABLE_NAMES: tuple[str, ...] = get_args(TableName)


def show(value: Any) -> str:
    """Write a config value the way a person typed it (quoted strings, ISO dates)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def one_of(choices: tuple[str, ...]) -> Check:
    """Check that a string is one of ``choices``."""
    return lambda v: None if v in choices else f"{show(v)} is not one of {', '.join(choices)}."


def at_least(low: float) -> Check:
    """Check ``value >= low``."""
    return lambda v: None if v >= low else f"{show(v)} is too small; it must be at least {low}."


def above(low: float) -> Check:
    """Check ``value > low``."""
    return lambda v: None if v > low else f"{show(v)} is too small; it must be greater than {low}."


def between(low: float, high: float, example: float) -> Check:
    """Check ``low < value < high`` (open interval)."""
    return lambda v: (
        None if low < v < high else f"{show(v)} is outside ({low}, {high}); use a value such as {example}."
    )


def keys_in(allowed: tuple[str, ...]) -> Check:
    """Check that every key of a table is one of ``allowed`` (table names in [source.tables])."""

    def check(value: Mapping[str, Any]) -> str | None:
        bad = [k for k in value if k not in allowed]
        return f"{show(bad[0])} is not one of {', '.join(allowed)}." if bad else None

    return check


def values_above(low: float, what: str) -> Check:
    """Check that every value of a table of numbers is greater than ``low``."""

    def check(value: Mapping[str, float]) -> str | None:
        bad = [k for k, v in value.items() if not v > low]
        if not bad:
            return None
        return f"the {what} of {show(bad[0])} is {show(value[bad[0]])}; it must be greater than {low}."

    return check


def key(
    help: str, type: ValueType, *, required: bool = False, check: Check | None = None
) -> dict[str, Any]:
    """Field metadata of a TOML key: its type, whether it must be given, a range check and the help text."""
    return {"help": help, "type": type, "required": required, "check": check}


def part(help: str, item: type, shape: Shape) -> dict[str, Any]:
    """Field metadata of a top-level section: the dataclass of its entries and how it is written."""
    return {"help": help, "item": item, "shape": shape}


@dataclass(frozen=True)
class SourceConfig:
    """Where the usage tables live and how their names map to the canonical ones."""

    path: Path | None = field(default=None, metadata=key(
        "A folder of CSV/Parquet files or a .duckdb file, relative to the config file's folder. "
        "When neither path nor url is set: the config file's folder.", "path"))
    url: str | None = field(default=None, metadata=key(
        "A SQLAlchemy URL such as postgresql+psycopg://user@host/db, instead of path.", "str"))
    timezone: str = field(default="UTC", metadata=key(
        "IANA time zone of day/week/month boundaries and of naive timestamps, e.g. Europe/Paris; "
        "default UTC.", "str"))
    tables: Mapping[str, str] = field(default_factory=dict, metadata=key(
        "Table names in the source: canonical name (events, users, assignments) = source table name.",
        "str_map", check=keys_in(TABLE_NAMES)))
    columns: Mapping[str, Mapping[str, str]] = field(default_factory=dict, metadata=key(
        "One table per canonical table, [source.columns.events] etc.: canonical column = source column.",
        "columns", check=keys_in(TABLE_NAMES)))


@dataclass(frozen=True)
class ActivityConfig:
    """What counts as activity, and which metric defines activation."""

    events: tuple[str, ...] = field(default_factory=tuple, metadata=key(
        'Events that count as "active"; empty: any event.', "str_list"))
    activation: str | None = field(default=None, metadata=key(
        "The conversion or retention metric that defines activation; optional.", "str"))


@dataclass(frozen=True)
class MetricConfig:
    """One per-user metric: a 0/1 conversion or retention, or a mean of counts or values."""

    # Not a TOML key: the NAME of [metrics.NAME].
    name: str = field(metadata={"help": "The NAME of the [metrics.NAME] table."})
    kind: MetricKind = field(metadata=key(
        "conversion, retention or mean.", "str", required=True, check=one_of(METRIC_KINDS)))
    event: str | None = field(default=None, metadata=key(
        "conversion: the event to do (required). retention: the return event (default: any activity). "
        "mean: the event to count.", "str"))
    window_days: int | None = field(default=None, metadata=key(
        "conversion and mean: days counted from the anchor or exposure t0, [t0, t0 + N×24h); default 7, "
        "at least 1.", "int", check=at_least(1)))
    day: int | None = field(default=None, metadata=key(
        "retention: the day N after the anchor on which the user must be active (required, at least 0).",
        "int", check=at_least(0)))
    value_column: str | None = field(default=None, metadata=key(
        "mean: an event column summed per user instead of counting events (with event: over those events "
        "only).", "str"))
    higher_is_better: bool = field(default=True, metadata=key(
        "false for metrics where a rise is bad (errors, churn); default true.", "bool"))


@dataclass(frozen=True)
class FunnelConfig:
    """An ordered onboarding funnel."""

    name: str = field(metadata=key("Funnel name, unique.", "str", required=True))
    steps: tuple[str, ...] = field(metadata=key(
        "Event names in order; at least 2.", "str_list", required=True))
    window_days: int = field(default=7, metadata=key(
        "Days from the user's step-1 event to finish; default 7, at least 1.", "int", check=at_least(1)))


@dataclass(frozen=True)
class FeatureConfig:
    """A feature whose adoption is tracked."""

    name: str = field(metadata=key("Feature name, unique.", "str", required=True))
    event: str = field(metadata=key("The event that means the feature was used.", "str", required=True))
    released: dt.date | None = field(default=None, metadata=key(
        "Release date (a TOML date); optional.", "date"))


@dataclass(frozen=True)
class ReleaseConfig:
    """A release, drawn as a marker on every time chart."""

    name: str = field(metadata=key("Release name, unique, e.g. 2.0.", "str", required=True))
    date: dt.date = field(metadata=key(
        "Release date, a TOML date such as 2026-09-01.", "date", required=True))


@dataclass(frozen=True)
class ExperimentConfig:
    """An A/B experiment and its success bar, written down before launch."""

    name: str = field(metadata=key(
        "Experiment name as in the assignments table, unique.", "str", required=True))
    # start and end have no default so that the fields keep the documented order; the TOML keys are optional.
    start: dt.date | None = field(metadata=key(
        "Start date; needed when assignments carry no timestamps (exposure = first event at or after start).",
        "date"))
    end: dt.date | None = field(metadata=key("Planned end date; optional, not before start.", "date"))
    control: str = field(metadata=key("The control variant; must be a key of weights.", "str", required=True))
    weights: Mapping[str, float] = field(metadata=key(
        "Planned traffic split, variant = weight (positive, normalised to sum to 1); at least 2 variants.",
        "float_map", required=True, check=values_above(0, "weight")))
    primary: str = field(metadata=key("The metric that decides the verdict.", "str", required=True))
    min_lift: float = field(metadata=key(
        "The success bar: relative lift of the primary metric, greater than -1.", "float", required=True,
        check=above(-1)))
    planned_lift: float | None = field(default=None, metadata=key(
        "The relative lift the test was sized for, larger than min_lift; optional.", "float"))
    power: float = field(default=0.8, metadata=key(
        "Power for the planned sample, in (0, 1); default 0.8.", "float", check=between(0, 1, 0.8)))
    alpha: float = field(default=0.05, metadata=key(
        "Significance level, in (0, 0.5); default 0.05.", "float", check=between(0, 0.5, 0.05)))
    rule: Rule = field(default="significant_and_above", metadata=key(
        "significant_and_above (default) or confidently_above.", "str", check=one_of(RULES)))
    guardrails: Mapping[str, float] = field(default_factory=dict, metadata=key(
        "metric = allowed relative drop (non-inferiority margin, greater than 0).", "float_map",
        check=values_above(0, "margin")))
    secondary: tuple[str, ...] = field(default_factory=tuple, metadata=key(
        "Metrics reported with Holm-adjusted p-values; they never change the verdict.", "str_list"))
    min_days: int = field(default=0, metadata=key(
        "Days the test must run before SHIP; default 0.", "int", check=at_least(0)))
    cuped_days: int | None = field(default=None, metadata=key(
        "CUPED: the metric in the N days before exposure is the covariate (at least 1); optional.", "int",
        check=at_least(1)))


@dataclass(frozen=True)
class TargetConfig:
    """A release target such as "retention +5% within 6 weeks"."""

    metric: str = field(metadata=key("The metric the target is about.", "str", required=True))
    change: float = field(metadata=key(
        "Relative change wanted over the 90-day pre-release baseline, e.g. 0.05; greater than -1.", "float",
        required=True, check=above(-1)))
    release: str = field(metadata=key("The release the target belongs to.", "str", required=True))
    by: dt.date = field(metadata=key("Deadline, a TOML date after the release date.", "date", required=True))


@dataclass(frozen=True)
class NorthStarConfig:
    """The North Star metric and its leading indicators."""

    metric: str = field(metadata=key("The North Star metric.", "str", required=True))
    leading: tuple[str, ...] = field(default_factory=tuple, metadata=key(
        "3 to 5 leading indicator metrics.", "str_list"))


@dataclass(frozen=True)
class CheckConfig:
    """The daily anomaly check."""

    segments: tuple[str, ...] = field(default_factory=tuple, metadata=key(
        "Attributes to break anomalies down by.", "str_list"))
    min_count: int = field(default=50, metadata=key(
        "Count floor below which a segment is not judged; default 50.", "int", check=at_least(0)))


@dataclass(frozen=True)
class ReviewConfig:
    """One product's review config: the parsed, validated review.toml."""

    source: SourceConfig = field(default_factory=SourceConfig, metadata=part(
        "Where the data lives (path or url) and how its table and column names map to the canonical ones.",
        SourceConfig, "table"))
    activity: ActivityConfig = field(default_factory=ActivityConfig, metadata=part(
        "What counts as activity, and which metric defines activation.", ActivityConfig, "table"))
    metrics: Mapping[str, MetricConfig] = field(default_factory=dict, metadata=part(
        "Per-user metrics, one table each; NAME is how experiments, targets and the North Star refer to it.",
        MetricConfig, "named_tables"))
    funnels: tuple[FunnelConfig, ...] = field(default_factory=tuple, metadata=part(
        "Onboarding funnels, one [[funnels]] entry each.", FunnelConfig, "array"))
    features: tuple[FeatureConfig, ...] = field(default_factory=tuple, metadata=part(
        "Features whose adoption is tracked.", FeatureConfig, "array"))
    releases: tuple[ReleaseConfig, ...] = field(default_factory=tuple, metadata=part(
        "Releases: markers on every time chart, and the reference of targets.", ReleaseConfig, "array"))
    experiments: tuple[ExperimentConfig, ...] = field(default_factory=tuple, metadata=part(
        "A/B experiments and their success bars, written down before launch (DESIGN.md section 5).",
        ExperimentConfig, "array"))
    targets: tuple[TargetConfig, ...] = field(default_factory=tuple, metadata=part(
        "Release targets with a deadline, e.g. retention +5% by a date.", TargetConfig, "array"))
    north_star: NorthStarConfig | None = field(default=None, metadata=part(
        "The North Star metric and 3 to 5 leading indicators; optional.", NorthStarConfig, "table"))
    check: CheckConfig = field(default_factory=CheckConfig, metadata=part(
        "The daily anomaly check (python -m lib check).", CheckConfig, "table"))
    # Not a TOML key: where the config was read from (None for a default config).
    path: Path | None = field(default=None, metadata={"help": "The config file this was read from."})


def toml_fields(cls: type) -> dict[str, Field[Any]]:
    """The fields of a config dataclass that are read from TOML keys, by key name."""
    return {f.name: f for f in fields(cls) if f.metadata.get("type")}


def sections() -> dict[str, Field[Any]]:
    """The top-level sections of the config file, by name."""
    return {f.name: f for f in fields(ReviewConfig) if "item" in f.metadata}


def heading(name: str, shape: Shape) -> str:
    """How a section is written in TOML: ``[source]``, ``[metrics.NAME]`` or ``[[funnels]]``."""
    return {"table": f"[{name}]", "named_tables": f"[{name}.NAME]", "array": f"[[{name}]]"}[shape]


def config_keys() -> Iterator[tuple[str, str, str]]:
    """Every documented key as (section heading, key, help text); the docs test walks this."""
    for name, sec in sections().items():
        for key, f in toml_fields(sec.metadata["item"]).items():
            yield heading(name, sec.metadata["shape"]), key, f.metadata["help"]


_TYPE_NAMES: dict[str, str] = {
    "str": "string", "path": "path", "int": "integer", "float": "number", "bool": "boolean", "date": "date",
    "str_list": "list of strings", "str_map": "table of strings", "float_map": "table of numbers",
    "columns": "tables of strings",
}


def reference_markdown() -> str:
    """The key reference of docs/configuration.md, generated from the declarations above.

    ``python -m lib.config_schema`` prints it; ``tests/test_docs_config.py`` fails when the docs differ.
    """
    lines: list[str] = []
    for name, sec in sections().items():
        lines += [f"### `{heading(name, sec.metadata['shape'])}`", "", sec.metadata["help"], "",
                  "| key | type | required | meaning |", "|---|---|---|---|"]
        for key_name, f in toml_fields(sec.metadata["item"]).items():
            required = "yes" if f.metadata["required"] else ""
            kind = _TYPE_NAMES[f.metadata["type"]]
            lines.append(f"| `{key_name}` | {kind} | {required} | {f.metadata['help']} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(reference_markdown())
