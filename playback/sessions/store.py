"""Sessions in the warehouse: batched writes from memory, and restore on start.

Live state changes many times a second (members' round trips and drift, state changes);
the engine only marks what changed. :meth:`SessionStore.flush` takes that batch,
turns it into rows in the event loop (a consistent snapshot), and writes them in one
transaction on a worker thread: one DuckDB write per interval, never one per message.
A failed write (the warehouse busy for longer than the lock timeout) puts the batch
back for the next round. On start, :meth:`SessionStore.restore` brings back every
session that had not ended, with its members marked disconnected until they return.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from playback.sessions.contracts import Batch
from playback.sessions.model import LOADING, Member, Session
from warehouse import sessions as tables
from warehouse.db import WarehouseError
from warehouse.migrate import migrate

if TYPE_CHECKING:
    from playback.sessions.engine import SyncEngine
    from warehouse.db import Warehouse

log = logging.getLogger("medialake.playback.sessions")


def _ts(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _epoch(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def session_row(session: Session, now: float) -> dict[str, Any]:
    """The ``watch_sessions`` row of a session."""
    host = session.members.get(session.host_member_id or "")
    return {
        "session_id": session.session_id,
        "asset_id": session.asset_id,
        "title": session.title,
        "host": host.name if host else None,
        "host_member_id": session.host_member_id,
        "mode": session.mode,
        "buffering": session.buffering,
        "state": session.state,
        "position_s": session.position,
        "rate": session.rate,
        "reference_time": session.reference,
        "epoch": session.epoch,
        "seq": session.seq,
        "created_by": session.created_by,
        "created_at": _ts(session.created_at),
        "updated_at": _ts(now),
        "ended_at": _ts(session.ended_at),
    }


def member_row(session_id: str, member: Member) -> dict[str, Any]:
    """The ``session_members`` row of a member."""
    return {
        "session_id": session_id,
        "member_id": member.member_id,
        "name": member.name,
        "role": member.role,
        "status": member.status,
        "connected": member.connected,
        "rtt_ms": member.rtt_ms,
        "drift_ms": member.drift_ms,
        "joined_at": _ts(member.joined_at),
        "last_seen_at": _ts(member.last_seen),
        "left_at": _ts(member.left_at),
    }


class SessionStore:
    """The warehouse side of the sessions feature."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self.writes = 0
        self.rows_written = 0

    def snapshot(
        self, engine: SyncEngine, batch: Batch
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        """Rows for a batch, taken in the event loop so they are consistent."""
        now = engine.clock()
        sessions = [
            session_row(engine.sessions[sid], now)
            for sid in sorted(batch.sessions)
            if sid in engine.sessions
        ]
        members = [
            member_row(sid, engine.sessions[sid].members[mid])
            for sid, mid in sorted(batch.members)
            if sid in engine.sessions and mid in engine.sessions[sid].members
        ]
        events = [{**e, "occurred_at": _ts(e["occurred_at"])} for e in batch.events]
        return sessions, members, events

    def write(
        self,
        sessions: list[dict[str, Any]],
        members: list[dict[str, Any]],
        events: list[dict[str, Any]],
    ) -> int:
        """One transaction for the whole batch (blocking; run it on a thread)."""
        with self.warehouse.write() as con:
            written = tables.save_batch(con, sessions, members, events)
        self.writes += 1
        self.rows_written += written
        return written

    async def flush(self, engine: SyncEngine) -> bool:
        """Write what changed since the last flush; keep it for later on failure."""
        batch, engine.pending = engine.pending, Batch()
        if not (batch.sessions or batch.members or batch.events):
            return True
        rows = self.snapshot(engine, batch)
        try:
            await asyncio.to_thread(self.write, *rows)
        except (WarehouseError, OSError, RuntimeError) as exc:
            log.warning("session state not saved yet (%s); retrying", exc)
            self._requeue(engine, batch)
            return False
        except asyncio.CancelledError:
            self._requeue(engine, batch)  # writes are idempotent: safe to repeat
            raise
        return True

    @staticmethod
    def _requeue(engine: SyncEngine, batch: Batch) -> None:
        engine.pending.sessions |= batch.sessions
        engine.pending.members |= batch.members
        engine.pending.events[:0] = batch.events

    def prepare(self) -> None:
        """Create the warehouse's tables when needed (blocking)."""
        migrate(self.warehouse)

    def load(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, int]]:
        """Rows of the sessions to restore (blocking)."""
        with self.warehouse.read() as con:
            return tables.restore(con)

    def restore(
        self,
        engine: SyncEngine,
        rows: tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, int]],
    ) -> int:
        """Put loaded sessions back into the engine; return how many."""
        sessions, members, numbers = rows
        engine.set_event_numbers(numbers)
        for row in sessions:
            session = session_from_row(row, engine.clock())
            engine.sessions[session.session_id] = session
            engine.record(session, "restored")
        for row in members:
            owner = engine.sessions.get(row["session_id"])
            if owner is not None:
                member = member_from_row(row, engine.clock())
                owner.members[member.member_id] = member
                engine.pending.members.add((owner.session_id, member.member_id))
        return len(sessions)


def session_from_row(row: dict[str, Any], now: float) -> Session:
    """A restored session; its epoch and seq move on, so every member re-anchors."""
    session = Session(
        session_id=row["session_id"],
        asset_id=row["asset_id"],
        title=row["title"] or row["asset_id"],
        mode=row["mode"],
        buffering=row["buffering"],
        state=row["state"],
        position=float(row["position_s"]),
        rate=float(row["rate"]),
        reference=float(row["reference_time"]),
        epoch=int(row["epoch"]) + 1,
        seq=int(row["seq"]) + 1,
        created_at=_epoch(row["created_at"]) or now,
        created_by=row["created_by"] or "api",
        host_member_id=row["host_member_id"],
    )
    if session.state == "waiting":
        session.waiting_since = now
    return session


def member_from_row(row: dict[str, Any], now: float) -> Member:
    """A restored member: disconnected, loading, until it comes back."""
    return Member(
        member_id=row["member_id"],
        name=row["name"],
        role=row["role"],
        joined_at=_epoch(row["joined_at"]) or now,
        status=LOADING,
        rtt_ms=row["rtt_ms"],
        drift_ms=row["drift_ms"],
        last_seen=_epoch(row["last_seen_at"]),
        left_at=_epoch(row["left_at"]),
    )
