"""What ran and what is running: sync runs and the job tables other issues add.

Job tables are found at run time: every table whose name ends in ``_runs`` or ``_jobs``
and that has a ``status`` or ``state`` column (``enrichment_runs``, ``download_jobs``,
``rip_jobs``, transcodes, ...). Progress is ``items_done / items_total`` when the table
has them, else its ``progress`` column (0 to 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from warehouse.queries import columns, frame

if TYPE_CHECKING:
    import duckdb
    import polars as pl

RUN_COLUMNS = (
    "run_id, server_id, mode, status, started_at, finished_at, duration_s, items_done,"
    " items_total, seen, added, updated, removed, failed, suspect_reason, error"
)
OWN_TABLES = ("sync_runs", "jobs")
ACTIVE_STATES = (
    "running",
    "queued",
    "pending",
    "scheduled",
    "searching",
    "downloading",
    "verifying",
    "scanning",
    "encoding",
    "probing",
    "transcoding",
)
TIME_COLUMNS = ("started_at", "created_at", "requested_at", "updated_at")


@dataclass(frozen=True, slots=True)
class JobTable:
    """A job table found in the warehouse and the columns that describe its rows."""

    name: str
    state_column: str
    time_column: str | None
    progress_sql: str | None


def sync_runs(
    con: duckdb.DuckDBPyConnection, limit: int = 50, status: str | None = None
) -> pl.DataFrame:
    """The latest sync runs (newest first), optionally only those in ``status``."""
    return frame(
        con,
        f"SELECT {RUN_COLUMNS} FROM sync_runs"
        " WHERE ($status IS NULL OR status = $status)"
        " ORDER BY started_at DESC LIMIT $limit",
        {"status": status, "limit": limit},
    )


def running_syncs(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Sync runs in progress with their progress (0 to 1; 0 until the plan is known)."""
    return frame(
        con,
        "SELECT run_id, server_id, mode, flow_run_id, started_at, items_done,"
        " items_total,"
        " CASE WHEN items_total > 0 THEN least(items_done / items_total, 1.0)"
        " ELSE 0.0 END AS progress"
        " FROM sync_runs WHERE status = 'running' ORDER BY started_at",
    )


def job_tables(con: duckdb.DuckDBPyConnection) -> list[JobTable]:
    """Other issues' job tables present in this warehouse, by name."""
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        " AND table_catalog = current_database() AND table_type = 'BASE TABLE'"
        " AND (suffix(table_name, '_runs') OR suffix(table_name, '_jobs'))"
        " ORDER BY table_name"
    ).fetchall()
    found = []
    for (name,) in rows:
        if name in OWN_TABLES:
            continue
        cols = columns(con, name)
        state = next((c for c in ("status", "state") if c in cols), None)
        if state is None:
            continue
        time_column = next((c for c in TIME_COLUMNS if c in cols), None)
        found.append(JobTable(name, state, time_column, _progress_sql(cols)))
    return found


def _progress_sql(cols: list[str]) -> str | None:
    if "items_done" in cols and "items_total" in cols:
        return (
            "CASE WHEN items_total > 0 THEN least(items_done / items_total, 1.0)"
            " ELSE 0.0 END"
        )
    if "progress" in cols:
        return "least(greatest(coalesce(progress, 0), 0), 1.0)"
    return None


def job_table_counts(con: duckdb.DuckDBPyConnection, table: JobTable) -> pl.DataFrame:
    """Rows of a job table per state."""
    return frame(
        con,
        f"SELECT {table.state_column} AS state, count(*) AS rows FROM {table.name}"
        " GROUP BY ALL ORDER BY rows DESC",
    )


def job_table_rows(
    con: duckdb.DuckDBPyConnection, table: JobTable, limit: int = 20
) -> pl.DataFrame:
    """The latest rows of a job table, active ones first, with a ``progress`` column."""
    progress = f"{table.progress_sql} AS progress, " if table.progress_sql else ""
    order = f"{table.time_column} DESC NULLS LAST" if table.time_column else "1"
    states = ", ".join(f"'{s}'" for s in ACTIVE_STATES)
    return frame(
        con,
        f"SELECT {progress}* FROM {table.name}"
        f" ORDER BY ({table.state_column} IN ({states})) DESC, {order} LIMIT ?",
        [limit],
    )
