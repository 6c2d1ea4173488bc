"""Real-browser fixtures: the system Chromium driven by pytest-playwright; one Streamlit server per session.

Fixtures
--------
app_url (session)
    Base URL (``http://127.0.0.1:<port>``) of ONE ``streamlit run app.py`` started from the repo root,
    headless, with the file watcher off and usage stats off; ready once ``/_stcore/health`` answers ``ok``
    (60 s, else the error carries the server's output). Stopped at the end of the session.
page, context, browser (from pytest-playwright 0.10)
    Use them as usual: ``page.goto(app_url)``. A fresh context (cookies, storage) per test.
browser_type_launch_args (session, overridden here)
    Launches ``/usr/bin/chromium`` with the flags of TESTING-NOTES.md (never a bundled browser; never run
    ``playwright install``). Without Chromium the tests skip locally and fail when ``CI`` is set.
browser_context_args (session, overridden here)
    A 1400x1000 viewport so screenshots show a whole dashboard row.

Helpers (import from ``tests.browser.helpers``)
-----------------------------------------------
``wait_for_app(page)``
    Wait for ``[data-testid='stApp'][data-test-script-state='notRunning']`` and the status widget gone; call
    after ``goto`` and after every interaction. For charts also wait for
    ``[data-testid='stVegaLiteChart'] svg.marks``.
``assert_no_exception(page)``
    Fail if any ``[data-testid='stException']`` is on the page, quoting it.
``screenshot(page, name)``
    Full-page PNG at ``test-artifacts/screenshots/<name>.png`` (repo root); returns the path.
``run_streamlit(script, cwd=None, timeout=60)``
    Context manager behind ``app_url``, for a test that needs its own server (e.g. another config).

Every test in this folder gets the ``browser`` marker (``-m "not browser"`` skips them).
Example::

    from tests.browser.helpers import assert_no_exception, screenshot, wait_for_app

    def test_overview_renders(page, app_url):
        page.goto(app_url)
        wait_for_app(page)
        assert_no_exception(page)
        screenshot(page, "overview")
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, REPO_ROOT, run_streamlit
from tests.conftest import unavailable


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch the system Chromium with flags that keep it quiet on a closed network."""
    if not CHROMIUM.is_file():
        unavailable(
            f"No Chromium at {CHROMIUM}. Install it with `apt-get install chromium` to run the browser tests "
            "(never `playwright install`: it downloads a browser)."
        )
    headless = browser_type_launch_args.get("headless", True)
    # Playwright refuses --user-data-dir in args for launch(); it already gives every launch a fresh temporary
    # profile, so the profile can't leak state between runs.
    args = [*(["--headless"] if headless else []), *CHROMIUM_ARGS]
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": args}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """Use a desktop-sized viewport."""
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}}


@pytest.fixture(scope="session")
def app_url() -> Iterator[str]:
    """Start the app once for the session and yield its URL."""
    app = REPO_ROOT / "app.py"
    if not app.is_file():
        pytest.fail(f"{app} does not exist: the browser tests need the app's entrypoint.", pytrace=False)
    with run_streamlit(app, cwd=REPO_ROOT) as url:
        yield url
