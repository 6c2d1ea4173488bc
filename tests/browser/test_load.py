"""Ten people open the dashboard at once: every page renders without an error in time, and memory stays bounded.

The test starts its own server (the session server's memory depends on what other tests did), opens ten pages
in ten browser contexts of one Chromium at the same time (Today, Retention and Funnels in turn), waits for all
of them, and repeats the round once. It reads the server's resident memory from ``/proc/<pid>/status``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.helpers import REPO_ROOT, run_streamlit, screenshot, wait_for_app
from tests.browser.test_e2e_pages import wait_for_charts

SESSIONS = 10
PAGES = ("", "retention", "funnels")  # Today is the root page
ROUND_BOUND_S = 90.0
RSS_BOUND = 2 * 1024**3
# A second identical round may add caches' bookkeeping, not another copy of the data.
GROWTH_BOUND = 150 * 1024**2
ERROR_BOX = "[data-testid='stException'], [data-testid='stAlertContentError']"


def _server_pid(port: int) -> int:
    """The pid of the ``streamlit run`` listening on ``port`` among this process's children."""
    me = str(os.getpid())
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            status = (proc / "status").read_text()
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        ppid = next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:"))
        if ppid == me and b"streamlit" in cmdline and str(port).encode() in cmdline:
            return int(proc.name)
    raise AssertionError(f"no streamlit child of {me} on port {port}")


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


def _round(browser: Browser, url: str) -> tuple[float, list[Page]]:
    """Open the pages in SESSIONS fresh contexts at once; return the seconds until all were drawn."""
    contexts: list[BrowserContext] = [
        browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(SESSIONS)
    ]
    pages = [c.new_page() for c in contexts]
    started = time.monotonic()
    # "commit": return as soon as navigation starts, so all ten sessions run their scripts concurrently.
    for i, page in enumerate(pages):
        page.goto(f"{url}/{PAGES[i % len(PAGES)]}", wait_until="commit")
    for page in pages:
        expect(page.locator("[data-testid='stMain'] h1").first).to_be_visible(timeout=ROUND_BOUND_S * 1000)
        wait_for_app(page, timeout=ROUND_BOUND_S * 1000)
        wait_for_charts(page, timeout=ROUND_BOUND_S * 1000)
    elapsed = time.monotonic() - started
    for page in pages:
        boxes = page.locator(ERROR_BOX)
        assert boxes.count() == 0, f"{page.url}: " + " | ".join(boxes.all_inner_texts())[:800]
    return elapsed, pages


@pytest.mark.slow
def test_ten_concurrent_sessions(browser: Browser) -> None:
    with run_streamlit(REPO_ROOT / "app.py", cwd=REPO_ROOT) as url:
        pid = _server_pid(int(urlsplit(url).port or 0))
        idle = _rss_bytes(pid)
        rss: list[int] = []
        for n in (1, 2):
            elapsed, pages = _round(browser, url)
            rss.append(_rss_bytes(pid))
            assert elapsed < ROUND_BOUND_S, f"round {n}: {SESSIONS} sessions took {elapsed:.0f} s"
            if n == 2:
                screenshot(pages[1], "load_retention_round2")
            for page in pages:
                page.context.close()
        report = f"RSS idle {idle / 2**20:.0f} MiB, after round 1 {rss[0] / 2**20:.0f}, round 2 {rss[1] / 2**20:.0f}"
        print(report)
        assert max(rss) < RSS_BOUND, report
        assert rss[1] - rss[0] < GROWTH_BOUND, report
