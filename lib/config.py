"""The review config (TOML): read it, validate it, and resolve which one applies.

The dataclasses and the per-key declarations (type, default, range, help) live in ``lib/config_schema.py``;
this module reads TOML through those declarations, so a key is declared once. Every problem raises
``ConfigError`` with a message that names the file, the key path and what is allowed, e.g.
``review.toml: metrics.x.kind: 'sparkles' is not one of conversion, retention, mean.``

Precedence (DESIGN.md section 6): ``--source`` overrides ``[source]``; without ``--config``, a ``review.toml``
inside the ``--source`` folder is used if present, else canonical names and no metrics; without both, the
sample product, found from the code's location rather than the working directory.
"""

from __future__ import annotations

import tomllib
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lib.config_reader import ConfigError, Reader
from lib.config_schema import (
    ActivityConfig,
    CheckConfig,
    ExperimentConfig,
    FeatureConfig,
    FunnelConfig,
    MetricConfig,
    MetricKind,
    NorthStarConfig,
    ReleaseConfig,
    ReviewConfig,
    Rule,
    SourceConfig,
    TargetConfig,
    sections,
    show,
)

__all__ = [
    "CONFIG_NAME",
    "SAMPLE_DIR",
    "ActivityConfig",
    "CheckConfig",
    "ConfigError",
    "ExperimentConfig",
    "FeatureConfig",
    "FunnelConfig",
    "MetricConfig",
    "MetricKind",
    "NorthStarConfig",
    "ReleaseConfig",
    "ReviewConfig",
    "Rule",
    "SourceConfig",
    "TargetConfig",
    "default_config",
    "load_config",
    "parse_config",
    "resolve_config",
]

CONFIG_NAME = "review.toml"
# The sample product ships inside the repository; find it from this file so any working directory works.
SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data" / "product"


@dataclass(frozen=True)
class _KindRule:
    """Which keys a metric of one kind must have and may have, and the defaults it gets."""

    required: tuple[str, ...]
    optional: tuple[str, ...]
    defaults: Mapping[str, Any]
    why: str  # completes the "missing key" message
    any_of: tuple[str, ...] = ()  # at least one of these keys must be set


_METRIC_KINDS: dict[str, _KindRule] = {
    "conversion": _KindRule(("event",), ("window_days", "higher_is_better"), {"window_days": 7},
                            "a conversion metric counts users who did this event within window_days"),
    "retention": _KindRule(("day",), ("event", "higher_is_better"), {},
                           "a retention metric counts users active on day N after their anchor"),
    "mean": _KindRule((), ("event", "value_column", "window_days", "higher_is_better"), {"window_days": 7},
                      "a mean metric needs event (counted per user) or value_column (summed per user) "
                      "or both",
                      any_of=("event", "value_column")),
}


def _source(r: Reader, raw: Any) -> SourceConfig:
    args = r.read(SourceConfig, r.table(raw, "source", "[source]"), "source")
    if args["path"] is not None and args["url"] is not None:
        r.fail("source", "both path and url are set; keep one: path for a folder or a .duckdb file, "
               "url for a database.")
    if args["url"] is not None and "://" not in args["url"]:
        r.fail("source.url", f"{show(args['url'])} is not a SQLAlchemy URL such as "
               "postgresql+psycopg://user@host/db; for a folder or a .duckdb file use path.")
    if args["path"] is None and args["url"] is None:
        args["path"] = r.base  # nothing set: the data sits next to the config file
    elif args["path"] is not None and not args["path"].is_absolute() and r.base is not None:
        args["path"] = (r.base / args["path"]).resolve()
    try:
        zoneinfo.ZoneInfo(args["timezone"])
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        r.fail("source.timezone", f"{show(args['timezone'])} is not a known time zone; use an IANA name "
               "such as 'UTC', 'Europe/Paris' or 'America/New_York' (case matters).")
    return SourceConfig(**args)


def _metrics(r: Reader, raw: Any) -> dict[str, MetricConfig]:
    out = {}
    for name, table in r.table(raw, "metrics", "[metrics.NAME]").items():
        where = f"metrics.{name}"
        table = r.table(table, where, f"[metrics.{name}]")
        # The kind decides which other keys are allowed, so it is read first.
        kind = r.read(MetricConfig, {k: v for k, v in table.items() if k == "kind"}, where, ["kind"])["kind"]
        rule = _METRIC_KINDS[kind]
        args = r.read(MetricConfig, table, where, ("kind", *rule.required, *rule.optional),
                      context=f" for a {kind} metric")
        for key in rule.required:
            if args[key] is None:
                r.fail(where, f"missing required key {key!r}: {rule.why}.")
        if rule.any_of and all(args[key] is None for key in rule.any_of):
            r.fail(where, f"{rule.why}.")
        for key, default in rule.defaults.items():
            if args[key] is None:
                args[key] = default
        out[name] = MetricConfig(name=name, **args)
    return out


