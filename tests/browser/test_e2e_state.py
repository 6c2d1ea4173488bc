"""Shared filters in a real browser: they change the numbers, survive navigation, and a link restores the view."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Browser, Page, expect

from tests.browser.test_e2e_pages import (
    choose,
    expect_sidebar_value,
    go_to,
    open_app,
    tall_screenshot,
    wait_for_charts,
)

DAU = re.compile(r"([\d,]+) people used the product")


def _query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def _activity_dau(page: Page) -> int:
    text = page.locator("[data-testid='stAlert']").first.inner_text()
    match = DAU.search(text)
    assert match, f"no DAU in the Activity summary: {text!r}"
    return int(match.group(1).replace(",", ""))


def _today_dau(page: Page) -> int:
    tile = page.locator("[data-testid='stMetric']").filter(has_text="DAU").first
    return int(tile.locator("[data-testid='stMetricValue']").inner_text().replace(",", ""))


def test_segment_filter_changes_numbers_and_survives_navigation(page: Page, app_url: str) -> None:
    open_app(page, app_url)
    today_all = _today_dau(page)
    go_to(page, "Activity")
    activity_all = _activity_dau(page)

    sidebar = page.locator("[data-testid='stSidebar']")
    choose(page, "Segment", "user.platform", sidebar.get_by_text("Showing only platform = ios."))
    choose(page, "equals", "android", sidebar.get_by_text("Showing only platform = android."))
    activity_android = _activity_dau(page)
    # Android is about a third of the sample product's users: the filtered DAU is a strict, sizeable part.
    assert 0.15 * activity_all < activity_android < 0.6 * activity_all, (activity_all, activity_android)
    assert _query(page) == {"segment": ["user.platform"], "segment_value": ["android"]}

    for title, slug in (("Today", ""), ("Retention", "retention")):
        go_to(page, title)
        assert urlsplit(page.url).path.rstrip("/") == f"/{slug}".rstrip("/")
        assert _query(page) == {"segment": ["user.platform"], "segment_value": ["android"]}, page.url
        expect_sidebar_value(page, "Segment", "user.platform")
        expect_sidebar_value(page, "equals", "android")
        expect(
            page.locator("[data-testid='stSidebar']").get_by_text("Showing only platform = android.")
        ).to_be_visible()
        if title == "Today":
            today_android = _today_dau(page)
            assert 0.15 * today_all < today_android < 0.6 * today_all, (today_all, today_android)
    tall_screenshot(page, "e2e_state_retention_android")

    # Clearing the segment clears the URL and brings the unfiltered numbers back.
    go_to(page, "Activity")
    choose(page, "Segment", "(none)", sidebar.get_by_text("Showing only"), gone=True)
    assert "segment" not in _query(page)
    assert _activity_dau(page) == activity_all


def test_shared_link_restores_the_view_in_a_new_context(browser: Browser, app_url: str) -> None:
    query = "segment=user.channel&segment_value=paid&release=1.9"
    plain = browser.new_context(viewport={"width": 1400, "height": 1000})
    shared = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        # The same page without the link's filters, for comparison.
        reference = plain.new_page()
        open_app(reference, f"{app_url}/release")
        unfiltered = reference.locator("[data-testid='stAlert']").first.inner_text()

        page = shared.new_page()
        open_app(page, f"{app_url}/release?{query}")
        expect_sidebar_value(page, "Segment", "user.channel")
        expect_sidebar_value(page, "equals", "paid")
        expect_sidebar_value(page, "Release", "1.9")
        expect(page.locator("[data-testid='stSidebar']").get_by_text("Showing only channel = paid.")).to_be_visible()
        expect(page.get_by_role("heading", name="Before vs after 1.9")).to_be_visible()
        summary = page.locator("[data-testid='stAlert']").first.inner_text()
        assert "Release 1.9" in summary and summary != unfiltered
        assert _query(page) == parse_qs(query)
        wait_for_charts(page)
        tall_screenshot(page, "e2e_shared_link_release_1_9_paid")

        # The link's state travels on to the next page: Funnels splits before/after the linked release.
        go_to(page, "Funnels")
        assert _query(page) == parse_qs(query)
        expect(page.get_by_role("heading", name="Before and after 1.9")).to_be_visible()
        expect_sidebar_value(page, "equals", "paid")

        # A link with page controls as well (R9: page state in the URL), opened fresh in the new context.
        link = "segment=user.channel&segment_value=paid&release=2.0&retention_period=month&retention_by=plan"
        open_app(page, f"{app_url}/retention?{link}")
        expect_sidebar_value(page, "Release", "2.0")
        expect(page.get_by_role("combobox", name="Break down by")).to_have_value("plan")
        expect(page.get_by_role("radiogroup", name="Cohorts by").get_by_role("radio", checked=True)).to_have_text(
            "month"
        )
        expect(page.get_by_role("heading", name="Joined after 2.0 vs the 90 days before")).to_be_visible()
        expect(page.get_by_role("heading", name="By plan")).to_be_visible()
        expect(page.locator("[data-testid='stSidebar']").get_by_text("Showing only channel = paid.")).to_be_visible()
        assert "month" in page.locator("[data-testid='stAlert']").first.inner_text()
        wait_for_charts(page)
        tall_screenshot(page, "e2e_shared_link_retention_month_by_plan")
    finally:
        plain.close()
        shared.close()
