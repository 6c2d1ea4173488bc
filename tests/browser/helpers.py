"""Helpers for real-browser tests: run a Streamlit server, wait on the app's own state, capture screenshots.

Waits use the app's state, never sleeps: Streamlit marks ``[data-testid='stApp']`` with
``data-test-script-state='notRunning'`` once a run ends, and shows ``[data-testid='stStatusWidget']`` while
it works. Exceptions render as ``[data-testid='stException']``.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO_ROOT / "test-artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
# Without the networking flags Chromium keeps trying to reach Google's services on a closed network.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
APP_READY = "[data-testid='stApp'][data-test-script-state='notRunning']"
STATUS_WIDGET = "[data-testid='stStatusWidget']"
EXCEPTION = "[data-testid='stException']"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return bool(response.status == 200 and response.read().decode().strip() == "ok")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@contextmanager
def run_streamlit(script: Path, cwd: Path | None = None, timeout: float = 60.0) -> Iterator[str]:
    """Run ``streamlit run <script>`` headless on a free port of 127.0.0.1 and yield its base URL.

    Parameters
    ----------
    script
        The Streamlit entrypoint.
    cwd
        Working directory of the server (the repo root for the real app); the script's folder by default.
    timeout
        Seconds to wait for ``/_stcore/health`` to answer ``ok``.

    Yields
    ------
    str
        ``http://127.0.0.1:<port>``.

    Raises
    ------
    RuntimeError
        When the server exits or is not healthy in time; the message has its output.
    """
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    command = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    # Output goes to a file, not a pipe: nobody reads a pipe while tests run, and a full pipe blocks.
    with tempfile.TemporaryFile(mode="w+") as output:
        process = subprocess.Popen(
            command, cwd=cwd or script.parent, env=env, stdout=output, stderr=subprocess.STDOUT, text=True
        )
        try:
            deadline = time.monotonic() + timeout
            while not _healthy(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    output.seek(0)
                    state = f"exited with {process.returncode}" if process.poll() is not None else "timed out"
                    raise RuntimeError(
                        f"Streamlit server for {script} {state} before /_stcore/health answered ok "
                        f"({timeout:.0f} s).\ncommand: {' '.join(command)}\noutput:\n{output.read()}"
                    )
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for_app(page: Page, timeout: float = 30_000) -> None:
    """Wait until the current script run has finished and the status widget is gone.

    Call it after ``page.goto`` and after every interaction that reruns the script.

    Parameters
    ----------
    page
        The Playwright page showing the app.
    timeout
        Milliseconds for each of the two waits.
    """
    page.wait_for_selector(APP_READY, timeout=timeout)
    page.wait_for_selector(STATUS_WIDGET, state="hidden", timeout=timeout)


def assert_no_exception(page: Page) -> None:
    """Fail if the page shows a Streamlit exception box, quoting what it says.

    Parameters
    ----------
    page
        The Playwright page showing the app.
    """
    boxes = page.locator(EXCEPTION)
    count = boxes.count()
    assert count == 0, f"{count} exception(s) on {page.url}:\n" + "\n---\n".join(
        boxes.nth(i).inner_text() for i in range(min(count, 3))
    )


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG as ``test-artifacts/screenshots/<name>.png`` at the repo root.

    Parameters
    ----------
    page
        The Playwright page.
    name
        File name without extension; characters other than letters, digits, ``-`` and ``_`` become ``_``.

    Returns
    -------
    Path
        Where the PNG was written.
    """
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{re.sub(r'[^A-Za-z0-9_-]', '_', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
