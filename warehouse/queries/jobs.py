"""The ``jobs`` table (migration 008): flow runs requested from the dashboard.

A job is recorded before it starts (``running``) and closed once (``succeeded``,
``failed`` or ``cancelled``); closing an already closed job changes nothing, so the
background process and a cancel from the dashboard cannot overwrite each other.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from warehouse.queries import frame, records

if TYPE_CHECKING:
    import duckdb
    import polars as pl

FINAL_STATUSES = ("succeeded", "failed", "cancelled")


def new_job_id() -> str:
    """A fresh job id."""
    return uuid.uuid4().hex


def record_job(
    con: duckdb.DuckDBPyConnection,
    job_id: str,
    kind: str,
    params: dict[str, Any],
    backend: str,
    **fields: Any,
) -> None:
    """Insert a ``running`` job; ``fields`` are other columns (pid, log_path, ...)."""
    names = ["job_id", "kind", "params", "backend", "status", *fields]
    values = [job_id, kind, json.dumps(params, sort_keys=True), backend, "running"]
    values += list(fields.values())
    marks = ", ".join("?" for _ in names)
    con.execute(f"INSERT INTO jobs ({', '.join(names)}) VALUES ({marks})", values)


def update_job(con: duckdb.DuckDBPyConnection, job_id: str, **fields: Any) -> None:
    """Set columns of a job that is still running (pid, flow_run_id, ...)."""
    sets = ", ".join(f"{name} = ?" for name in fields)
    con.execute(
        f"UPDATE jobs SET {sets} WHERE job_id = ? AND status = 'running'",
        [*fields.values(), job_id],
    )


def finish_job(
    con: duckdb.DuckDBPyConnection,
    job_id: str,
    status: str,
    *,
    exit_code: int | None = None,
    error: str | None = None,
) -> bool:
    """Close a running job; return False when it was already closed."""
    if status not in FINAL_STATUSES:
        raise ValueError(f"not a final job status: {status}")
    # The row count says whether the guarded update applied (DuckLake has no RETURNING).
    [(changed,)] = con.execute(
        "UPDATE jobs SET status = ?, exit_code = ?, error = ?, finished_at = now()"
        " WHERE job_id = ? AND status = 'running'",
        [status, exit_code, error, job_id],
    ).fetchall()
    return int(changed) > 0


def get_job(con: duckdb.DuckDBPyConnection, job_id: str) -> dict[str, Any] | None:
    """One job as a dict (``params`` decoded), or None."""
    rows = records(con, "SELECT * FROM jobs WHERE job_id = ?", [job_id])
    if not rows:
        return None
    job = rows[0]
    job["params"] = json.loads(job["params"] or "{}")
    return job


def jobs_by_prefix(
    con: duckdb.DuckDBPyConnection, prefix: str, limit: int = 5
) -> list[dict[str, Any]]:
    """The jobs whose id starts with ``prefix`` (``params`` decoded), at most
    ``limit``."""
    rows = records(
        con,
        "SELECT * FROM jobs WHERE starts_with(job_id, ?) ORDER BY job_id LIMIT ?",
        [prefix.strip().lower(), limit],
    )
    for job in rows:
        job["params"] = json.loads(job["params"] or "{}")
    return rows


def running_jobs(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Jobs still marked running, oldest first (``params`` decoded)."""
    rows = records(
        con, "SELECT * FROM jobs WHERE status = 'running' ORDER BY requested_at"
    )
    for row in rows:
        row["params"] = json.loads(row["params"] or "{}")
    return rows


def latest_jobs(con: duckdb.DuckDBPyConnection, limit: int = 30) -> pl.DataFrame:
    """The latest jobs, newest first."""
    return frame(
        con,
        "SELECT job_id, kind, params, backend, status, requested_at, finished_at,"
        " exit_code, error, pid, log_path, flow_run_id, flow_run_url, retry_of"
        " FROM jobs ORDER BY requested_at DESC LIMIT ?",
        [limit],
    )


def cancel_sync_runs(
    con: duckdb.DuckDBPyConnection, since: Any, servers: list[str] | None, reason: str
) -> int:
    """Mark sync runs a cancelled job left ``running`` as ``cancelled``.

    Args:
        con: a write connection.
        since: when the job was requested; older runs are not the job's.
        servers: the servers the job synced (None: every server).
        reason: the error text to record.
    """
    [(cancelled,)] = con.execute(
        "UPDATE sync_runs SET status = 'cancelled', error = ?, finished_at = now(),"
        " duration_s = epoch(now()) - epoch(started_at)"
        " WHERE status = 'running' AND started_at >= ?"
        " AND (? IS NULL OR list_contains(?, server_id))",
        [reason, since, servers, servers],
    ).fetchall()
    return int(cancelled)
