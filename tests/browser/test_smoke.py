"""The app in a real Chromium: it opens, every page renders with no exception, the Data page shows the data."""

from __future__ import annotations

from playwright.sync_api import Page, expect

import app_pages
from tests.browser.helpers import assert_no_exception, screenshot, wait_for_app


def test_app_opens_on_the_sample_product(page: Page, app_url: str) -> None:
    page.goto(app_url)
    wait_for_app(page)
    assert_no_exception(page)
    # The landing page is the daily check, and the navigation lists every page.
    nav = page.locator("[data-testid='stSidebarNav']")
    for _, title, _ in app_pages.PAGES:
        expect(nav.get_by_text(title, exact=True)).to_be_visible()
    screenshot(page, "home")


def test_data_page_shows_tables_and_quality_report(page: Page, app_url: str) -> None:
    page.goto(f"{app_url}/data")
    wait_for_app(page)
    assert_no_exception(page)
    expect(page.get_by_role("heading", name="Data", exact=True)).to_be_visible()
    expect(page.get_by_text("Data quality")).to_be_visible()
    expect(page.locator("[data-testid='stDataFrame']").first).to_be_visible()
    screenshot(page, "data")


# Every page with its charts is covered by test_e2e_pages.py.
