"""Presentation mode (``?present=1``): no sidebar or controls, large type, the link's filters still apply."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.test_e2e_pages import open_app, tall_screenshot, wait_for_charts


def _font_px(page: Page, selector: str) -> float:
    return float(page.locator(selector).first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))


def test_presentation_mode_hides_controls_and_enlarges_type(page: Page, app_url: str) -> None:
    open_app(page, f"{app_url}/retention")
    normal_text = _font_px(page, "[data-testid='stAlert'] p")
    normal_title = _font_px(page, "[data-testid='stMain'] h1")
    expect(page.locator("[data-testid='stSidebar']")).to_be_visible()
    expect(page.locator("[data-testid='stDownloadButton']").first).to_be_visible()

    open_app(page, f"{app_url}/retention?present=1&segment=user.channel&segment_value=paid")
    wait_for_charts(page)
    for hidden in ("stSidebar", "stSidebarCollapsedControl", "stHeader", "stDownloadButton", "stExpander"):
        expect(page.locator(f"[data-testid='{hidden}']").first).to_be_hidden()
    # Readable from the back of the room: body text at least 22 px and clearly bigger than normal, titles too.
    text = _font_px(page, "[data-testid='stAlert'] p")
    title = _font_px(page, "[data-testid='stMain'] h1")
    assert text >= 22 and text > 1.2 * normal_text, (normal_text, text)
    assert title >= 44 and title > normal_title, (normal_title, title)
    # The main column uses the whole width of the screen.
    main = page.locator("[data-testid='stMainBlockContainer']").bounding_box()
    assert main is not None and main["width"] > 0.9 * 1400
    # The hidden sidebar still holds the link's filter, so the numbers are the paid channel's.
    paid = page.locator("[data-testid='stAlert']").first.inner_text()
    open_app(page, f"{app_url}/retention?present=1")
    assert page.locator("[data-testid='stAlert']").first.inner_text() != paid
    open_app(page, f"{app_url}/retention?present=1&segment=user.channel&segment_value=paid")
    wait_for_charts(page)
    tall_screenshot(page, "e2e_present_retention_paid")


def test_present_link_in_the_sidebar_keeps_the_view(page: Page, app_url: str) -> None:
    open_app(page, f"{app_url}/funnels?segment=user.platform&segment_value=web")
    link = page.locator("[data-testid='stSidebar']").get_by_role("link", name="Present this page").first
    expect(link).to_have_attribute("href", re.compile("present=1"))
    href = link.get_attribute("href") or ""
    assert "present=1" in href and "segment=user.platform" in href and "segment_value=web" in href, href
