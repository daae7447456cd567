"""The Sessions page (Streamlit AppTest) against a real ``medialake serve``: it creates
a session for a title, shows the invite link that lets a member in, lists the member
with the latency the service measured, and plays, seeks, pauses and ends the session
through the service's API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from streamlit.testing.v1 import AppTest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.dashboards.filled import become
from tests.playback.sessions.stack import TITLE, Service, free_port, make_home

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"


@pytest.fixture(scope="module")
def asset_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return make_home(tmp_path_factory.mktemp("sessions-page"))


def use(monkeypatch: pytest.MonkeyPatch, home: Path, port: int, secret: str) -> None:
    from tasks.context import reset

    monkeypatch.setenv("MEDIALAKE_HOME", str(home))
    monkeypatch.setenv("MEDIALAKE_PLAYBACK_PORT", str(port))
    monkeypatch.setenv("MEDIALAKE_PLAYBACK_SECRET", secret)
    reset()
    become(monkeypatch, "admin")


@pytest.fixture
def service(
    asset_home: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Service]:
    from tasks.context import reset

    running = Service(*asset_home)
    running.start()
    use(monkeypatch, running.home, running.port, running.secret)
    yield running
    running.stop()
    reset()


def page() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.run()
    at.switch_page("screens/sessions.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def button(at: AppTest, label: str) -> Any:
    return next(b for b in at.button if b.label == label)


def member(service: Service, invite_url: str) -> ClientConnection:
    """A member that joins with the invite link's code, the way the player does."""
    sid = invite_url.split("/join/")[1].split("#")[0]
    code = invite_url.split("#invite=")[1]
    ws = connect(
        f"ws://127.0.0.1:{service.port}/sessions/ws", origin=service.base, proxy=None
    )
    ws.send(json.dumps({"type": "join", "session": sid, "invite": code, "name": "ann"}))
    for _ in range(10):
        message = json.loads(ws.recv(timeout=5))
        if message["type"] == "ping":  # lets the service measure the round trip
            ws.send(json.dumps({"type": "pong", "id": message["id"], "drift_ms": 12}))
            return ws
    raise AssertionError("no ping from the service")


def read_until_closed(ws: ClientConnection) -> None:
    for _ in range(1000):
        ws.recv(timeout=5)


def test_without_the_service_the_page_says_how_to_start_it(
    asset_home: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, asset_home[0], free_port(), "s" * 40)
    at = page()
    assert "medialake serve" in at.warning[0].value


def test_create_share_and_control_a_session(service: Service) -> None:
    at = page()
    assert at.selectbox[0].options == [f"{TITLE} (0:30)"]
    at.radio[1].set_value("catchup").run()
    button(at, "Create session").click().run()
    assert "Session created" in at.success[0].value
    invite_url, host_url = at.code[0].value, at.code[1].value
    assert "#invite=" in invite_url
    assert "&host=" in host_url
    [live] = service.api("GET", "/api/sessions").json()["sessions"]
    assert (live["title"], live["buffering"]) == (TITLE, "catchup")
    assert live["invite_url"] == invite_url
    enter = httpx.post(
        f"{service.base}/sessions/enter",
        json={
            "session": live["session_id"],
            "invite": invite_url.split("#invite=")[1],
        },
    )
    assert enter.status_code == 200

    with member(service, invite_url) as ann:
        button(at, "Refresh").click().run()
        members = at.dataframe[0].value
        assert list(members["member"]) == ["ann"]
        assert members["latency (ms)"][0] >= 0
        assert members["drift (ms)"][0] == 12
        button(at, "Play").click().run()
        assert service.session(live["session_id"])["state"] == "playing"
        at.number_input[0].set_value(12.0).run()
        button(at, "Seek").click().run()
        assert service.session(live["session_id"])["position"] >= 12
        button(at, "Pause").click().run()
        assert service.session(live["session_id"])["state"] == "paused"
        button(at, "End").click().run()
        assert "No session is running" in " ".join(c.value for c in at.caption)
        assert service.api("GET", "/api/sessions").json()["sessions"] == []
        with pytest.raises(ConnectionClosed, match="4001"):
            read_until_closed(ann)
    assert not at.exception


def test_a_member_sees_and_controls_only_their_own_sessions(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = service.api("POST", "/api/sessions", {"asset_id": service.asset}).json()
    become(monkeypatch, "member")
    at = page()
    assert at.subheader[1].value == "Live sessions (0)"
    button(at, "Create session").click().run()
    titles = [s for s in at.subheader if s.value.startswith("Live sessions")]
    assert titles[0].value == "Live sessions (1)"
    mine = [
        s
        for s in service.api("GET", "/api/sessions").json()["sessions"]
        if s["session_id"] != other["session_id"]
    ]
    assert [s["created_by"] for s in mine] == [
        at.sidebar.caption[0].value.split("**")[1].replace("\\", "")
    ]
    for session in service.api("GET", "/api/sessions").json()["sessions"]:
        service.api(
            "POST", f"/api/sessions/{session['session_id']}/control", {"action": "end"}
        )
