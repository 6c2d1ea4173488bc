"""The static release report opens from file:// in Chromium with every non-file request refused."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route

from lib.commands import report as report_command
from lib.config import resolve_config
from lib.context import open_context
from tests.browser.helpers import screenshot


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "release-2.0.html"
    ctx = open_context(resolve_config(None, None))
    try:
        report_command.run(argparse.Namespace(release="2.0", out=str(out)), ctx)
    finally:
        ctx.source.engine.dispose()
    return out


def test_report_renders_offline(page: Page, report_file: Path) -> None:
    refused: list[str] = []

    def offline(route: Route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", offline)
    page.goto(report_file.as_uri())
    page.wait_for_load_state("load")
    assert refused == [], f"the report tried to load {refused}"
    assert page.locator("h1").inner_text() == "Release review: 2.0"
    charts = page.locator("figure > svg")
    assert charts.count() == 10
    for i in range(charts.count()):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        assert chart.is_visible()
        box = chart.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 80
    # The charts drew marks, not empty frames.
    assert page.locator("figure svg path").count() > 50
    screenshot(page, "report_offline")
