"""A real playback service for the session tests and the bench: a data folder with one
published HLS asset (a generated H.264 film, remuxed), recorded in the warehouse, and
``medialake serve`` run as a process that can be stopped and started again on the same
port (a restart mid-session)."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from connectors.transcode import decide as d
from connectors.transcode import publish
from connectors.transcode.command import make_plan
from connectors.transcode.probe import probe
from playback.sessions import keys
from tests.connectors.transcode import media
from warehouse import hls
from warehouse.db import Warehouse
from warehouse.migrate import migrate

REPO = Path(__file__).resolve().parents[3]
TITLE = "Sync Test Film (2024)"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_home(root: Path, seconds: float = 30) -> tuple[Path, str]:
    """A data folder with one published, registered asset; its id."""
    home = root / "home"
    source = media.h264(root / "film.mp4", seconds=seconds, size="160x90")
    info = probe(source)
    plan = make_plan(
        info, d.decide(info, "video"), specs=(), audio_kbps=[64], segment_s=2
    )
    built = publish.build_asset(source, home / "hls", plan, info.media_duration_s)
    wh = Warehouse(home / "medialake.sqlite")
    migrate(wh)
    with wh.write() as con:
        hls.publish_asset(
            con,
            {
                "asset_id": built.asset_id,
                "server_id": "local",
                "file_native_id": "film",
                "title": TITLE,
                "decision": "remux",
                "mode": "copy",
                "duration_s": built.duration_s,
            },
            [],
        )
    return home, built.asset_id


@dataclass
class Service:
    """``medialake serve`` on a fixed port, restartable."""

    home: Path
    asset: str
    port: int = field(default_factory=free_port)
    secret: str = field(default_factory=lambda: secrets.token_hex(32))
    env_extra: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def key(self) -> bytes:
        return self.secret.encode()

    @property
    def log(self) -> Path:
        return self.home.parent / "serve.log"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "MEDIALAKE_HOME": str(self.home),
            "MEDIALAKE_PLAYBACK_SECRET": self.secret,
            "MEDIALAKE_PLAYBACK_PORT": str(self.port),
            **self.env_extra,
        }

    def start(self, timeout_s: float = 60) -> float:
        """Start the process; return seconds until it answered ``/health``."""
        started = time.monotonic()
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cli", "serve"],
                env=self.env(),
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1
        while True:
            try:
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            assert self.process.poll() is None, self.log.read_text(errors="replace")
            assert time.monotonic() - started < timeout_s, "the service did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop it the way a service manager does (SIGTERM), and wait."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def api(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """A call to the sessions API with the dashboard's token."""
        token = keys.api_token(self.key)
        return httpx.request(
            method,
            f"{self.base}{path}",
            json=body,
            headers={"authorization": f"Bearer {token}"},
            timeout=10,
        )

    def create(self, **options: Any) -> dict[str, Any]:
        """A new session for the asset."""
        response = self.api(
            "POST", "/api/sessions", {"asset_id": self.asset, **options}
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def control(self, session_id: str, action: str, **extra: Any) -> dict[str, Any]:
        response = self.api(
            "POST",
            f"/api/sessions/{session_id}/control",
            {"action": action, **extra},
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def session(self, session_id: str) -> dict[str, Any]:
        response = self.api("GET", f"/api/sessions/{session_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())
