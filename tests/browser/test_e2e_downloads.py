"""Downloads in a real browser: the CSV, PNG and SVG buttons deliver files that parse."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from pathlib import Path

from playwright.sync_api import Page

from tests.browser.test_e2e_pages import open_app, wait_for_charts

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _download(page: Page, key: str, folder: Path) -> Path:
    """Click the download button with widget key ``key`` and save what arrives."""
    button = page.locator(f".st-key-{key} button")
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=30_000) as info:
        button.click()
    download = info.value
    assert download.failure() is None, download.failure()
    target = folder / download.suggested_filename
    download.save_as(target)
    return target


def test_retention_downloads_csv_png_svg(page: Page, app_url: str, tmp_path: Path) -> None:
    open_app(page, f"{app_url}/retention")
    wait_for_charts(page)

    table = _download(page, "dl_csv_retention_average", tmp_path)
    assert table.name == "retention_average.csv"
    reader = csv.DictReader(io.StringIO(table.read_text()))
    assert reader.fieldnames == ["period", "cohorts", "active", "eligible", "rate", "rate_low", "rate_high"]
    rows = list(reader)
    assert len(rows) > 5
    # Period 0 is the cohort itself: everyone eligible is active, so the rate is exactly 1.
    assert rows[0]["period"] == "0" and rows[0]["active"] == rows[0]["eligible"] and float(rows[0]["rate"]) == 1.0
    for row in rows:
        rate = float(row["rate"])
        assert abs(rate - int(row["active"]) / int(row["eligible"])) < 1e-9, row
        assert float(row["rate_low"]) <= rate <= float(row["rate_high"]), row

    cells = _download(page, "dl_csv_retention_cells", tmp_path)
    cell_rows = list(csv.DictReader(io.StringIO(cells.read_text())))
    assert list(cell_rows[0]) == [
        "cohort",
        "cohort_size",
        "period",
        "active",
        "eligible",
        "mature",
        "rate",
        "rate_low",
        "rate_high",
    ]
    # The average row of period 0 sums the cohorts' sizes: the two downloads agree with each other.
    assert sum(int(r["cohort_size"]) for r in cell_rows if r["period"] == "0") == int(rows[0]["eligible"])

    png = _download(page, "dl_png_retention_heatmap", tmp_path)
    assert png.name == "retention_heatmap.png"
    data = png.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 5_000

    svg = _download(page, "dl_svg_retention_heatmap", tmp_path)
    root = ET.fromstring(svg.read_text())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(root.findall(".//{http://www.w3.org/2000/svg}path")) > 10
    # The page is still fine after the downloads (on_click="ignore": no rerun, no exception).
    open_app(page, page.url)
