"""Other players, on a page of another origin, against a real ``medialake serve``:
Shaka Player and Video.js (from npm, in headless Chromium) play a master playlist whose
origin is listed in ``playback.cors_origins``, and keep playing for 60 s with the token
lifetime set to 10 s (a scaled-down film outliving a 5-minute token): the URIs inside
the playlists last for the viewing, and nothing renews them."""

from __future__ import annotations

import http.server
import shutil
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from playback import tokens
from tests.connectors.transcode import media
from tests.playback.conftest import _build
from tests.playback.sessions.stack import Service

PLAYERS = Path(__file__).with_name("players")  # the two pages, and npm's node_modules
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"]
PLAY_S = 60.0
TOKEN_TTL_S = 10


class Pages:
    """The other origin: a static server for the players' pages and scripts."""

    def __init__(self) -> None:
        handler = partial(_Quiet, directory=str(PLAYERS))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def pages() -> Iterator[Pages]:
    if not (PLAYERS / "node_modules" / "video.js").exists():
        pytest.skip("the test players are not installed: run scripts/setup.sh --tests")
    served = Pages()
    yield served
    served.server.shutdown()


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory, pages: Pages) -> Iterator[Any]:
    home = tmp_path_factory.mktemp("players") / "home"
    source = media.h264(home.parent / "film.mp4", seconds=PLAY_S + 15, size="160x90")
    asset = _build(source, home / "hls")
    service = Service(
        home,
        asset,
        env_extra={
            "MEDIALAKE_PLAYBACK_TOKEN_TTL_S": str(TOKEN_TTL_S),
            "MEDIALAKE_PLAYBACK_CORS_ORIGINS": f'["{pages.origin}"]',
        },
    )
    service.start()
    yield service
    service.stop()


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is missing")
def test_shaka_and_videojs_play_on_past_the_token_lifetime(
    film: Service, pages: Pages
) -> None:
    from playwright.sync_api import sync_playwright

    token = tokens.issue(film.key, film.asset, TOKEN_TTL_S).value  # a link's token
    master = f"{film.base}/hls/{film.asset}/master.m3u8?t={token}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            players = {}
            for name in ("shaka", "videojs"):
                page = browser.new_page()
                page.goto(f"{pages.origin}/{name}.html?src={master}")
                players[name] = page
            started = time.monotonic()
            while time.monotonic() - started < PLAY_S:
                time.sleep(5)
                for name, page in players.items():
                    assert page.evaluate("window.errors") == [], name
            for name, page in players.items():
                position = page.evaluate("document.querySelector('video').currentTime")
                assert position > PLAY_S - 10, (name, position)  # played on, past 10 s
                assert page.evaluate("window.errors") == [], name
        finally:
            browser.close()


def test_an_origin_not_listed_gets_no_cors_headers(film: Service) -> None:
    import httpx

    token = tokens.issue(film.key, film.asset, TOKEN_TTL_S).value
    url = f"{film.base}/hls/{film.asset}/master.m3u8?t={token}"
    other = httpx.get(url, headers={"origin": "http://evil.example"}, timeout=5)
    assert other.status_code == 200
    assert "access-control-allow-origin" not in other.headers
