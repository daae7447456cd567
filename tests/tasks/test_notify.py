"""Notifications, received by a local webhook started by the test (Apprise's
``json://`` target): a failed flow run, a suspect sync, and a target that cannot be
reached, which must not fail the work."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from connectors.notify import Notice, Notifier
from tasks.context import reset


class Receiver:
    """A webhook on 127.0.0.1 that keeps every JSON body POSTed to it."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.arrived:
                    receiver.received.append(json.loads(body))
                    receiver.arrived.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"json://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int = 1, timeout_s: float = 30.0) -> list[dict[str, Any]]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout_s)
            return list(self.received)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    yield hook
    hook.server.shutdown()


@pytest.fixture
def notify_to(
    receiver: Receiver, bare_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Receiver:
    monkeypatch.setenv("MEDIALAKE_NOTIFY_TARGETS", json.dumps([receiver.url]))
    reset()
    return receiver


def test_a_notice_reaches_the_webhook(receiver: Receiver) -> None:
    sent = Notifier([receiver.url]).send(Notice("failed", "sync failed", "why"))
    assert sent
    (message,) = receiver.wait()
    assert (message["title"], message["message"]) == ("sync failed", "why")
    assert message["type"] == "failure"


def test_an_unreachable_target_is_reported_not_raised() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    notifier = Notifier([f"json://127.0.0.1:{port}/hook"])
    assert notifier.send(Notice("ripped", "1 rip finished", "x.mkv")) is False
    assert Notifier(["not a target"]).send(Notice("failed", "t", "b")) is False


def test_a_failed_flow_run_reaches_the_webhook_within_30_s(
    notify_to: Receiver, prefect_harness: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    for key, value in {
        "KIND": "jellyfin", "URL": f"http://127.0.0.1:{port}", "API_KEY": "k" * 32,
        "RETRIES": "1", "BACKOFF_S": "0.01",
    }.items():  # fmt: skip
        monkeypatch.setenv(f"MEDIALAKE_SERVERS_JF_{key}", value)
    reset()
    from flows.library_sync import SyncFailed, library_sync

    started = time.monotonic()
    with pytest.raises(SyncFailed):
        library_sync(server="jf")
    (message,) = notify_to.wait(timeout_s=30.0)
    assert time.monotonic() - started < 30.0
    assert message["title"] == "medialake: library-sync failed"
    assert "jf: ConnectError" in message["message"]
    assert message["type"] == "failure"


def test_a_suspect_sync_is_notified(
    notify_to: Receiver,
    prefect_harness: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("MEDIALAKE_SERVERS_LIB_KIND", "filesystem")
    monkeypatch.setenv("MEDIALAKE_SERVERS_LIB_ROOTS", json.dumps([str(tmp_path / "x")]))
    reset()
    from flows.library_sync import library_sync

    (summary,) = library_sync(server="lib")
    assert summary["status"] == "suspect"
    (message,) = notify_to.wait()
    assert message["title"] == "medialake: sync of lib is suspect"
    assert message["message"].startswith("lib: nothing was removed: ")
    assert message["type"] == "failure"
