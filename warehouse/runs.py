"""Sync-run rows: one per run, with status, counts, timings, progress and error text."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb


@dataclass(slots=True)
class RunCounts:
    """The counts a run reports."""

    seen: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    failed: int = 0


def start_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    server_id: str,
    mode: str,
    flow_run_id: str | None = None,
    started_at: datetime | None = None,
) -> None:
    """Insert the run's row in state ``running`` (started now, or at ``started_at``)."""
    con.execute(
        "INSERT INTO sync_runs"
        " (run_id, server_id, mode, status, flow_run_id, started_at)"
        " VALUES (?, ?, ?, 'running', ?, ?)",
        [run_id, server_id, mode, flow_run_id, started_at or datetime.now(UTC)],
    )


def close_interrupted(con: duckdb.DuckDBPyConnection, server_id: str) -> None:
    """Fail runs a killed process left ``running`` (one sync per server at a time)."""
    con.execute(
        "UPDATE sync_runs SET status = 'failed', finished_at = now(), error ="
        " 'interrupted: the process ended before the run finished'"
        " WHERE server_id = ? AND status = 'running'",
        [server_id],
    )


def add_progress(
    con: duckdb.DuckDBPyConnection, run_id: str, items: int, total: int | None = None
) -> tuple[int, int]:
    """Add ``items`` finished items to the run (and set its total); return both."""
    con.execute(
        "UPDATE sync_runs SET items_done = items_done + ?,"
        " items_total = coalesce(?, items_total) WHERE run_id = ?",
        [items, total, run_id],
    )
    # Read back in the same transaction (DuckLake has no RETURNING).
    row = con.execute(
        "SELECT items_done, items_total FROM sync_runs WHERE run_id = ?", [run_id]
    ).fetchone()
    return (row[0], row[1]) if row else (0, 0)


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    status: str,
    counts: RunCounts,
    *,
    suspect_reason: str | None = None,
    error: str | None = None,
) -> None:
    """Close the run with its final status, counts and timing."""
    names = [f.name for f in fields(RunCounts)]
    sets = ", ".join(f"{n} = ?" for n in names)
    con.execute(
        f"UPDATE sync_runs SET status = ?, {sets}, suspect_reason = ?, error = ?,"
        " finished_at = now(),"
        " duration_s = epoch(now()) - epoch(started_at) WHERE run_id = ?",
        [status, *(getattr(counts, n) for n in names), suspect_reason, error, run_id],
    )


def get_run(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any] | None:
    """One run as a dict, or None."""
    cur = con.execute("SELECT * FROM sync_runs WHERE run_id = ?", [run_id])
    row = cur.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cur.description], row, strict=True))
