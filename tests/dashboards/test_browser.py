"""``medialake dashboard`` started for real and driven in headless Chromium (Debian's
``chromium`` through Playwright): every page renders for an admin; without a sign-in
every page goes to the login page; a member gets no SQL page and no job controls;
logging out in one tab ends the other; a guest account cannot sign in; text from the
warehouse that looks like Markdown or HTML is shown, never followed."""

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
from typing import Any

import httpx
import pytest

from tests import lake
from tests.dashboards.sample_home import copy_home
from warehouse import accounts
from warehouse.db import Warehouse

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


PASSWORD = "a long password"
ADMIN_ONLY = {"jobs", "sql"}


class Pixel:
    """A web server that counts the requests a browser makes to it."""

    def __init__(self) -> None:
        import http.server
        import threading

        hits: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.hits = hits
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def pixel() -> Iterator[Pixel]:
    server = Pixel()
    yield server
    server.server.shutdown()


def hostile(pixel: Pixel) -> str:
    return (
        f"![x]({pixel.url}/markdown.png) <img src='{pixel.url}/html.png'> "
        f"[click]({pixel.url}/link) :red[alarm] **loud**"
    )


def prepare(home: Path, pixel: Pixel) -> None:
    """Users of every role, and a failed sync whose error text is hostile."""
    wh = Warehouse(lake.catalog(home))
    for name, role in (("ada", "admin"), ("mel", "member"), ("gus", "guest")):
        accounts.add_user(wh, name, PASSWORD, role)
    with wh.write() as con:
        con.execute(
            "INSERT INTO sync_runs (run_id, server_id, mode, status, started_at, "
            "finished_at, error) VALUES ('hostile', 'mirror', 'full', 'failed', "
            "now() + INTERVAL 1 MINUTE, now() + INTERVAL 1 MINUTE, ?)",
            [hostile(pixel)],
        )


def sign_in(view, base: str, name: str, target: str = "") -> None:  # type: ignore[no-untyped-def]
    view.goto(f"{base}/{target}")
    view.wait_for_url("**/login?next=**")
    view.fill("input[name=username]", name)
    view.fill("input[name=password]", PASSWORD)
    view.click("button[type=submit]")


@pytest.fixture
def dashboard(filled_home, tmp_path: Path, pixel: Pixel) -> Iterator[str]:
    home = copy_home(filled_home, tmp_path).home
    prepare(home, pixel)
    port = free_port()
    env = {**os.environ, "MEDIALAKE_HOME": str(home)}
    log = tmp_path / "dashboard.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", "dashboard", "--port", str(port)],
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
            sign_in(view, dashboard, "ada")
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


@pytest.fixture
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is missing")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_sign_in_and_roles_in_chromium(
    dashboard: str, chromium: Any, pixel: Pixel
) -> None:
    anonymous = chromium.new_page()
    for path in PAGES:
        response = anonymous.goto(f"{dashboard}/{path}")
        assert "/login?next=" in anonymous.url, path
        assert response is not None
        assert "frame-ancestors 'none'" in (
            response.header_value("content-security-policy") or ""
        )
    anonymous.close()

    guest = chromium.new_page()
    sign_in(guest, dashboard, "gus")
    guest.get_by_text("a guest account cannot sign in here").wait_for(timeout=30_000)
    guest.close()

    member = chromium.new_page()
    sign_in(member, dashboard, "mel", "sql")
    member.get_by_role("heading", name="Overview").first.wait_for(timeout=60_000)
    nav = member.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Library" in nav
    assert "SQL" not in nav
    assert "Jobs" not in nav
    assert member.get_by_label("Query").count() == 0  # no SQL editor behind /sql
    # the failed run's hostile error text is shown as text, and nothing is fetched
    member.get_by_text(":red[alarm]").first.wait_for(timeout=30_000)
    member.wait_for_timeout(500)
    assert pixel.hits == []
    member.close()


def test_logout_in_one_tab_ends_the_other(dashboard: str, chromium: Any) -> None:
    context = chromium.new_context()
    first, second = context.new_page(), context.new_page()
    sign_in(first, dashboard, "ada")
    first.get_by_role("heading", name="Overview").first.wait_for(timeout=60_000)
    second.goto(f"{dashboard}/library")
    second.get_by_role("heading", name="Library").first.wait_for(timeout=60_000)

    first.goto(f"{dashboard}/logout")
    first.click("button[type=submit]")
    first.wait_for_url("**/login")

    second.get_by_role("textbox", name="Search").fill("anything")  # its next run
    second.keyboard.press("Enter")
    second.get_by_text("You are signed out").wait_for(timeout=30_000)
    second.reload()
    second.wait_for_url("**/login?next=**")
    context.close()
