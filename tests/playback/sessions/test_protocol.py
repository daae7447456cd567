"""The sessions WebSocket and API on a real ``medialake serve``, driven by a plain
WebSocket client: the origin check, invites, roles, limits, the dashboard's token, the
join page, and a session that outlives a restart of the service."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.playback.sessions.stack import TITLE, Service


def socket(service: Service, origin: str | None = None) -> ClientConnection:
    return connect(
        f"ws://127.0.0.1:{service.port}/sessions/ws",
        origin=origin or service.base,  # type: ignore[arg-type]
        proxy=None,
        open_timeout=10,
    )


def receive(ws: ClientConnection, kind: str, timeout: float = 5) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if message["type"] == kind:
            return dict(message)


def join(service: Service, session: dict[str, Any], **extra: Any) -> ClientConnection:
    ws = socket(service)
    ws.send(
        json.dumps(
            {
                "type": "join",
                "session": session["session_id"],
                "invite": session["invite_code"],
                **extra,
            }
        )
    )
    return ws


def drain(ws: ClientConnection, into: list[dict[str, Any]] | None = None) -> None:
    """Read every message (into ``into``) until the server closes the connection."""
    found = [] if into is None else into
    for _ in range(1000):
        found.append(json.loads(ws.recv(timeout=5)))


def closed_code(ws: ClientConnection) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        drain(ws)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


def test_another_origin_is_refused_before_the_handshake(service: Service) -> None:
    with pytest.raises(InvalidStatus) as refused:
        socket(service, origin="http://evil.example")
    assert refused.value.response.status_code == 403


def test_an_invalid_invite_is_refused_and_learns_nothing(service: Service) -> None:
    session = service.create()
    answers = []
    for sid, invite in (
        (session["session_id"], "A" * 22),  # a real session, a wrong code
        ("0123456789abcdef", session["invite_code"]),  # no such session
    ):
        with join(service, {"session_id": sid, "invite_code": invite}) as ws:
            answers.append((receive(ws, "error"), closed_code(ws)))
    assert answers[0] == answers[1]
    assert answers[0][0]["code"] == "invalid-invite"
    assert answers[0][1] == 4403
    assert TITLE not in json.dumps(answers)
    refused = [
        httpx.post(f"{service.base}/sessions/enter", json=body, timeout=5)
        for body in (
            {"session": session["session_id"], "invite": "A" * 22},
            {"session": "0123456789abcdef", "invite": session["invite_code"]},
        )
    ]
    assert {r.status_code for r in refused} == {403}
    assert refused[0].text == refused[1].text


def test_the_join_page_is_the_same_for_every_session(service: Service) -> None:
    session = service.create()
    pages = [
        httpx.get(f"{service.base}/join/{sid}", timeout=5).text
        for sid in (session["session_id"], "0123456789abcdef")
    ]
    strip = [re.sub(r"nonce=\"[^\"]+\"", "", page) for page in pages]
    assert strip[0] == strip[1]
    assert TITLE not in pages[0]
    entered = httpx.post(
        f"{service.base}/sessions/enter",
        json={"session": session["session_id"], "invite": session["invite_code"]},
        timeout=5,
    )
    assert entered.status_code == 200
    watch = service.base + entered.json()["watch"]
    player = httpx.get(watch, cookies=entered.cookies, timeout=5)
    assert player.status_code == 200
    assert "/sessions/sync.js" in player.text
    # the guest pass opens this title's player, nothing else, and nobody without it
    assert httpx.get(watch, timeout=5).status_code == 303
    assert httpx.get(f"{service.base}/", cookies=entered.cookies).status_code == 303


def test_a_guest_cannot_seek_but_the_host_can(service: Service) -> None:
    session = service.create()
    host_key = session["host_url"].rsplit("host=", 1)[1]
    with join(service, session, host=host_key) as host, join(service, session) as guest:
        assert receive(host, "welcome")["role"] == "host"
        assert receive(guest, "welcome")["can_control"] is False
        guest.send(json.dumps({"type": "seek", "position": 12}))
        refused = receive(guest, "error")
        assert (refused["code"], refused["request"]) == ("forbidden", "seek")
        assert service.session(session["session_id"])["position"] == 0
        host.send(json.dumps({"type": "seek", "position": 12}))
        assert receive(guest, "state")["position"] == 12
    collaborative = service.create(mode="collaborative")
    with join(service, collaborative) as guest:
        receive(guest, "welcome")
        guest.send(json.dumps({"type": "seek", "position": 3}))
        assert receive(guest, "state")["position"] == 3


def test_limits_size_rate_and_join_first(service: Service) -> None:
    session = service.create()
    with socket(service) as ws:
        ws.send(json.dumps({"type": "seek", "position": 1}))
        assert receive(ws, "error")["code"] == "join-first"
        assert closed_code(ws) == 4403
    with join(service, session) as ws:
        receive(ws, "welcome")
        ws.send(json.dumps({"type": "ping", "pad": "x" * 5000}))
        assert closed_code(ws) == 1009
    with join(service, session) as ws:
        receive(ws, "welcome")
        for n in range(120):
            ws.send(json.dumps({"type": "ping", "id": n}))
        messages: list[dict[str, Any]] = []
        with pytest.raises(ConnectionClosed) as closed:
            drain(ws, messages)
        errors = [m["code"] for m in messages if m["type"] == "error"]
        assert errors
        assert set(errors) == {"rate-limited"}
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1008


def test_the_api_needs_the_dashboard_token(service: Service) -> None:
    for headers in ({}, {"authorization": "Bearer " + "A" * 22}):
        response = httpx.get(f"{service.base}/api/sessions", headers=headers)
        assert response.status_code == 401
    assert service.api("GET", "/api/sessions").status_code == 200
    missing = service.api("POST", "/api/sessions", {"asset_id": "f" * 32})
    assert missing.status_code == 404


def test_a_session_outlives_a_restart(service: Service) -> None:
    session = service.create()
    sid = session["session_id"]
    host_key = session["host_url"].rsplit("host=", 1)[1]
    with join(service, session, host=host_key) as host:
        welcome = receive(host, "welcome")
        host.send(json.dumps({"type": "seek", "position": 10}))
        state = receive(host, "state")
        host.send(json.dumps({"type": "ready", "epoch": state["epoch"]}))
        host.send(json.dumps({"type": "play"}))
        assert receive(host, "state")["state"] == "playing"
    time.sleep(0.5)
    service.stop()
    stopped = time.monotonic()
    service.start()
    time.sleep(0.5)
    back = service.session(sid)
    elapsed = time.monotonic() - stopped
    assert back["state"] == "playing"
    assert 10 + elapsed - 1.5 < back["position"] < 10 + elapsed + 1.5
    returning = {"member": welcome["member_id"], "key": welcome["key"]}
    with join(service, session, **returning) as host:
        again = receive(host, "welcome")
    assert (again["member_id"], again["role"]) == (welcome["member_id"], "host")
