"""What every benchmark case module shares: the case type the runner (bench/run.py) reads through ``cases()``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

Frame = Callable[[Path], pd.DataFrame]


@dataclass(frozen=True)
class BenchCase:
    """One metric computed three ways.

    Attributes
    ----------
    name
        Case name.
    project_fn, duckdb_fn, pandas_fn
        ``source_dir -> DataFrame`` with the same columns and rows.
    """

    name: str
    project_fn: Frame
    duckdb_fn: Frame
    pandas_fn: Frame
