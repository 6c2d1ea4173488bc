"""A shared link opened as the very first request to a fresh server still goes through app.py.

With a ``pages/`` folder beside app.py, Streamlit served such a deep link with its old folder-based navigation:
no shared sidebar, no filters, file names in the menu. The pages live in ``views/`` for that reason; this test
keeps it that way. It needs its own server, since the session server has already served other requests.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.helpers import REPO_ROOT, assert_no_exception, run_streamlit, wait_for_app


def test_deep_link_first_runs_the_app_entry_point(page: Page) -> None:
    with run_streamlit(REPO_ROOT / "app.py", cwd=REPO_ROOT) as url:
        page.goto(f"{url}/retention?segment=user.channel&segment_value=paid")
        wait_for_app(page)
        assert_no_exception(page)
        sidebar = page.locator("[data-testid='stSidebar']")
        expect(sidebar.get_by_text("Data source")).to_be_visible()
        expect(page.locator("[data-testid='stSidebarNav']").get_by_text("Retention", exact=True)).to_be_visible()
        expect(page.get_by_text("Showing only channel = paid")).to_be_visible()
