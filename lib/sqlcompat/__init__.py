"""Dialect-portable date and time SQL.

Every date boundary in Launch Review (day, ISO week starting Monday, calendar month) is taken in the product's
time zone, and every window is a half-open interval on UTC timestamps. The handful of functions below are the
only place where that differs between databases: each is a small ``FunctionElement`` with one ``@compiles``
rule per dialect (DuckDB, PostgreSQL, SQLite for UTC only, and compile-only rules for Trino, BigQuery and
Snowflake).

Time zone names and period names are rendered as inline SQL literals, never as bound parameters: PostgreSQL
compares GROUP BY expressions textually, and ``date_trunc($1, x)`` in SELECT and ``date_trunc($2, x)`` in GROUP
BY are different expressions to it. Both values come from a whitelist (``zoneinfo`` and ``PERIODS``), so
inlining them is safe.
"""

from lib.sqlcompat._base import PERIODS, Period, int_const
from lib.sqlcompat.dates import (
    add_days,
    add_hours,
    add_months,
    add_periods,
    day_diff,
    period_index,
    trunc_date,
)
from lib.sqlcompat.measures import hours_between, quantile
from lib.sqlcompat.zones import OFFSET_PATTERN, local_date, local_timestamp, local_to_utc, parse_timestamp

__all__ = [
    "OFFSET_PATTERN",
    "PERIODS",
    "Period",
    "add_days",
    "add_hours",
    "add_months",
    "add_periods",
    "day_diff",
    "hours_between",
    "int_const",
    "local_date",
    "local_timestamp",
    "local_to_utc",
    "parse_timestamp",
    "period_index",
    "quantile",
    "trunc_date",
]
