"""The sync engine on a controlled clock: roles enforced, starts scheduled past the
slowest round trip, the group waiting for a stalled member (or not), client timestamps
ignored, and live state written in batches then restored after a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from playback.sessions import keys
from playback.sessions.config import SessionConfig
from playback.sessions.contracts import Refused
from playback.sessions.engine import SyncEngine
from playback.sessions.model import Session
from playback.sessions.store import SessionStore
from warehouse import sessions as tables
from warehouse.db import Warehouse

KEY = b"k" * 32


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


class Outbox:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed: tuple[int, str] | None = None

    def send(self, message: dict[str, Any]) -> bool:
        self.sent.append(message)
        return True

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    def last(self, kind: str) -> dict[str, Any]:
        return [m for m in self.sent if m["type"] == kind][-1]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(clock: Clock) -> SyncEngine:
    return SyncEngine(KEY, SessionConfig(wait_timeout_s=5), clock)


def join(engine: SyncEngine, session: Session, host: bool = False, **extra: Any):
    outbox = Outbox()
    message = {
        "type": "join",
        "session": session.session_id,
        "invite": keys.invite_code(KEY, session.session_id),
        **extra,
    }
    if host:
        message["host"] = keys.host_key(KEY, session.session_id)
    _, member = engine.join(message, outbox)
    return member, outbox


def answer_ping(engine, session, member, outbox, clock, rtt_s: float) -> None:
    engine._ping(session, member, clock.now)
    ping = outbox.last("ping")
    clock.now += rtt_s
    engine.handle(session, member, {"type": "pong", "id": ping["id"]}, clock.now)


def ready(engine, session, member) -> None:
    engine.handle(session, member, {"type": "ready", "epoch": session.epoch}, 0.0)


def test_only_the_host_controls_unless_collaborative(engine: SyncEngine) -> None:
    session = engine.create("a" * 32, "Film", 30.0)
    host, _ = join(engine, session, host=True)
    guest, _guest_box = join(engine, session)
    assert (host.role, guest.role) == ("host", "guest")
    with pytest.raises(Refused) as refused:
        engine.handle(session, guest, {"type": "seek", "position": 10}, 0.0)
    assert refused.value.code == "forbidden"
    assert session.position == 0
    assert session.seq == 0
    assert engine.pending.events[-1]["kind"] == "refused"
    engine.handle(session, host, {"type": "seek", "position": 10}, 0.0)
    assert session.position == 10
    session.mode = "collaborative"
    engine.handle(session, guest, {"type": "seek", "position": 12}, 0.0)
    assert session.position == 12
    with pytest.raises(Refused):  # only the dashboard ends a session
        engine.control(session, "end", host)


def test_a_start_is_scheduled_past_the_slowest_round_trip(
    engine: SyncEngine, clock: Clock
) -> None:
    session = engine.create("a" * 32, "Film", 30.0)
    fast, fast_box = join(engine, session, host=True)
    slow, slow_box = join(engine, session)
    answer_ping(engine, session, fast, fast_box, clock, 0.02)
    answer_ping(engine, session, slow, slow_box, clock, 0.9)
    assert slow.rtt_ms == pytest.approx(900)
    for member in (fast, slow):
        ready(engine, session, member)
    engine.control(session, "play")
    state = slow_box.last("state")
    assert state["state"] == "playing"
    assert state["reference"] - clock.now > 0.9
    assert fast_box.last("state") == state


def test_the_group_waits_for_a_member_that_is_not_ready(
    engine: SyncEngine, clock: Clock
) -> None:
    session = engine.create("a" * 32, "Film", 30.0)
    host, _ = join(engine, session, host=True)
    late, late_box = join(engine, session)
    ready(engine, session, host)
    engine.control(session, "play")
    assert session.state == "waiting"
    engine.handle(session, late, {"type": "ready", "epoch": session.epoch - 1}, 0.0)
    assert session.state == "waiting"  # ready for a position the group left
    ready(engine, session, late)
    assert late_box.last("state")["state"] == "playing"
    assert session.reference > clock.now


def test_a_stall_moves_the_group_to_waiting_and_back(
    engine: SyncEngine, clock: Clock
) -> None:
    session = engine.create("a" * 32, "Film", 30.0)
    members = [join(engine, session, host=True)[0], join(engine, session)[0]]
    for member in members:
        ready(engine, session, member)
    engine.control(session, "play")
    clock.now = session.reference + 5
    epoch = session.epoch
    engine.handle(session, members[1], {"type": "buffering", "epoch": epoch}, 0.0)
    assert session.state == "waiting"
    assert session.position == pytest.approx(5)
    assert session.epoch == epoch + 1
    for member in members:
        ready(engine, session, member)
    assert session.state == "playing"
    assert session.position == pytest.approx(5)


def test_catchup_policy_and_the_wait_timeout(engine: SyncEngine, clock: Clock) -> None:
    session = engine.create("a" * 32, "Film", 30.0, buffering="catchup")
    join(engine, session, host=True)
    engine.control(session, "play")
    assert session.state == "playing"  # nobody is waited for
    other = engine.create("a" * 32, "Film", 30.0)
    join(engine, other, host=True)
    engine.control(other, "play")
    assert other.state == "waiting"
    clock.now += 6
    engine.tick()
    assert other.state == "playing"


def test_client_timestamps_are_never_used(engine: SyncEngine, clock: Clock) -> None:
    session = engine.create("a" * 32, "Film", 30.0, mode="collaborative")
    guest, _ = join(engine, session)
    ready(engine, session, guest)
    forged = {"type": "play", "reference": 0, "server_time": 1e12, "position": 99}
    engine.handle(session, guest, forged, clock.now)
    assert session.state == "playing"
    assert session.position == 0
    assert clock.now < session.reference < clock.now + 3


def test_an_invalid_invite_learns_nothing(engine: SyncEngine) -> None:
    session = engine.create("a" * 32, "Film", 30.0)
    answers = []
    for message in (
        {"session": session.session_id, "invite": "x" * 22},
        {"session": "f" * 16, "invite": keys.invite_code(KEY, "f" * 16)},
        {"session": "../../etc", "invite": None},
    ):
        with pytest.raises(Refused) as refused:
            engine.join({"type": "join", **message}, Outbox())
        answers.append((refused.value.code, str(refused.value)))
    assert len(set(answers)) == 1
    assert session.members == {}


def test_a_member_comes_back_as_itself(engine: SyncEngine) -> None:
    session = engine.create("a" * 32, "Film", 30.0)
    host, first = join(engine, session, host=True)
    welcome = first.last("welcome")
    engine.leave(session, host, first)
    again, _ = join(engine, session, member=host.member_id, key=welcome["key"])
    assert again is host
    assert again.role == "host"
    assert again.connected
    stranger, _ = join(engine, session, member=host.member_id, key="y" * 22)
    assert stranger is not host
    assert stranger.role == "guest"


def test_state_is_written_in_batches_and_restored(
    tmp_path: Path, engine: SyncEngine, clock: Clock
) -> None:
    import asyncio

    store = SessionStore(Warehouse(tmp_path / "w.sqlite"))
    store.prepare()
    session = engine.create("a" * 32, "Film", 30.0)
    host, box = join(engine, session, host=True)
    for n in range(300):
        engine.handle(session, host, {"type": "ping", "id": n}, clock.now)
        answer_ping(engine, session, host, box, clock, 0.001)
    ready(engine, session, host)
    engine.control(session, "seek", position=7.5)
    ready(engine, session, host)
    engine.control(session, "play")
    assert asyncio.run(store.flush(engine))
    assert store.writes == 1  # 900+ messages, one transaction
    with store.warehouse.read() as con:
        [row] = tables.list_sessions(con)
        kinds = [e["kind"] for e in tables.events(con, session.session_id)]
    assert (row["state"], row["position_s"]) == ("playing", 7.5)
    assert kinds == ["created", "join", "seek", "play"]

    clock.now = session.reference + 4
    restarted = SyncEngine(KEY, SessionConfig(), clock)
    assert store.restore(restarted, store.load()) == 1
    back = restarted.sessions[session.session_id]
    assert back.position_at(clock.now) == pytest.approx(11.5)
    assert not back.members[host.member_id].connected
    member, _ = join(restarted, back, member=host.member_id, key=box.sent[0]["key"])
    assert member.member_id == host.member_id
    assert member.role == "host"
