"""Every page in a real Chromium: no exception, every chart drawn (marks, not an empty frame), a full-page screenshot.

The shared helpers of the end-to-end suite live here too (``open_app``, ``wait_for_charts``, ``expect_sidebar_value``,
``choose``, ``go_to``); the other ``test_e2e_*`` modules import them.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

import app_pages
from tests.browser.helpers import assert_no_exception, screenshot, wait_for_app

CHART = "[data-testid='stVegaLiteChart']"
# Vega draws each mark group as <g class="mark-...">; a chart that drew data has shapes inside one.
DRAWN = "svg.marks g[class*='mark-'] path, svg.marks g[class*='mark-'] line, canvas"
SLUGS = [path.split("/")[-1][:-3] for path in app_pages.page_files()]
TITLES = {path.split("/")[-1][:-3]: title for path, title, _ in app_pages.PAGES}


def open_app(page: Page, url: str) -> None:
    """Go to ``url``, wait for the run to finish and fail on an exception box.

    Parameters
    ----------
    page
        The Playwright page.
    url
        Full URL, query string included.
    """
    page.goto(url)
    # Before the websocket connects the app also reads "notRunning": wait for the page's title (the run has
    # started) and then for the run to end.
    expect(page.locator("[data-testid='stMain'] h1").first).to_be_visible(timeout=30_000)
    wait_for_app(page)
    assert_no_exception(page)


def wait_for_charts(page: Page, timeout: float = 20_000) -> int:
    """Scroll every Vega-Lite chart into view and wait until each has drawn marks.

    Parameters
    ----------
    page
        The Playwright page.
    timeout
        Milliseconds per chart.

    Returns
    -------
    int
        How many charts the page has.
    """
    charts = page.locator(CHART)
    count = charts.count()
    for i in range(count):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        expect(chart.locator(DRAWN).first, f"chart {i + 1} of {count} on {page.url} drew nothing").to_be_attached(
            timeout=timeout
        )
        box = chart.bounding_box()
        assert box is not None and box["width"] > 150 and box["height"] > 80, f"chart {i + 1} is {box}"
    page.evaluate("window.scrollTo(0, 0)")
    return count


def tall_screenshot(page: Page, name: str) -> None:
    """A screenshot of the whole page: the viewport grows to the main area's height first.

    Why: Streamlit scrolls inside ``stMain``, not the document, so a "full page" screenshot shows only the
    first screen.

    Parameters
    ----------
    page
        The Playwright page.
    name
        File name without extension (``test-artifacts/screenshots/<name>.png``).
    """
    size = page.viewport_size or {"width": 1400, "height": 1000}
    height = int(page.locator("[data-testid='stMain']").evaluate("e => e.scrollHeight"))
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 12_000)})
    wait_for_charts(page)
    screenshot(page, name)
    page.set_viewport_size(size)


def expect_sidebar_value(page: Page, label: str, value: str) -> None:
    """Assert (with Playwright's retrying wait) that the sidebar select box ``label`` shows ``value``.

    Parameters
    ----------
    page
        The Playwright page.
    label
        The widget's label.
    value
        The value it should show.
    """
    expect(page.locator("[data-testid='stSidebar']").get_by_role("combobox", name=label)).to_have_value(value)


def choose(page: Page, label: str, option: str, outcome: Locator, *, gone: bool = False) -> None:
    """Pick ``option`` in the select box labelled ``label``, wait for ``outcome`` and for the run to end.

    Why the outcome: right after a click the app still reads "notRunning" until the server starts the rerun,
    so waiting on the run state alone can return before the rerun, and the next click would interrupt it.

    Parameters
    ----------
    page
        The Playwright page.
    label
        The widget's label.
    option
        The option's text.
    outcome
        An element that only the rerun with the new value shows (or, with ``gone``, removes).
    gone
        Wait for ``outcome`` to disappear instead.
    """
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option, exact=True).click()
    if gone:
        expect(outcome).to_have_count(0, timeout=30_000)
    else:
        expect(outcome).to_be_visible(timeout=30_000)
    wait_for_app(page)


def go_to(page: Page, title: str) -> None:
    """Click a page in the sidebar navigation and wait for it.

    Parameters
    ----------
    page
        The Playwright page.
    title
        The page's navigation title.
    """
    page.locator("[data-testid='stSidebarNav']").get_by_text(title, exact=True).click()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    wait_for_app(page)
    assert_no_exception(page)


# Pages that must draw at least this many charts on the sample product (Today draws one only on an anomaly).
MIN_CHARTS = {"release": 3, "activity": 4, "retention": 3, "funnels": 4, "adoption": 4, "experiments": 4}


@pytest.mark.parametrize("slug", SLUGS)
def test_page_draws_every_chart(page: Page, app_url: str, slug: str) -> None:
    # The first page in the navigation is the home page, served at / (its own path answers "Page not found").
    home = SLUGS[0]
    open_app(page, app_url if slug == home else f"{app_url}/{slug}")
    expect(page.get_by_role("heading", name=TITLES[slug], exact=True)).to_be_visible()
    # The script can report "finished" before the browser has attached every chart: wait for the expected count.
    if MIN_CHARTS.get(slug):
        expect(page.locator(CHART).nth(MIN_CHARTS[slug] - 1)).to_be_attached(timeout=30_000)
    count = wait_for_charts(page)
    assert count >= MIN_CHARTS.get(slug, 0), f"{slug} shows {count} charts"
    # Every chart has its PNG/SVG buttons, so each is exportable (R9).
    assert page.get_by_role("button", name=re.compile(r"SVG$")).count() >= count
    assert_no_exception(page)
    tall_screenshot(page, f"e2e_{slug}")
