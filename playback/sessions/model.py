"""The watch-session model: one asset, its members and the group's playback state.

The server holds the truth as ``(state, position, rate, reference)``: the media position
``position`` at server time ``reference``, advancing at ``rate`` while ``playing``. A
``playing`` session whose reference lies in the future starts then, so every member
starts together. ``waiting`` is "playing, once every member is ready": members report
``ready`` for the current ``epoch``, which is bumped each time the position is
re-anchored (a seek, a pause, a stall). Every change bumps ``seq``.

Transitions are pure functions of the current state and the server time ``now``; the
engine (:mod:`playback.sessions.engine`) decides who may call them and tells members.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

PAUSED, PLAYING, WAITING, ENDED = "paused", "playing", "waiting", "ended"
STATES = (PAUSED, PLAYING, WAITING, ENDED)
HOST, GUEST = "host", "guest"
LOADING, READY, BUFFERING = "loading", "ready", "buffering"
Mode = Literal["host", "collaborative"]
Buffering = Literal["wait", "catchup"]


class ServerClock:
    """The server's clock: wall time at start plus monotonic time since, in seconds.

    It never jumps when the system clock is stepped while the service runs, and it is
    close to Unix time, so a reference time restored after a restart still means the
    same instant.
    """

    def __init__(self) -> None:
        self._wall = time.time()
        self._mono = time.monotonic()

    def __call__(self) -> float:
        """The server time now, Unix seconds."""
        return self._wall + (time.monotonic() - self._mono)


@dataclass(slots=True)
class Member:
    """One participant: a browser that joined with the invite (or the host link)."""

    member_id: str
    name: str
    role: str
    joined_at: float
    status: str = LOADING
    ready_epoch: int = -1
    connected: bool = False
    rtt_ms: float | None = None
    drift_ms: float | None = None
    offset_ms: float | None = None
    last_seen: float | None = None
    left_at: float | None = None

    def ready_for(self, epoch: int) -> bool:
        """Whether the member said it is positioned and buffered for ``epoch``."""
        return self.status == READY and self.ready_epoch == epoch

    def public(self) -> dict[str, Any]:
        """What other members and the dashboard see (no keys)."""
        return {
            "member_id": self.member_id,
            "name": self.name,
            "role": self.role,
            "status": self.status,
            "connected": self.connected,
            "rtt_ms": _round(self.rtt_ms),
            "drift_ms": _round(self.drift_ms),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass(slots=True)
class Session:
    """A watch session and its authoritative playback state."""

    session_id: str
    asset_id: str
    title: str
    mode: str = HOST
    buffering: str = "wait"
    state: str = PAUSED
    position: float = 0.0
    rate: float = 1.0
    reference: float = 0.0
    epoch: int = 0
    seq: int = 0
    duration: float | None = None
    created_at: float = 0.0
    created_by: str = "api"
    host_member_id: str | None = None
    ended_at: float | None = None
    waiting_since: float | None = None
    members: dict[str, Member] = field(default_factory=dict)

    def position_at(self, now: float) -> float:
        """The media position the group is at, at server time ``now``."""
        if self.state != PLAYING or now <= self.reference:
            return self.position
        moved = self.position + (now - self.reference) * self.rate
        return min(moved, self.duration) if self.duration else moved

    def can_control(self, member: Member | None) -> bool:
        """The host or the dashboard (``None``) always; guests if collaborative."""
        if member is None or member.role == HOST:
            return True
        return self.mode == "collaborative"

    def connected(self) -> list[Member]:
        """Members with an open connection."""
        return [m for m in self.members.values() if m.connected]

    def blocking(self) -> list[Member]:
        """Connected members not yet ready at the current anchor."""
        return [m for m in self.connected() if not m.ready_for(self.epoch)]

    def _anchor(
        self, state: str, position: float, reference: float, *, moved: bool
    ) -> None:
        """Set the state; ``moved``: the position was re-anchored (members must
        report ready again)."""
        self.state, self.position, self.reference = state, max(0.0, position), reference
        if moved:
            self.epoch += 1
        self.waiting_since = reference if state == WAITING else None
        self.seq += 1

    def _clamp(self, position: float) -> float:
        position = max(0.0, position)
        return min(position, self.duration) if self.duration else position

    def play(self, now: float, lead: float) -> str:
        """Start (now + ``lead``), or wait for members that are not ready yet."""
        if self.state in (PLAYING, ENDED):
            return "noop"
        if self.buffering == "wait" and self.blocking():
            if self.state == WAITING:
                return "noop"
            self.state, self.waiting_since = WAITING, now
            self.seq += 1
            return "waiting"
        self._anchor(PLAYING, self.position, now + lead, moved=False)
        return "play"

    def pause(self, now: float) -> str:
        """Freeze at the current position."""
        if self.state in (PAUSED, ENDED):
            return "noop"
        self._anchor(PAUSED, self.position_at(now), now, moved=True)
        return "pause"

    def seek(self, position: float, now: float, lead: float) -> str:
        """Move to ``position``; a playing group waits for members or starts in
        ``lead``."""
        if self.state == ENDED:
            return "noop"
        target = self._clamp(position)
        if self.state == PAUSED:
            self._anchor(PAUSED, target, now, moved=True)
        elif self.buffering == "wait":
            self._anchor(WAITING, target, now, moved=True)
            self.resume_if_ready(now, lead)
        else:
            self._anchor(PLAYING, target, now + lead, moved=True)
        return "seek"

    def stall(self, member: Member, now: float) -> str:
        """A member ran out of buffer: the group waits (``wait``) or goes on."""
        member.status = BUFFERING
        started = self.state == PLAYING and now > self.reference
        if self.buffering != "wait" or not started:
            return "noop"
        self._anchor(WAITING, self.position_at(now), now, moved=True)
        return "waiting"

    def resume_if_ready(self, now: float, lead: float, timeout: float = 0.0) -> str:
        """Leave ``waiting`` when every connected member is ready (or after
        ``timeout`` seconds of waiting, when ``timeout`` is positive)."""
        if self.state != WAITING:
            return "noop"
        waited = now - (self.waiting_since or now)
        if self.blocking() and not (timeout > 0 and waited >= timeout):
            return "noop"
        self._anchor(PLAYING, self.position, now + lead, moved=False)
        return "resume"

    def end(self, now: float) -> str:
        """Close the session for good."""
        if self.state == ENDED:
            return "noop"
        self.position = self.position_at(now)
        self.state, self.reference, self.ended_at = ENDED, now, now
        self.seq += 1
        return "ended"

    def state_message(self, now: float) -> dict[str, Any]:
        """The ``state`` message every member receives after a change."""
        return {
            "type": "state",
            "state": self.state,
            "position": round(self.position, 6),
            "rate": self.rate,
            "reference": round(self.reference, 6),
            "epoch": self.epoch,
            "seq": self.seq,
            "server_time": round(now, 6),
        }

    def describe(self) -> dict[str, Any]:
        """What a member is told about the session when it joins."""
        return {
            "session_id": self.session_id,
            "asset_id": self.asset_id,
            "title": self.title,
            "mode": self.mode,
            "buffering": self.buffering,
            "duration": self.duration,
        }

    def public(self, now: float) -> dict[str, Any]:
        """The session as the dashboard's API shows it."""
        return {
            **self.describe(),
            "state": self.state,
            "position": round(self.position_at(now), 3),
            "seq": self.seq,
            "created_by": self.created_by,
            "members": [m.public() for m in self.members.values()],
        }