def _activity(r: Reader, raw: Any, metrics: Mapping[str, MetricConfig]) -> ActivityConfig:
    activity = ActivityConfig(**r.read(ActivityConfig, r.table(raw, "activity", "[activity]"), "activity"))
    if activity.activation is not None:
        r.metric_ref("activity.activation", activity.activation, metrics)
        if metrics[activity.activation].kind == "mean":
            r.fail("activity.activation", f"{activity.activation!r} is a mean metric; activation needs a 0/1 "
                   "metric per user (kind conversion or retention).")
    return activity


def _funnel(r: Reader, where: str, table: Mapping[str, Any]) -> FunnelConfig:
    funnel = FunnelConfig(**r.read(FunnelConfig, table, where))
    if len(funnel.steps) < 2:
        r.fail(f"{where}.steps", f"a funnel needs at least 2 steps, got {len(funnel.steps)}.")
    return funnel


def _experiment(r: Reader, where: str, table: Mapping[str, Any], metrics: Mapping[str, MetricConfig]
                ) -> ExperimentConfig:
    args = r.read(ExperimentConfig, table, where)
    weights: dict[str, float] = args["weights"]
    if len(weights) < 2:
        r.fail(f"{where}.weights", f"needs at least 2 variants (the control and a treatment), "
               f"got {len(weights)}.")
    if args["control"] not in weights:
        r.fail(f"{where}.control", f"{show(args['control'])} is not a key of weights ({', '.join(weights)}); "
               "name the control variant as it appears in weights and in the assignments table.")
    total = sum(weights.values())
    args["weights"] = {variant: w / total for variant, w in weights.items()}  # 1:1 and 0.5:0.5 mean the same
    if args["start"] is not None and args["end"] is not None and args["end"] < args["start"]:
        r.fail(f"{where}.end", f"{show(args['end'])} is before start {show(args['start'])}.")
    if args["planned_lift"] is not None and args["planned_lift"] <= args["min_lift"]:
        r.fail(f"{where}.planned_lift", f"{show(args['planned_lift'])} must be larger than min_lift "
               f"{show(args['min_lift'])}: the test is sized for an effect above the success bar.")
    r.metric_ref(f"{where}.primary", args["primary"], metrics)
    for metric in args["guardrails"]:
        r.metric_ref(f"{where}.guardrails", metric, metrics)
    for metric in args["secondary"]:
        r.metric_ref(f"{where}.secondary", metric, metrics)
    return ExperimentConfig(**args)


def _target(r: Reader, where: str, table: Mapping[str, Any], metrics: Mapping[str, MetricConfig],
            releases: Mapping[str, ReleaseConfig]) -> TargetConfig:
    target = TargetConfig(**r.read(TargetConfig, table, where))
    r.metric_ref(f"{where}.metric", target.metric, metrics)
    r.ref(f"{where}.release", target.release, releases, "release", "a [[releases]] entry")
    released = releases[target.release].date
    if target.by <= released:
        r.fail(f"{where}.by", f"{show(target.by)} is not after the release date {show(released)}.")
    return target


def _north_star(r: Reader, raw: Any, metrics: Mapping[str, MetricConfig]) -> NorthStarConfig | None:
    if raw is None:
        return None
    table = r.table(raw, "north_star", "[north_star]")
    north_star = NorthStarConfig(**r.read(NorthStarConfig, table, "north_star"))
    for key, name in [("metric", north_star.metric)] + [("leading", m) for m in north_star.leading]:
        r.metric_ref(f"north_star.{key}", name, metrics)
    return north_star


