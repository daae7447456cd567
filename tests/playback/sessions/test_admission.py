"""Who gets a seat in a watch session, on a real ``medialake serve``: guests whose
connections closed do not keep their seats, the host is never locked out by guests,
and the socket's origin check does not trust the ``Host`` header (DNS rebinding)."""

from __future__ import annotations

import socket as sockets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.playback.sessions.stack import Service
from tests.playback.sessions.test_protocol import closed_code, join, receive

SEATS = 3
GRACE_S = 1.0


@pytest.fixture(scope="module")
def small(asset_home: tuple[Path, str]) -> Iterator[Service]:
    home, asset = asset_home
    running = Service(
        home,
        asset,
        env_extra={
            "MEDIALAKE_SESSIONS_MAX_MEMBERS": str(SEATS),
            "MEDIALAKE_SESSIONS_JOIN_TIMEOUT_S": str(GRACE_S),
        },
    )
    running.start()
    yield running
    running.stop()


def host_key(session: dict[str, str]) -> str:
    return session["host_url"].rsplit("host=", 1)[1]


def test_closed_joins_free_their_seats(small: Service) -> None:
    session = small.create()
    for _ in range(3):  # a squatter filling every seat and dropping, again and again
        for _ in range(SEATS):
            squatter = join(small, session)
            receive(squatter, "welcome")
            squatter.close()
        time.sleep(GRACE_S + 0.3)
    with join(small, session) as guest:
        assert receive(guest, "welcome")["role"] == "guest"
    with join(small, session, host=host_key(session)) as host:
        assert receive(host, "welcome")["role"] == "host"


def test_guests_holding_every_seat_cannot_lock_the_host_out(small: Service) -> None:
    session = small.create()
    guests = [join(small, session) for _ in range(SEATS)]
    try:
        for guest in guests:
            receive(guest, "welcome")
        with join(small, session) as late:
            assert receive(late, "error")["code"] == "full"
        with join(small, session, host=host_key(session)) as host:
            assert receive(host, "welcome")["role"] == "host"
    finally:
        for guest in guests:
            guest.close()


def handshake_status(service: Service, host: str, origin: str) -> int:
    """The status of a WebSocket upgrade sent with a chosen ``Host`` and ``Origin``."""
    with sockets.create_connection(("127.0.0.1", service.port), timeout=5) as raw:
        raw.sendall(
            (
                "GET /sessions/ws HTTP/1.1\r\n"
                f"Host: {host}\r\nOrigin: {origin}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        return int(raw.recv(1024).split(b" ", 2)[1])


def test_a_rebound_host_name_is_not_an_own_origin(small: Service) -> None:
    rebound = f"evil.example:{small.port}"  # a DNS name pointed at 127.0.0.1
    assert handshake_status(small, rebound, f"http://{rebound}") == 403
    own = f"127.0.0.1:{small.port}"
    assert handshake_status(small, own, f"http://{own}") == 101


def test_a_full_session_refuses_with_a_reason(small: Service) -> None:
    """A full session refuses with an error and closes the socket."""
    session = small.create()
    guests = [join(small, session) for _ in range(SEATS)]
    try:
        for guest in guests:
            receive(guest, "welcome")
        late = join(small, session)
        assert closed_code(late) >= 4000
    finally:
        for guest in guests:
            guest.close()
