"""The server-authoritative sync engine: sessions in memory, members, messages, timers.

One engine lives in the playback service's event loop; it is not thread-safe and needs
no locks. Members reach it through an :class:`Outbox` (the WebSocket layer) and the
dashboard through :meth:`SyncEngine.control`. Ordering is the server's: messages are
applied in the order they arrive, and no client timestamp is ever used for ordering or
for the group's position (a member's clock can be off by minutes and it still follows).

Play and seek are scheduled ``lead`` seconds ahead: more than the slowest connected
member's round trip (the server measures it with its own pings), so the ``state``
message reaches everyone before the start. Changes are collected for the store
(:mod:`playback.sessions.store`), which writes them in batches.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any, TypeGuard

from playback.sessions import keys
from playback.sessions.contracts import Batch, Outbox, Refused, clean_name
from playback.sessions.latency import RoundTrips
from playback.sessions.model import (
    ENDED,
    GUEST,
    HOST,
    LOADING,
    READY,
    Member,
    ServerClock,
    Session,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from playback.sessions.config import SessionConfig

log = logging.getLogger("medialake.playback.sessions")
CONTROLS = ("play", "pause", "seek", "end")
MAX_PENDING_EVENTS = 20_000
ENDED_KEEP_S = 600.0


def _finite(value: object) -> TypeGuard[float]:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return ok and math.isfinite(value)  # type: ignore[arg-type]


class SyncEngine:
    """Every live session of this service, and the rules that move them."""

    def __init__(
        self,
        key: bytes,
        config: SessionConfig,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.key = key
        self.config = config
        self.clock = clock or ServerClock()
        self.sessions: dict[str, Session] = {}
        self.outboxes: dict[tuple[str, str], Outbox] = {}
        self.pending = Batch()
        self._event_no: dict[str, int] = {}
        self.round_trips = RoundTrips()

    # -- sessions ---------------------------------------------------------------

    def create(
        self,
        asset_id: str,
        title: str,
        duration: float | None = None,
        mode: str | None = None,
        buffering: str | None = None,
        created_by: str = "api",
    ) -> Session:
        """A new paused session at 0 for an asset."""
        now = self.clock()
        session = Session(
            session_id=keys.new_session_id(),
            asset_id=asset_id,
            title=title,
            mode=mode or self.config.mode,
            buffering=buffering or self.config.buffering,
            reference=now,
            duration=duration,
            created_at=now,
            created_by=created_by,
        )
        self.sessions[session.session_id] = session
        self.record(session, "created", detail=created_by)
        return session

    def live(self, session_id: str) -> Session | None:
        """A session that exists and has not ended."""
        session = self.sessions.get(session_id)
        return session if session and session.state != ENDED else None

    def lead(self, session: Session) -> float:
        """How far ahead a start is scheduled: the slowest recent round trip plus a
        margin, within the configured bounds (seconds)."""
        links = [(session.session_id, m.member_id) for m in session.connected()]
        lead_ms = self.round_trips.worst_ms(links) + self.config.lead_margin_ms
        return min(max(lead_ms, self.config.min_lead_ms), self.config.max_lead_ms) / 1e3

    def control(
        self,
        session: Session,
        action: str,
        member: Member | None = None,
        position: object = None,
    ) -> str:
        """Apply play, pause, seek or end for ``member`` (None: the dashboard).

        Raises:
            Refused: the member's role may not do this, or the request is malformed.
        """
        if action not in CONTROLS:
            raise Refused("bad-request", f"unknown action {action!r}")
        if not session.can_control(member) or (action == "end" and member is not None):
            self.record(session, "refused", member, detail=action)
            who = "the host" if session.mode == HOST else "members"
            raise Refused("forbidden", f"only {who} can {action} in this session")
        now = self.clock()
        if action == "seek":
            if not _finite(position):
                raise Refused("bad-request", "seek needs a numeric position")
            kind = session.seek(float(position), now, self.lead(session))
        elif action == "play":
            kind = session.play(now, self.lead(session))
        elif action == "pause":
            kind = session.pause(now)
        else:
            kind = session.end(now)
        if kind != "noop":
            self.record(session, kind, member)
            self.broadcast(session, session.state_message(now))
        if kind == "ended":
            self._close_all(session, 4001, "session ended")
        return kind

    # -- members ----------------------------------------------------------------

    def join(self, message: dict[str, Any], outbox: Outbox) -> tuple[Session, Member]:
        """Admit a connection from its ``join`` message; send it ``welcome``.

        Raises:
            Refused: the invite (or member key) is not valid for a live session. The
                answer is the same whether or not the session exists.
        """
        sid = message.get("session")
        sid = sid if isinstance(sid, str) and keys.SESSION_ID.match(sid) else "0" * 16
        valid = keys.matches(keys.invite_code(self.key, sid), message.get("invite"))
        session = self.live(sid)
        if not valid or session is None:
            raise Refused("invalid-invite", "this invite is not valid")
        member = self._returning(session, message)
        if member is not None and member.left_at is not None:
            self._make_room(session, member)
        member = member or self._admit(session, message)
        link = (sid, member.member_id)
        previous = self.outboxes.get(link)
        if previous is not None and previous is not outbox:
            previous.close(4000, "replaced by a newer connection")
        self.outboxes[link] = outbox
        now = self.clock()
        member.connected, member.last_seen, member.left_at = True, now, None
        member.status = LOADING
        self.pending.members.add(link)
        self.record(session, "join", member, detail=member.role)
        outbox.send(self._welcome(session, member, now))
        self._ping(session, member, now)
        self.broadcast_members(session)
        return session, member

    def _returning(self, session: Session, message: dict[str, Any]) -> Member | None:
        member_id = message.get("member")
        if not isinstance(member_id, str) or member_id not in session.members:
            return None
        expected = keys.member_key(self.key, session.session_id, member_id)
        valid = keys.matches(expected, message.get("key"))
        return session.members[member_id] if valid else None

    def _seated(self, session: Session, now: float) -> list[Member]:
        """Members holding a seat: connected, or gone less than ``join_timeout_s``
        ago without saying ``leave`` (a reload or a network blip keeps the seat)."""
        grace = self.config.join_timeout_s
        return [
            m
            for m in session.members.values()
            if m.left_at is None
            and (m.connected or now - (m.last_seen or m.joined_at) < grace)
        ]

    def _make_room(self, session: Session, joining: Member | None = None) -> None:
        """Refuse a guest when every seat is held; a seat whose member is gone is
        freed (the member must join again)."""
        now = self.clock()
        seated = [m for m in self._seated(session, now) if m is not joining]
        if len(seated) >= self.config.max_members:
            raise Refused("full", "this session is full")
        for member in session.members.values():
            if member not in seated and member.left_at is None and not member.connected:
                member.left_at = now  # its seat is free: it has to join again
                self.pending.members.add((session.session_id, member.member_id))

    def _admit(self, session: Session, message: dict[str, Any]) -> Member:
        is_host = keys.matches(
            keys.host_key(self.key, session.session_id), message.get("host")
        )
        if not is_host:  # the host always gets in: guests cannot lock it out
            self._make_room(session)
        number = len(session.members) + 1
        member = Member(
            member_id=keys.new_member_id(),
            name=clean_name(
                message.get("name"), "host" if is_host else f"guest {number}"
            ),
            role=HOST if is_host else GUEST,
            joined_at=self.clock(),
        )
        session.members[member.member_id] = member
        if is_host and session.host_member_id is None:
            session.host_member_id = member.member_id
            self.pending.sessions.add(session.session_id)
        return member

    def _welcome(self, session: Session, member: Member, now: float) -> dict[str, Any]:
        return {
            "type": "welcome",
            "member_id": member.member_id,
            "key": keys.member_key(self.key, session.session_id, member.member_id),
            "name": member.name,
            "role": member.role,
            "can_control": session.can_control(member),
            "session": session.describe(),
            "config": self.config.client(),
            "state": session.state_message(now),
        }

    def leave(
        self, session: Session, member: Member, outbox: Outbox, explicit: bool = False
    ) -> None:
        """A connection closed (or the member said ``leave``)."""
        link = (session.session_id, member.member_id)
        if self.outboxes.get(link) is not outbox:
            return  # a newer connection of the same member took over
        del self.outboxes[link]
        self.round_trips.disconnected(link)
        now = self.clock()
        member.connected, member.last_seen = False, now
        if explicit:
            member.left_at = now
        self.pending.members.add(link)
        self.record(session, "leave" if explicit else "disconnect", member)
        self.broadcast_members(session)
        self._maybe_resume(session, now)

    # -- messages ---------------------------------------------------------------

    def handle(
        self,
        session: Session,
        member: Member,
        message: dict[str, Any],
        received: float,
    ) -> None:
        """Apply one message of a joined member (``received``: server time).

        Raises:
            Refused: the message was refused; the caller tells the member.
        """
        kind = message.get("type")
        outbox = self.outboxes.get((session.session_id, member.member_id))
        member.last_seen = received
        if kind == "ping" and outbox is not None:
            outbox.send(
                {
                    "type": "pong",
                    "id": message.get("id"),
                    "received": round(received, 6),
                    "sent": round(self.clock(), 6),
                }
            )
        elif kind == "pong":
            self._pong(session, member, message, received)
        elif kind == "ready":
            self._ready(session, member, message)
        elif kind == "buffering":
            self._buffering(session, member, message)
        elif kind in ("play", "pause", "seek"):
            self.control(session, str(kind), member, message.get("position"))
        else:
            raise Refused("bad-request", "unknown message type")

    def _ready(self, session: Session, member: Member, message: dict[str, Any]) -> None:
        if message.get("epoch") != session.epoch:
            return  # ready for a position the group has left
        changed = member.status != READY
        member.status, member.ready_epoch = READY, session.epoch
        self.pending.members.add((session.session_id, member.member_id))
        self._maybe_resume(session, self.clock())
        if changed:
            self.broadcast_members(session)

    def _buffering(
        self, session: Session, member: Member, message: dict[str, Any]
    ) -> None:
        if message.get("epoch") != session.epoch:
            return
        now = self.clock()
        kind = session.stall(member, now)
        self.pending.members.add((session.session_id, member.member_id))
        self.record(session, "buffering", member)
        if kind != "noop":
            self.record(session, kind, member)
            self.broadcast(session, session.state_message(now))
        self.broadcast_members(session)

    def _maybe_resume(self, session: Session, now: float) -> None:
        kind = session.resume_if_ready(
            now, self.lead(session), self.config.wait_timeout_s
        )
        if kind != "noop":
            self.record(session, kind)
            self.broadcast(session, session.state_message(now))

    def _pong(
        self, session: Session, member: Member, message: dict[str, Any], received: float
    ) -> None:
        link = (session.session_id, member.member_id)
        rtt = self.round_trips.answered(link, message.get("id"), received)
        if rtt is None:
            return
        member.rtt_ms = rtt
        drift = message.get("drift_ms")
        if _finite(drift) and abs(drift) < 1e7:
            member.drift_ms = float(drift)
        self.pending.members.add(link)

    def _ping(self, session: Session, member: Member, now: float) -> None:
        link = (session.session_id, member.member_id)
        outbox = self.outboxes.get(link)
        if outbox is not None:
            outbox.send({"type": "ping", "id": self.round_trips.sent(link, now)})

    # -- fan-out, timers, bookkeeping ---------------------------------------------

    def broadcast(self, session: Session, message: dict[str, Any]) -> None:
        """Send to every connected member; close those that cannot keep up."""
        self.pending.sessions.add(session.session_id)
        for member in session.connected():
            outbox = self.outboxes.get((session.session_id, member.member_id))
            if outbox is not None and not outbox.send(message):
                outbox.close(1013, "too slow to keep up")

    def broadcast_members(self, session: Session) -> None:
        """Tell members who is there."""
        members = [m.public() for m in session.members.values()]
        self.broadcast(session, {"type": "members", "members": members})

    def tick(self) -> None:
        """Periodic work: server pings (round trips), waiting timeouts, pruning."""
        now = self.clock()
        for session in list(self.sessions.values()):
            if session.state == ENDED:
                if now - (session.ended_at or now) > ENDED_KEEP_S:
                    self._forget(session)
                continue
            for member in session.connected():
                link = (session.session_id, member.member_id)
                if self.round_trips.due(link, now, self.config.server_ping_s):
                    self._ping(session, member, now)
            self._maybe_resume(session, now)

    def record(
        self,
        session: Session,
        kind: str,
        member: Member | None = None,
        detail: str | None = None,
    ) -> None:
        """Queue an event (and the session's row) for the next batch."""
        number = self._event_no.get(session.session_id, 0) + 1
        self._event_no[session.session_id] = number
        self.pending.sessions.add(session.session_id)
        if len(self.pending.events) >= MAX_PENDING_EVENTS:
            del self.pending.events[: MAX_PENDING_EVENTS // 10]
            log.warning("session events dropped: the warehouse is not keeping up")
        self.pending.events.append(
            {
                "session_id": session.session_id,
                "event_no": number,
                "occurred_at": self.clock(),
                "member_id": member.member_id if member else None,
                "kind": kind,
                "state": session.state,
                "position_s": round(session.position, 3),
                "detail": detail,
            }
        )

    def _close_all(self, session: Session, code: int, reason: str) -> None:
        for member in session.connected():
            outbox = self.outboxes.get((session.session_id, member.member_id))
            if outbox is not None:
                outbox.close(code, reason)

    def _forget(self, session: Session) -> None:
        sid = session.session_id
        if sid in self.pending.sessions:
            return  # not written yet
        del self.sessions[sid]
        self._event_no.pop(sid, None)
        self.round_trips.forget(sid)

    def set_event_numbers(self, numbers: dict[str, int]) -> None:
        """After a restore: continue each session's event numbering."""
        self._event_no.update(numbers)
