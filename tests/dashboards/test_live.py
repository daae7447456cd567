"""The Jobs and Overview pages follow runs by themselves (Streamlit fragments on a
timer): a sync that starts shows as running, and one that ends leaves within 2 s, with
no reload and no click, in headless Chromium."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dashboards.sample_home import copy_home
from tests.dashboards.test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PASSWORD,
    free_port,
    sign_in,
    wait_http,
)
from warehouse import accounts, runs
from warehouse.db import Warehouse

pytest_plugins = ["tests.dashboards.filled"]


@pytest.fixture
def live(filled_home, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``medialake dashboard`` on a copy of the filled home: (URL, home)."""
    home = copy_home(filled_home, tmp_path).home
    accounts.add_user(Warehouse(home / "medialake.sqlite"), "ada", PASSWORD, "admin")
    port = free_port()
    env = {**os.environ, "MEDIALAKE_HOME": str(home)}
    env.pop("PREFECT_API_URL", None)
    log = (tmp_path / "dashboard.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "dashboard", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{port}/_stcore/health", 60, process)
        yield f"http://127.0.0.1:{port}", home
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        log.close()


def test_a_run_that_ends_leaves_running_now_within_2_s(
    live: tuple[str, Path],
) -> None:
    from playwright.sync_api import sync_playwright

    url, home = live
    wh = Warehouse(home / "medialake.sqlite")
    label = "sync local (deep)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            view = browser.new_page(viewport={"width": 1400, "height": 1000})
            sign_in(view, url, "ada", "jobs")
            view.get_by_text("Nothing is running.").wait_for(timeout=60_000)

            with wh.write() as con:
                runs.start_run(con, "live-run", "local", "deep")
            view.get_by_text(label).first.wait_for(timeout=10_000)

            with wh.write() as con:
                runs.finish_run(con, "live-run", "succeeded", runs.RunCounts(seen=1))
            ended = time.monotonic()
            view.get_by_text("Nothing is running.").wait_for(timeout=10_000)
            took = time.monotonic() - ended
            assert view.get_by_text(label).count() == 0
            assert took < 2.0, f"the page showed the end after {took:.1f} s"
            assert view.locator('[data-testid="stException"]').count() == 0

            view.goto(url)
            view.get_by_role("heading", name="Overview").wait_for(timeout=60_000)
            with wh.write() as con:
                runs.start_run(con, "live-run-2", "local", "deep")
            running = view.get_by_text("local: a deep sync is running now")
            running.wait_for(timeout=10_000)
            with wh.write() as con:
                runs.finish_run(con, "live-run-2", "failed", runs.RunCounts())
            ended = time.monotonic()
            running.wait_for(state="detached", timeout=10_000)
            took = time.monotonic() - ended
            assert took < 2.0, f"the Overview showed the end after {took:.1f} s"
        finally:
            browser.close()
