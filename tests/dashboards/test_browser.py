"""``medialake dashboard`` started for real and every page loaded in headless Chromium
(Debian's ``chromium`` driven by Playwright): no exception box, no empty page."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.dashboards.sample_home import copy_home

pytest_plugins = ["tests.dashboards.filled"]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGES = {
    "": ("Overview", "Tracks"),
    "library": ("Library", "items · page 1 of"),
    "jobs": ("Jobs", "Run a flow now"),
    "analytics": ("Analytics", "Servers side by side"),
    "sql": ("SQL", "library_overview"),
    "sessions": ("Watch sessions", "medialake serve"),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout_s: float, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "the process ended before it answered"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout_s} s")


@pytest.fixture
def dashboard(filled_home, tmp_path: Path) -> Iterator[str]:
    home = copy_home(filled_home, tmp_path).home
    port = free_port()
    env = {**os.environ, "MEDIALAKE_HOME": str(home)}
    log = tmp_path / "dashboard.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "medialake", "dashboard", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_http(f"http://127.0.0.1:{port}/_stcore/health", 60, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        print(log.read_text(errors="replace")[-3000:])  # shown when the test fails


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is missing")
def test_every_page_renders_in_chromium(dashboard: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            view = browser.new_page(viewport={"width": 1400, "height": 1000})
            for path, (title, text) in PAGES.items():
                view.goto(f"{dashboard}/{path}")
                view.get_by_role("heading", name=title).first.wait_for(timeout=60_000)
                view.get_by_text(text).first.wait_for(timeout=60_000)
                view.wait_for_timeout(300)  # let the last elements settle
                view.screenshot(path=str(tmp_path / f"{path or 'overview'}.png"))
                assert view.locator('[data-testid="stException"]').count() == 0, path
                body = view.locator('[data-testid="stMain"]').inner_text()
                assert len(body.strip()) > 40, path
        finally:
            browser.close()
    assert len(list(tmp_path.glob("*.png"))) == len(PAGES)