def parse_config(data: Mapping[str, Any], path: Path | None = None) -> ReviewConfig:
    """Validate parsed TOML and build the config.

    Parameters
    ----------
    data
        The TOML document as ``tomllib`` returns it.
    path
        The file it came from: named in error messages; relative paths resolve from its folder
        (from the working directory when None).

    Returns
    -------
    ReviewConfig
        Frozen, with defaults filled in, weights normalised and cross references checked.

    Raises
    ------
    ConfigError
        On the first problem, naming the file, the key path and what is allowed.
    """
    r = Reader(str(path) if path is not None else "review config", path.parent if path is not None else None)
    r.keys(data, "", sections())
    source = _source(r, data.get("source", {}))
    metrics = _metrics(r, data.get("metrics", {}))
    activity = _activity(r, data.get("activity", {}), metrics)
    funnels = tuple(_funnel(r, where, t) for where, t in r.items(data, "funnels"))
    features = tuple(FeatureConfig(**r.read(FeatureConfig, t, w)) for w, t in r.items(data, "features"))
    releases = tuple(ReleaseConfig(**r.read(ReleaseConfig, t, w)) for w, t in r.items(data, "releases"))
    experiments = tuple(_experiment(r, w, t, metrics) for w, t in r.items(data, "experiments"))
    r.unique("funnels", [f.name for f in funnels])
    r.unique("features", [f.name for f in features])
    r.unique("releases", [rel.name for rel in releases])
    r.unique("experiments", [e.name for e in experiments])
    by_release = {release.name: release for release in releases}
    return ReviewConfig(
        source=source,
        activity=activity,
        metrics=metrics,
        funnels=funnels,
        features=features,
        releases=releases,
        experiments=experiments,
        targets=tuple(_target(r, where, t, metrics, by_release) for where, t in r.items(data, "targets")),
        north_star=_north_star(r, data.get("north_star"), metrics),
        check=CheckConfig(**r.read(CheckConfig, r.table(data.get("check", {}), "check", "[check]"), "check")),
        path=path,
    )


def load_config(path: str | Path) -> ReviewConfig:
    """Read and validate a review config file.

    Parameters
    ----------
    path
        The TOML file; relative paths inside it resolve from its folder.

    Returns
    -------
    ReviewConfig
        The validated config, with ``path`` set to the file's absolute path.

    Raises
    ------
    ConfigError
        When the file is missing, unreadable, not TOML (the message carries tomllib's line and column) or
        invalid (see ``parse_config``).
    """
    file = Path(path).expanduser()
    try:
        with file.open("rb") as fp:
            data = tomllib.load(fp)
    except FileNotFoundError:
        raise ConfigError(
            f"Config file not found: {file}. Check the --config path, or leave --config out to use the "
            f"{CONFIG_NAME} inside the --source folder (or the sample product)."
        ) from None
    except IsADirectoryError:
        raise ConfigError(
            f"{file} is a folder, not a config file. Pass the {CONFIG_NAME} inside it with --config, "
            "or pass the folder with --source."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{file}: not valid TOML: {exc}. Fix the syntax there (strings need quotes; dates look like "
            "2026-09-01).",
            detail=str(exc),
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{file}: not a UTF-8 text file. Save the config as UTF-8 TOML.") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot be read ({exc.strerror}). Check the file's permissions.") from None
    return parse_config(data, file.resolve())


def _is_url(source: str | Path) -> bool:
    return isinstance(source, str) and "://" in source


def default_config(source: str | Path) -> ReviewConfig:
    """The config of a source without a review.toml: canonical table and column names, no metrics.

    Parameters
    ----------
    source
        A path (folder of CSV/Parquet, .duckdb file; relative to the working directory) or, when the string
        contains ``://``, a SQLAlchemy URL.
    """
    return ReviewConfig(source=_source_from_argument(SourceConfig(), source))


def _source_from_argument(base: SourceConfig, source: str | Path) -> SourceConfig:
    # --source replaces where the data is; the time zone and the name mappings of the config still apply.
    if _is_url(source):
        return replace(base, path=None, url=str(source))
    return replace(base, path=Path(source).expanduser().resolve(), url=None)


def resolve_config(source: str | None = None, config: str | None = None) -> ReviewConfig:
    """The config that applies to a command line or a sidebar choice (DESIGN.md section 6).

    Parameters
    ----------
    source
        ``--source``: a path, or a URL when it contains ``://``. Overrides ``[source]`` of the config.
    config
        ``--config``: a TOML file. Without it, ``review.toml`` inside the ``source`` folder when present,
        else canonical names and no metrics; without both, the sample product in ``SAMPLE_DIR``.

    Raises
    ------
    ConfigError
        When the config is missing or invalid, or the sample product has not been generated.
    """
    if config is not None:
        loaded = load_config(config)
    elif source is not None:
        candidate = None if _is_url(source) else Path(source).expanduser() / CONFIG_NAME
        if candidate is None or not candidate.is_file():
            return default_config(source)
        loaded = load_config(candidate)
    else:
        sample = SAMPLE_DIR / CONFIG_NAME
        if not sample.is_file():
            raise ConfigError(
                f"The sample product is missing ({sample}). Generate it with "
                "`python -m sample_data.generate`, or pass --source with your own data."
            )
        return load_config(sample)
    return loaded if source is None else replace(loaded, source=_source_from_argument(loaded.source, source))
