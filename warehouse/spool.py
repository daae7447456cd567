"""Runs that failed because the warehouse refused them, kept until it takes them.

A sync refused the write lock (another writer held it past ``lock_timeout_s``), or
whose warehouse could not be opened at all, cannot write its ``sync_runs`` row when it
fails. It appends the row to a spool file beside the warehouse instead (one JSON line
each, written with ``O_APPEND`` so several processes may append at once), and the next
process that reaches the warehouse replays the spool into ``sync_runs``: a ``MERGE`` on
the run id, so a run that already has a row (it failed later, when the warehouse
refused its last write) gets its status and reason, and replaying twice changes
nothing. The spool is renamed before it is replayed and removed after the commit, so a
crash in between replays it again, harmlessly.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from warehouse.db import Location, Warehouse

log = logging.getLogger("medialake.warehouse")
_COLUMNS = (
    "run_id",
    "server_id",
    "mode",
    "status",
    "flow_run_id",
    "error",
    "started_at",
    "finished_at",
)


def spool_path(location: Location) -> Path:
    """Where the spool of this warehouse lives: beside its SQLite catalog, or in its
    shared data folder when the catalog is PostgreSQL (every machine sees it)."""
    if location.shared:
        return location.data_path / "failed-runs.jsonl"
    return Path(location.catalog).with_suffix(".failed-runs.jsonl")


def spool_failed_run(
    location: Location,
    server_id: str,
    mode: str,
    error: str,
    *,
    run_id: str | None = None,
    flow_run_id: str | None = None,
) -> str:
    """Append a failed sync run to the spool; return its run id."""
    now = datetime.now(UTC).isoformat()
    row = {
        "run_id": run_id or uuid.uuid4().hex,
        "server_id": server_id,
        "mode": mode,
        "status": "failed",
        "flow_run_id": flow_run_id,
        "error": error,
        "started_at": now,
        "finished_at": now,
    }
    path = spool_path(location)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(row) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)  # one write of one line: appends from processes never mix
    finally:
        os.close(fd)
    return str(row["run_id"])


def replay(wh: Warehouse) -> int:
    """Merge the spooled runs into ``sync_runs``; return how many were replayed.

    Raises the warehouse's error (busy, unreachable) and keeps the spool when the
    write fails; lines that are not valid JSON (a write cut short) are skipped.
    """
    path = spool_path(wh.location)
    taken = path.with_suffix(f".replaying-{os.getpid()}.jsonl")
    pending = sorted(path.parent.glob(path.stem + ".replaying-*.jsonl"))
    if path.exists():
        path.rename(taken)
        pending.append(taken)
    if not pending:
        return 0
    rows = [row for file in pending for row in _read(file)]
    if rows:
        frame = pl.DataFrame(
            [{k: row.get(k) for k in _COLUMNS} for row in rows],
            schema=dict.fromkeys(_COLUMNS, pl.String),
        ).with_columns(
            pl.col("started_at", "finished_at").str.to_datetime(time_zone="UTC")
        )
        with wh.write() as con:
            _merge(con, frame.unique("run_id", keep="last"))
    for file in pending:
        file.unlink(missing_ok=True)
    if rows:
        log.warning("recorded %d failed run(s) the warehouse had refused", len(rows))
    return len(rows)


def _read(path: Path) -> list[dict[str, Any]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def _merge(con: Any, frame: pl.DataFrame) -> None:
    con.register("_spooled", frame.to_arrow())
    try:
        con.execute(
            "MERGE INTO sync_runs AS t USING _spooled AS s ON (t.run_id = s.run_id)"
            " WHEN MATCHED THEN UPDATE SET status = s.status, error = s.error,"
            " finished_at = s.finished_at,"
            " duration_s = epoch(s.finished_at) - epoch(t.started_at)"
            " WHEN NOT MATCHED THEN INSERT (run_id, server_id, mode, status,"
            " flow_run_id, error, started_at, finished_at, duration_s)"
            " VALUES (s.run_id, s.server_id, s.mode, s.status, s.flow_run_id,"
            " s.error, s.started_at, s.finished_at, 0)"
        )
    finally:
        con.unregister("_spooled")
