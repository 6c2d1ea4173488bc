"""Everything a metric needs to run, built once per command or page view.

``open_context`` resolves the config (DESIGN.md section 6 precedence), opens the source read-only, builds the
canonical tables, applies segment filters and computes ``as_of``. The CLI and the UI both go through it, so a
number means the same thing in both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa

from lib import db
from lib.config import ReviewConfig
from lib.definitions import AsOf, as_of_from, last_event_local
from lib.errors import ReviewError
from lib.filters import Filter, apply_filters
from lib.quality import blocking_timestamp_error
from lib.schema import Tables, checked_infos, tables_from


@dataclass(frozen=True)
class Context:
    """An open source with its canonical (filtered) tables and the review config.

    Attributes
    ----------
    config
        The review config.
    source
        The open source.
    tables
        Canonical tables with the segment filters applied.
    all_tables
        Canonical tables without filters (for data-quality checks and pickers).
    filters
        The segment filters in effect.
    start, end
        Inclusive local dates bounding cohorts/entries (None: unbounded).
    as_of
        The last complete local day (``end`` when given), or None for an empty log.
    """

    config: ReviewConfig
    source: db.Source
    tables: Tables
    all_tables: Tables
    filters: tuple[Filter, ...] = ()
    start: date | None = None
    end: date | None = None
    as_of: AsOf | None = field(default=None)

    def run(self, stmt: sa.Executable) -> pd.DataFrame:
        """Execute a Select on this context's source.

        Parameters
        ----------
        stmt
            A metric's Select.

        Returns
        -------
        pandas.DataFrame
        """
        return db.run(self.source, stmt)

    def require_as_of(self) -> AsOf:
        """as_of, or a clear error when the events table is empty.

        Returns
        -------
        AsOf
        """
        if self.as_of is None:
            raise ReviewError(
                f"The events table of {self.source.label} has no rows with a readable timestamp, so there is "
                "nothing to compute. Run `python -m lib quality` to see why."
            )
        return self.as_of


def open_context(
    config: ReviewConfig,
    filters: Sequence[Filter] = (),
    start: date | None = None,
    end: date | None = None,
    source: db.Source | None = None,
) -> Context:
    """Open the config's source and prepare canonical tables, filters and as_of.

    Parameters
    ----------
    config
        The resolved review config.
    filters
        Segment filters.
    start, end
        Inclusive local date bounds for cohorts/entries.
    source
        An already-open source to reuse (the UI caches engines); opened from the config when None.

    Returns
    -------
    Context
    """
    if start is not None and end is not None and start > end:
        raise ReviewError(f"--start {start} is after --end {end}. Swap them or widen the range.")
    src = source or db.open_source(config.source.path, config.source.url, config.source.tables)
    cfg_name = str(config.path.name) if config.path else "review.toml"
    # One inspection of the source serves both the canonical tables and the timestamp check.
    infos = checked_infos(src, config.source.columns, cfg_name)
    tables = tables_from(src, infos, config.source.timezone)
    # Error-level data problems stop every command (DESIGN.md section 3), not only `quality`.
    problem = blocking_timestamp_error(src, infos, config.source.timezone)
    if problem:
        raise ReviewError(problem)
    filtered = apply_filters(tables, filters)
    last = db.run(src, last_event_local(tables)).iloc[0, 0]
    last_local: Any = None if last is None or pd.isna(last) else pd.Timestamp(last).to_pydatetime()
    if last_local is not None and last_local.tzinfo is not None:
        last_local = last_local.replace(tzinfo=None)
    as_of = as_of_from(last_local, config.source.timezone, end)
    return Context(config, src, filtered, tables, tuple(filters), start, end, as_of)
