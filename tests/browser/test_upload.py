"""Uploading files on the Data page, in a real browser: a good upload becomes the source, a bad one a message."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.helpers import assert_no_exception, screenshot, wait_for_app

GOOD = (
    "user_id,event,timestamp,platform\n"
    "1,signup,2026-09-01T09:00:00Z,ios\n1,open,2026-09-02T10:00:00Z,ios\n"
    "2,signup,2026-09-01T11:00:00Z,web\n2,open,2026-09-08T12:00:00Z,web\n"
)


def _upload(page: Page, app_url: str, path: Path) -> None:
    page.goto(f"{app_url}/data")
    wait_for_app(page)
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(path))
    wait_for_app(page)
    page.get_by_role("button", name="Use these files").click()
    wait_for_app(page)


def test_good_upload_becomes_the_source(page: Page, app_url: str, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(GOOD)
    _upload(page, app_url, path)
    assert_no_exception(page)
    expect(page.get_by_text("Reading a DuckDB file").first).to_be_visible()
    expect(page.get_by_text("upload-").first).to_be_visible()
    screenshot(page, "data_after_upload")


def test_bad_upload_shows_a_message(page: Page, app_url: str, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("a,b\n1,2\n")
    _upload(page, app_url, path)
    assert_no_exception(page)
    expect(page.get_by_text("required column user_id, event, timestamp is missing").first).to_be_visible()
    # The sample product is still the source.
    expect(page.get_by_text("sample_data/product").first).to_be_visible()
