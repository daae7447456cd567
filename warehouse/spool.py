"""Runs that failed because the warehouse refused them, kept until it takes them.

A run refused the write lock (another writer held it past ``lock_timeout_s``), or
whose warehouse could not be opened at all, cannot write its row when it fails: its
``sync_runs`` row (a library sync's server) or its ``flow_runs`` row (any flow, see
:mod:`tasks.flow_runs`). It appends the row to a spool file beside the warehouse
instead (one JSON line each, naming its table, written with ``O_APPEND`` so several
processes may append at once), and the next process that reaches the warehouse replays
the spool into each line's table: a ``MERGE`` on the run id, so a run that already has
a row (it failed later, when the warehouse refused its last write) gets its status and
reason, and replaying twice changes nothing. A line without a table (written before
``flow_runs`` existed) is a ``sync_runs`` row. The spool is renamed before it is
replayed and removed after the commit, so a crash in between replays it again,
harmlessly.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from warehouse import flow_runs

if TYPE_CHECKING:
    from collections.abc import Callable

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
_SCHEMA = dict.fromkeys(_COLUMNS, pl.String)


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
    spool_row(location, "sync_runs", row)
    return str(row["run_id"])


def spool_row(location: Location, table: str, row: dict[str, Any]) -> None:
    """Append a final run row of ``table`` (``sync_runs`` or ``flow_runs``)."""
    if table not in _TABLES:
        raise ValueError(f"runs of table {table!r} cannot be spooled")
    path = spool_path(location)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps({**row, "table": table}) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)  # one write of one line: appends from processes never mix
    finally:
        os.close(fd)


def replay(wh: Warehouse) -> int:
    """Merge the spooled runs into their tables; return how many were replayed.

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
        with wh.write() as con:
            for table, merge in _TABLES.items():
                mine = [r for r in rows if r.get("table", "sync_runs") == table]
                if mine:
                    merge(con, mine)
    for file in pending:
        file.unlink(missing_ok=True)
    if rows:
        log.warning("recorded %d run(s) the warehouse had refused", len(rows))
    return len(rows)


def _read(path: Path) -> list[dict[str, Any]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


# The tables whose run rows may be spooled, and how their rows are merged.
_TABLES: dict[str, Callable[[Any, list[dict[str, Any]]], None]] = {
    "sync_runs": partial(flow_runs.merge_rows, table="sync_runs", schema=_SCHEMA),
    "flow_runs": flow_runs.merge_rows,
}
