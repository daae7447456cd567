"""One real ``medialake serve`` for the playback tests: uvicorn in its own process, a
data folder with two published assets (an ABR ladder with subtitles, and a remux), a
known secret, and every file the server opens written to an audit log."""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest

from connectors.transcode import decide as d
from connectors.transcode import publish
from connectors.transcode.command import make_plan
from connectors.transcode.ladder import RenditionSpec
from connectors.transcode.probe import probe
from playback import auth, tokens
from tests import lake
from tests.connectors.transcode import media
from warehouse import accounts
from warehouse.db import Warehouse

PASSWORD = "a long password"
REPO = Path(__file__).resolve().parents[2]
SPECS = (RenditionSpec("180p", 180, 400, 64), RenditionSpec("120p", 120, 160, 48))
# Runs the real CLI with an audit hook that logs every file the process opens.
BOOT = """
import os, sys
log = open(os.environ["AUDIT_LOG"], "a", buffering=1)
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes)):
        log.write(os.fsdecode(args[0]) + "\\n")
sys.addaudithook(hook)
sys.argv = ["medialake", "serve"]
from cli.main import main
main()
"""


@dataclass
class Served:
    """The running service and what it serves."""

    base: str
    port: int
    key: bytes
    home: Path
    ladder: str
    copy: str
    log: Path
    audit: Path

    def token(self, asset_id: str, ttl_s: int = 300) -> str:
        return tokens.issue(self.key, asset_id, ttl_s).value

    def get(
        self,
        target: str,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        body: str | None = None,
    ) -> http.client.HTTPResponse:
        """A request with the path sent exactly as given (no normalisation)."""
        con = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        con.request(method, target, body=body, headers=headers or {})
        response = con.getresponse()
        response.body = response.read()  # type: ignore[attr-defined]
        con.close()
        return response

    def sign_in(self, name: str, password: str = PASSWORD) -> str:
        """Sign in through the login form; the session cookie."""
        response = self.get(
            "/login",
            "POST",
            {"content-type": "application/x-www-form-urlencoded"},
            urlencode({"username": name, "password": password}),
        )
        assert response.status == 303, response.body  # type: ignore[attr-defined]
        cookie = response.getheader("Set-Cookie", "")
        return cookie.split(";")[0].split("=", 1)[1]

    def as_user(self, cookie: str) -> dict[str, str]:
        """Request headers of a signed-in browser."""
        return {"cookie": f"{auth.COOKIE}={cookie}"}


def add_users(home: Path) -> None:
    """An admin (``ada``) and a member (``mel``), in the service's warehouse."""
    wh = Warehouse(lake.catalog(home))
    accounts.add_user(wh, "ada", PASSWORD, "admin")
    accounts.add_user(wh, "mel", PASSWORD, "member")


def _build(source: Path, root: Path, kind: str = "video") -> str:
    info = probe(source)
    plan = make_plan(
        info, d.decide(info, kind), specs=SPECS, audio_kbps=[96], segment_s=2
    )
    return publish.build_asset(source, root, plan, info.media_duration_s).asset_id


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="package")
def served(tmp_path_factory: pytest.TempPathFactory) -> Served:
    home = tmp_path_factory.mktemp("playback") / "home"
    sources = home.parent / "sources"
    sources.mkdir()
    ladder = _build(
        media.hevc_with_subtitles(sources / "film.mkv", seconds=10), home / "hls"
    )
    copy = _build(media.h264(sources / "clip.mp4", seconds=4), home / "hls")
    secret, port = secrets.token_hex(32), _free_port()
    log, audit = home.parent / "serve.log", home.parent / "audit.log"
    env = {
        **os.environ,
        "MEDIALAKE_HOME": str(home),
        "AUDIT_LOG": str(audit),
        "MEDIALAKE_PLAYBACK_SECRET": secret,
        "MEDIALAKE_PLAYBACK_PORT": str(port),
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", BOOT],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    served = Served(
        f"http://127.0.0.1:{port}",
        port,
        secret.encode(),
        home,
        ladder,
        copy,
        log,
        audit,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if served.get("/health").status == 200:
                break
        except OSError:
            pass
        assert proc.poll() is None, log.read_text(encoding="utf-8")
        assert time.monotonic() < deadline, "the service did not start"
        time.sleep(0.1)
    add_users(home)
    yield served
    proc.terminate()
    proc.wait(timeout=10)
