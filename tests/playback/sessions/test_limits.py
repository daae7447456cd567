"""Slow clients on a real ``medialake serve``: a client that never finishes its request
headers is cut off after ``playback.header_timeout_s``, so 200 of them cannot hold the
service (before, 800 held it for 60 s)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.playback.sessions.stack import Service

HEADER_TIMEOUT_S = 1.0
SLOW_CLIENTS = 200


@pytest.fixture(scope="module")
def guarded(asset_home: tuple[Path, str]) -> Iterator[Service]:
    home, asset = asset_home
    running = Service(
        home,
        asset,
        env_extra={
            "MEDIALAKE_PLAYBACK_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
            "MEDIALAKE_PLAYBACK_MAX_CONNECTIONS": "100",
        },
    )
    running.start()
    yield running
    running.stop()


def test_clients_that_never_finish_their_headers_are_cut_off(guarded: Service) -> None:
    slow = []
    for _ in range(SLOW_CLIENTS):
        conn = socket.create_connection(("127.0.0.1", guarded.port), timeout=10)
        conn.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        slow.append(conn)
    started = time.monotonic()
    try:
        closed = 0
        for conn in slow:
            conn.settimeout(
                max(0.1, HEADER_TIMEOUT_S + 5 - (time.monotonic() - started))
            )
            try:
                closed += conn.recv(1024) == b""
            except (TimeoutError, ConnectionResetError):
                closed += 0
        took = time.monotonic() - started
        assert closed == SLOW_CLIENTS
        assert took < HEADER_TIMEOUT_S + 5
        assert httpx.get(f"{guarded.base}/health", timeout=5).status_code == 200
    finally:
        for conn in slow:
            conn.close()


def test_a_client_sending_its_headers_in_time_is_served(guarded: Service) -> None:
    with socket.create_connection(("127.0.0.1", guarded.port), timeout=5) as conn:
        conn.sendall(b"GET /health HTTP/1.1\r\n")
        time.sleep(HEADER_TIMEOUT_S / 2)
        conn.sendall(b"Host: 127.0.0.1\r\n\r\n")
        assert conn.recv(1024).startswith(b"HTTP/1.1 200")
