"""The session's position arithmetic and transitions."""

from __future__ import annotations

import pytest

from playback.sessions.model import Member, Session


def session(**extra) -> Session:
    return Session("0" * 16, "a" * 32, "Film", duration=30.0, **extra)


def test_position_advances_only_after_the_reference() -> None:
    s = session()
    assert s.play(100.0, 0.5) == "play"
    assert s.position_at(100.2) == 0  # scheduled, not started
    assert s.position_at(102.5) == pytest.approx(2.0)
    assert s.position_at(1000.0) == 30.0  # never past the end


def test_pause_freezes_where_the_group_is() -> None:
    s = session()
    s.play(100.0, 0.5)
    assert s.pause(103.5) == "pause"
    assert s.state == "paused"
    assert s.position == pytest.approx(3.0)
    assert s.position_at(200.0) == pytest.approx(3.0)
    assert s.pause(201.0) == "noop"


def test_seek_is_clamped_and_re_anchors() -> None:
    s = session()
    epoch = s.epoch
    s.seek(-5, 10.0, 0.3)
    assert s.position == 0
    assert s.epoch == epoch + 1
    s.seek(99, 10.0, 0.3)
    assert s.position == 30.0
    s.buffering = "catchup"
    s.play(11.0, 0.3)
    s.seek(12.0, 20.0, 0.4)
    assert (s.state, s.position, s.reference) == ("playing", 12.0, 20.4)


def test_waiting_needs_every_connected_member() -> None:
    s = session()
    ready = Member("m1", "a", "host", 0.0, connected=True)
    loading = Member("m2", "b", "guest", 0.0, connected=True)
    gone = Member("m3", "c", "guest", 0.0, connected=False)
    s.members = {m.member_id: m for m in (ready, loading, gone)}
    ready.status, ready.ready_epoch = "ready", s.epoch
    assert s.play(50.0, 0.4) == "waiting"
    assert s.resume_if_ready(51.0, 0.4) == "noop"
    assert s.resume_if_ready(60.0, 0.4, timeout=5.0) == "resume"
    assert s.state == "playing"
    assert s.reference == pytest.approx(60.4)


def test_an_ended_session_stays_ended() -> None:
    s = session()
    s.play(0.0, 0.0)
    assert s.end(10.0) == "ended"
    assert s.position == pytest.approx(10.0)
    assert s.play(11.0, 0.0) == s.seek(1.0, 11.0, 0.0) == "noop"
