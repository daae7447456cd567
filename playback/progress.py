"""Playback progress kept by the service: the newest report of each viewer in memory,
appended to the warehouse in batches (:mod:`warehouse.progress`).

A report is answered at once; the batch is written when the oldest unwritten report
is :attr:`ProgressBook.flush_s` old (a timer, or the next report or read, whichever
comes first), when :attr:`ProgressBook.max_pending` reports wait, and when the service
stops. Reads look
at the unwritten reports first, so a viewer who comes back sees their latest position
even before it is written.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from warehouse import progress
from warehouse.db import WarehouseError

if TYPE_CHECKING:
    from warehouse.db import Warehouse

log = logging.getLogger("medialake.playback.progress")
FINISHED_SHARE = 0.95  # past this share of the length, a title counts as watched


@dataclass
class ProgressBook:
    """Unwritten progress reports of one service process."""

    warehouse: Warehouse
    flush_s: float = 10.0
    max_pending: int = 500
    _pending: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    _since: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(
        self,
        user_id: str,
        asset_id: str,
        position_s: float,
        duration_s: float | None,
        finished: bool = False,
    ) -> dict[str, Any]:
        """Keep one report (the newest per user and asset wins); write the batch when
        it is due. Returns the state as stored."""
        if duration_s and position_s >= FINISHED_SHARE * duration_s:
            finished = True
        event = {
            "event_id": uuid.uuid4().hex,
            "user_id": user_id,
            "asset_id": asset_id,
            "position_s": max(0.0, float(position_s)),
            "duration_s": duration_s,
            "finished": bool(finished),
            "recorded_at": dt.datetime.now(dt.UTC),
            "source": "player",
        }
        with self._lock:
            self._pending[(user_id, asset_id)] = event
            first = self._since is None
            if first:
                self._since = time.monotonic()
        if first:
            timer = threading.Timer(self.flush_s, self.flush_if_due)
            timer.daemon = True
            timer.start()
        self.flush_if_due()
        return event

    def flush_if_due(self) -> None:
        """Write the batch when the oldest report waited ``flush_s`` or many wait."""
        with self._lock:
            due = self._since is not None and (
                time.monotonic() - self._since >= self.flush_s
                or len(self._pending) >= self.max_pending
            )
        if due:
            self.flush()

    def flush(self) -> int:
        """Write every unwritten report in one transaction; kept on failure."""
        with self._lock:
            batch = list(self._pending.values())
            self._pending.clear()
            self._since = None
        if not batch:
            return 0
        try:
            with self.warehouse.write() as con:
                return progress.append_events(con, batch)
        except (WarehouseError, OSError) as exc:
            log.warning("progress not written yet (%d reports): %s", len(batch), exc)
            with self._lock:
                for event in batch:
                    key = (event["user_id"], event["asset_id"])
                    self._pending.setdefault(key, event)
                self._since = self._since or time.monotonic()
            return 0

    def latest(self, user_id: str, asset_id: str) -> dict[str, Any] | None:
        """A user's latest state of an asset: unwritten first, then the warehouse."""
        with self._lock:
            hit = self._pending.get((user_id, asset_id))
        if hit is not None:
            return dict(hit)
        self.flush_if_due()
        with self.warehouse.read() as con:
            return progress.latest(con, user_id, asset_id)

    def continue_watching(self, user_id: str, limit: int = 12) -> list[dict[str, Any]]:
        """Started, unfinished titles of a user, latest first (writes what waits)."""
        self.flush()
        with self.warehouse.read() as con:
            return progress.continue_watching(con, user_id, limit)
