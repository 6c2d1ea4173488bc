"""Reading TOML tables into config dataclass arguments through the field declarations of config_schema.

``Reader`` checks keys (unknown ones are named with the allowed ones and a close match), types, empty strings
and ranges, fills in defaults, and checks cross references; every failure is a ``ConfigError`` naming the file
and the key path. ``lib/config.py`` holds what is specific to each section.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import MISSING, Field
from pathlib import Path
from typing import Any, NoReturn

from lib.config_schema import MetricConfig, show, toml_fields
from lib.errors import ReviewError


class ConfigError(ReviewError):
    """A review config that cannot be read or is invalid; the message names the file, the key and the fix."""


# (description for messages, test) per TOML value type declared in config_schema.
_TYPES: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "str": ("a string", lambda v: isinstance(v, str)),
    "path": ("a path string", lambda v: isinstance(v, str)),
    "int": ("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    "float": ("a number", lambda v: isinstance(v, int | float) and not isinstance(v, bool)),
    "bool": ("true or false", lambda v: isinstance(v, bool)),
    # tomllib's datetime is a subclass of date; a time of day is not what these keys mean.
    "date": ("a TOML date such as 2026-09-01 (no quotes, no time)",
             lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime)),
    "str_list": ('a list of strings such as ["a", "b"]',
                 lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v)),
    "str_map": ('a table of strings such as { events = "tracks" }',
                lambda v: isinstance(v, dict) and all(isinstance(x, str) for x in v.values())),
    "float_map": ("a table of numbers such as { control = 0.5, treatment = 0.5 }",
                  lambda v: isinstance(v, dict)
                  and all(isinstance(x, int | float) and not isinstance(x, bool) for x in v.values())),
    "columns": ('tables of strings such as [source.columns.events] user_id = "distinct_id"',
                lambda v: isinstance(v, dict) and all(
                    isinstance(t, dict) and all(isinstance(c, str) for c in t.values()) for t in v.values())),
}


def _normalise(kind: str, value: Any) -> Any:
    """Turn a type-checked TOML value into the immutable shape the dataclass field holds."""
    if kind == "float":
        return float(value)
    if kind == "str_list":
        return tuple(value)
    if kind == "float_map":
        return {k: float(v) for k, v in value.items()}
    if kind == "columns":
        return {t: dict(c) for t, c in value.items()}
    if kind == "path":
        return Path(value).expanduser()
    return value


def _strings(kind: str, value: Any) -> list[str]:
    """The strings inside a value, which must not be empty."""
    if kind in ("str", "path"):
        return [value]
    if kind == "str_list":
        return list(value)
    if kind == "str_map":
        return list(value.values())
    if kind == "columns":
        return [c for t in value.values() for c in t.values()]
    return []


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


class Reader:
    """Reads TOML tables into dataclass arguments through the field declarations, failing with context."""

    def __init__(self, file: str, base: Path | None) -> None:
        self.file = file
        self.base = base

    def fail(self, where: str, problem: str) -> NoReturn:
        raise ConfigError(f"{self.file}: {where}: {problem}" if where else f"{self.file}: {problem}")

    def table(self, value: Any, where: str, how: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            self.fail(where, f"expected a table written {how}, got {show(value)}.")
        return value

    def keys(self, table: Mapping[str, Any], where: str, allowed: Iterable[str], context: str = "") -> None:
        allowed = list(allowed)
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                place = "unknown top-level key" if not where else "unknown key"
                self.fail(where, f"{place} {key!r}{context}; allowed keys: {', '.join(allowed)}.{hint}")

    def value(self, f: Field[Any], raw: Any, where: str) -> Any:
        kind = f.metadata["type"]
        described, ok = _TYPES[kind]
        if not ok(raw):
            self.fail(where, f"expected {described}, got {show(raw)}.")
        if any(not s.strip() for s in _strings(kind, raw)):
            self.fail(where, "must not be an empty string.")
        value = _normalise(kind, raw)
        check = f.metadata["check"]
        if check is not None and (problem := check(value)):
            self.fail(where, problem)
        return value

    def read(self, cls: type, table: Mapping[str, Any], where: str, only: Iterable[str] | None = None,
             context: str = "") -> dict[str, Any]:
        """Check keys, types and ranges of ``table``; return constructor arguments (defaults filled in)."""
        declared = toml_fields(cls)
        allowed = list(only) if only is not None else list(declared)
        self.keys(table, where, allowed, context)
        out: dict[str, Any] = {}
        for key in allowed:
            f = declared[key]
            if key in table:
                out[key] = self.value(f, table[key], _join(where, key))
            elif f.metadata["required"]:
                self.fail(where, f"missing required key {key!r}: {f.metadata['help']}")
            elif f.default is not MISSING:
                out[key] = f.default
            elif f.default_factory is not MISSING:
                out[key] = f.default_factory()
            else:
                out[key] = None
        return out

    def ref(self, where: str, name: str, defined: Iterable[str], what: str, add: str) -> None:
        """Fail unless ``name`` is one of the ``defined`` names (a cross reference)."""
        names = sorted(defined)
        if name not in names:
            listed = f"defined {what}s: {', '.join(names)}" if names else f"no {what}s are defined"
            self.fail(where, f"{show(name)} is not a defined {what}; {listed}. Fix the name or add {add}.")

    def metric_ref(self, where: str, name: str, metrics: Mapping[str, MetricConfig]) -> None:
        self.ref(where, name, metrics, "metric", "a [metrics.NAME] table")

    def items(self, data: Mapping[str, Any], section: str) -> list[tuple[str, Mapping[str, Any]]]:
        """The tables of an array-of-tables section, each with the name used in messages."""
        raw = data.get(section, [])
        if not isinstance(raw, list):
            self.fail(section, f"expected an array of tables: write [[{section}]] (double brackets) "
                      "for each entry.")
        out = []
        for i, table in enumerate(raw, start=1):
            name = table.get("name") if isinstance(table, dict) else None
            where = f"{section}.{name}" if isinstance(name, str) and name.strip() else f"{section}[{i}]"
            out.append((where, self.table(table, where, f"[[{section}]]")))
        return out

    def unique(self, section: str, names: list[str]) -> None:
        for name, count in Counter(names).items():
            if count > 1:
                self.fail(f"{section}.{name}", f"the name {name!r} is used {count} times; "
                          "names must be unique.")
