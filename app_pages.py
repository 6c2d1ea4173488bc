"""The app's pages in navigation order (read by app.py and the page tests)."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent

# (file, title, Material icon)
PAGES: list[tuple[str, str, str]] = [
    ("views/today.py", "Today", ":material/today:"),
    ("views/release.py", "Release review", ":material/flag:"),
    ("views/activity.py", "Activity", ":material/monitoring:"),
    ("views/retention.py", "Retention", ":material/grid_on:"),
    ("views/funnels.py", "Funnels", ":material/filter_alt:"),
    ("views/adoption.py", "Feature adoption", ":material/widgets:"),
    ("views/experiments.py", "Experiments", ":material/science:"),
    ("views/data.py", "Data", ":material/database:"),
]


def page_files() -> list[str]:
    """Page files that exist, relative to the repository root.

    Returns
    -------
    list of str
    """
    return [path for path, _, _ in PAGES if (HERE / path).exists()]
