"""Flow-run rows (``flow_runs``): one per run of any flow, whatever it does.

A run is recorded ``running`` when it starts and closed once, ``succeeded`` or
``failed`` with its reason (``cancelled`` when a job's Cancel stopped it). Rows a
killed process left ``running`` are closed ``failed`` ("interrupted: ...") by the next
run on the same machine, once the caller has found their process gone, or at once by
the job runner that supervised the process. A row the warehouse refused is spooled
(:mod:`warehouse.spool`) and merged here later with :func:`merge_rows`, on the run id,
so replaying it twice changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from collections.abc import Iterable

    import duckdb

SPOOL_SCHEMA: dict[str, Any] = {
    "run_id": pl.String,
    "flow": pl.String,
    "params": pl.String,
    "status": pl.String,
    "error": pl.String,
    "flow_run_id": pl.String,
    "host": pl.String,
    "pid": pl.Int64,
    "started_at": pl.String,
    "finished_at": pl.String,
}
INTERRUPTED = (
    "interrupted: the process (PID {pid} on {host}) ended before the run finished"
)


def start(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    flow: str,
    params: str | None,
    *,
    flow_run_id: str | None,
    host: str,
    pid: int,
    started_at: datetime,
) -> None:
    """Record the run ``running`` (``run_id`` is new: a plain INSERT, cheaper than a
    MERGE; the final row is merged on it)."""
    con.execute(
        "INSERT INTO flow_runs"
        " (run_id, flow, params, status, flow_run_id, host, pid, started_at)"
        " VALUES (?, ?, ?, 'running', ?, ?, ?, ?)",
        [run_id, flow, params, flow_run_id, host, pid, started_at],
    )


def running_on(
    con: duckdb.DuckDBPyConnection, host: str
) -> list[tuple[str, int | None, datetime]]:
    """The runs recorded ``running`` on ``host``: (run id, pid, started at)."""
    rows = con.execute(
        "SELECT run_id, pid, started_at FROM flow_runs"
        " WHERE status = 'running' AND host = ?",
        [host],
    ).fetchall()
    return [(str(r[0]), r[1], r[2]) for r in rows]


def close_interrupted(
    con: duckdb.DuckDBPyConnection, gone: Iterable[tuple[str, int | None]], host: str
) -> int:
    """Close the ``running`` rows of processes that are gone (run id, pid) ``failed``,
    in one statement; return how many were named."""
    ids, errors = [], []
    for run_id, pid in gone:
        ids.append(run_id)
        errors.append(INTERRUPTED.format(pid=pid, host=host))
    if ids:
        con.execute(
            "UPDATE flow_runs SET status = 'failed', finished_at = now(),"
            " duration_s = epoch(now()) - epoch(flow_runs.started_at), error = g.error"
            " FROM (SELECT unnest($ids) AS run_id, unnest($errors) AS error) AS g"
            " WHERE flow_runs.run_id = g.run_id AND flow_runs.status = 'running'",
            {"ids": ids, "errors": errors},
        )
    return len(ids)


def finish(con: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> None:
    """Close a run recorded by :func:`start` with its final row (:func:`final_row`)."""
    con.execute(
        "UPDATE flow_runs SET status = ?, error = ?, finished_at = ?::TIMESTAMPTZ,"
        " duration_s = epoch(?::TIMESTAMPTZ) - epoch(started_at) WHERE run_id = ?",
        [
            row["status"],
            row["error"],
            row["finished_at"],
            row["finished_at"],
            row["run_id"],
        ],
    )


def close_process(
    con: duckdb.DuckDBPyConnection,
    host: str,
    pid: int,
    since: datetime,
    error: str,
    *,
    cancelled: bool = False,
) -> None:
    """Close the runs the process ``pid`` of ``host`` started since ``since`` and left
    ``running`` (it was stopped or killed): ``failed`` with ``error``. With
    ``cancelled`` (a person stopped it) those it closed ``failed`` itself on the way
    out are ``cancelled`` too, their own reason kept after ``error``."""
    con.execute(
        "UPDATE flow_runs SET status = $status,"
        " error = CASE WHEN status = 'running' THEN $error"
        " ELSE $error || '; the flow stopped with: ' || coalesce(error, '?') END,"
        " finished_at = coalesce(finished_at, now()),"
        " duration_s = coalesce(duration_s, epoch(now()) - epoch(started_at))"
        " WHERE host = $host AND pid = $pid AND started_at >= $since"
        " AND status IN ('running', $also)",
        {
            "status": "cancelled" if cancelled else "failed",
            "error": error,
            "host": host,
            "pid": pid,
            "since": since,
            "also": "failed" if cancelled else "running",
        },
    )


def final_row(
    run_id: str,
    flow: str,
    params: str | None,
    status: str,
    error: str | None,
    *,
    flow_run_id: str | None,
    host: str,
    pid: int,
    started_at: datetime,
) -> dict[str, Any]:
    """The run's final row, finished now, as :func:`merge_rows` and the spool take it
    (JSON-ready)."""
    return {
        "run_id": run_id,
        "flow": flow,
        "params": params,
        "status": status,
        "error": error,
        "flow_run_id": flow_run_id,
        "host": host,
        "pid": pid,
        "started_at": started_at.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
    }


def merge_rows(
    con: duckdb.DuckDBPyConnection,
    rows: list[dict[str, Any]],
    *,
    table: str = "flow_runs",
    schema: dict[str, Any] = SPOOL_SCHEMA,
) -> None:
    """Merge final rows (:func:`final_row`, from this run or the spool) on the run id:
    a run recorded ``running`` gets its status and reason, one never recorded is
    inserted whole, and merging the same row again changes nothing. ``table`` and
    ``schema`` (the row's columns, times as ISO text) name another run table whose
    rows are closed the same way (the spool's ``sync_runs``)."""
    frame = (
        pl.DataFrame([{k: r.get(k) for k in schema} for r in rows], schema)
        .with_columns(
            pl.col("started_at", "finished_at").str.to_datetime(time_zone="UTC")
        )
        .unique("run_id", keep="last", maintain_order=True)
    )
    staged = f"_spooled_{table}"
    con.register(staged, frame.to_arrow())
    try:
        con.execute(
            f"MERGE INTO {table} AS t USING {staged} AS s ON (t.run_id = s.run_id)"
            " WHEN MATCHED THEN UPDATE SET status = s.status, error = s.error,"
            " finished_at = s.finished_at,"
            " duration_s = epoch(s.finished_at) - epoch(t.started_at)"
            f" WHEN NOT MATCHED THEN INSERT ({', '.join(schema)}, duration_s)"
            f" VALUES ({', '.join(f's.{c}' for c in schema)},"
            " coalesce(epoch(s.finished_at) - epoch(s.started_at), 0))"
        )
    finally:
        con.unregister(staged)
