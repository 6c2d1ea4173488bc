"""The app's pages in navigation order (read by app.py and the page tests)."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent

# (file, title, Material icon)
PAGES: list[tuple[str, str, str]] = [
    ("pages/today.py", "Today", ":material/today:"),
    ("pages/release.py", "Release review", ":material/flag:"),
    ("pages/activity.py", "Activity", ":material/monitoring:"),
    ("pages/retention.py", "Retention", ":material/grid_on:"),
    ("pages/funnels.py", "Funnels", ":material/filter_alt:"),
    ("pages/adoption.py", "Feature adoption", ":material/widgets:"),
    ("pages/experiments.py", "Experiments", ":material/science:"),
    ("pages/data.py", "Data", ":material/database:"),
]


def page_files() -> list[str]:
    """Page files that exist, relative to the repository root.

    Returns
    -------
    list of str
    """
    return [path for path, _, _ in PAGES if (HERE / path).exists()]
