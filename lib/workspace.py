"""Local state that must never live next to the user's data or in the repository.

Uploads and caches go under ``$LAUNCH_REVIEW_HOME`` (default ``~/.cache/launch-review``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from lib.errors import ReviewError

ALLOWED_SUFFIXES = (".csv", ".parquet")
TABLE_NAMES = ("events", "users", "assignments")


def home() -> Path:
    """The folder for Launch Review's local state (created on first use).

    Returns
    -------
    Path
    """
    root = Path(os.environ.get("LAUNCH_REVIEW_HOME", Path.home() / ".cache" / "launch-review")).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    return root


def upload_dir(name: str = "upload") -> Path:
    """The folder one upload workspace lives in.

    Parameters
    ----------
    name
        Workspace name (letters, digits, dashes).

    Returns
    -------
    Path
    """
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", name) or "upload"
    path = home() / "workspaces" / safe
    path.mkdir(parents=True, exist_ok=True)
    return path


def table_for_upload(filename: str) -> str:
    """Which canonical table an uploaded file is, from its name (``events.csv`` -> ``events``).

    Parameters
    ----------
    filename
        The uploaded file's name.

    Returns
    -------
    str

    Raises
    ------
    ReviewError
        When the name is not events/users/assignments with a .csv or .parquet suffix.
    """
    lower = filename.lower()
    for suffix in ALLOWED_SUFFIXES:
        if lower.endswith(suffix):
            stem = lower[: -len(suffix)]
            for table in TABLE_NAMES:
                if stem == table or stem.startswith(table + "_") or stem.startswith(table + "-"):
                    return table
            raise ReviewError(
                f"{filename}: the file name must start with events, users or assignments (e.g. events.csv) so "
                "Launch Review knows which table it is. Rename it and upload again."
            )
    raise ReviewError(f"{filename}: only .csv and .parquet files can be uploaded.")
