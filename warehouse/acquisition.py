"""Acquisition state besides the download job store: podcast subscriptions, rips.

A rip in a final state (imported, failed, cancelled) never changes again, so a
cancelled rip stays cancelled whatever the encoder reports afterwards. The watcher
queues each source (path + size + mtime) once. A subscription remembers the newest
episode it queued, so a feed check queues only what is newer.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from warehouse.downloads import rows

if TYPE_CHECKING:
    import duckdb

_FINAL = "('imported', 'failed', 'cancelled')"

_RIP_FIELDS = frozenset(
    "title_index title year preset progress duration_s reason final_path"
    " scan_result started_at finished_at".split()
)


def add_rip(
    con: duckdb.DuckDBPyConnection,
    source_path: str,
    source_key: str,
    stale_after_s: float = 900.0,
    **fields: Any,
) -> tuple[str, bool]:
    """Queue a rip, unless one of this source is queued, running or imported.

    A rip that has not reported for ``stale_after_s`` (its process died) is failed as
    interrupted first, so the source can be queued again.
    """
    con.execute(
        "UPDATE rip_jobs SET state = 'failed', finished_at = now(), reason ="
        " 'interrupted: the process stopped before the rip finished'"
        " WHERE source_key = ? AND state IN ('scanning', 'encoding', 'verifying')"
        " AND updated_at < now() - to_seconds(?::DOUBLE)",
        [source_key, stale_after_s],
    )
    found = con.execute(
        "SELECT rip_id FROM rip_jobs WHERE source_key = ?"
        " AND state NOT IN ('failed', 'cancelled')",
        [source_key],
    ).fetchone()
    if found:
        return found[0], False
    rip_id = uuid.uuid4().hex[:16]
    names = [n for n in fields if n in _RIP_FIELDS]
    con.execute(
        f"INSERT INTO rip_jobs (rip_id, source_path, source_key, state"
        f"{''.join(', ' + n for n in names)}) VALUES (?, ?, ?, 'queued'"
        f"{', ?' * len(names)})",
        [rip_id, source_path, source_key, *(fields[n] for n in names)],
    )
    return rip_id, True


def update_rip(
    con: duckdb.DuckDBPyConnection, rip_id: str, state: str | None = None, **fields: Any
) -> bool:
    """Change a rip's state/fields unless it is final; False when it was cancelled."""
    unknown = set(fields) - _RIP_FIELDS
    if unknown:
        raise ValueError(f"unknown rip_jobs fields: {', '.join(sorted(unknown))}")
    sets = "".join(f" {name} = ?," for name in fields)
    final = state in ("imported", "failed", "cancelled")
    # The row count says whether the guarded update applied (DuckLake has no RETURNING).
    [(changed,)] = con.execute(
        f"UPDATE rip_jobs SET state = coalesce(?, state),{sets} updated_at = now(),"
        " finished_at = CASE WHEN ? THEN now() ELSE finished_at END"
        f" WHERE rip_id = ? AND state NOT IN {_FINAL}",
        [state, *fields.values(), final, rip_id],
    ).fetchall()
    return int(changed) > 0


def set_rip_scan_result(
    con: duckdb.DuckDBPyConnection, rip_ids: list[str], result: str
) -> None:
    """Record what the media server said to the scan request after these rips."""
    con.execute(
        "UPDATE rip_jobs SET scan_result = ? WHERE list_contains(?, rip_id)",
        [result, rip_ids],
    )


def get_rip(con: duckdb.DuckDBPyConnection, rip_id: str) -> dict[str, Any] | None:
    """One rip job."""
    found = rows(con, "SELECT * FROM rip_jobs WHERE rip_id = ?", rip_id)
    return found[0] if found else None


def seen_rip_sources(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every source key a rip was ever queued for (the watcher queues each once)."""
    return {row[0] for row in con.execute("SELECT source_key FROM rip_jobs").fetchall()}


def list_rips(con: duckdb.DuckDBPyConnection, limit: int = 50) -> list[dict[str, Any]]:
    """Rip jobs, newest first."""
    return rows(
        con,
        "SELECT rip_id, source_path, state, title, year, title_index, progress,"
        " reason, final_path, created_at FROM rip_jobs"
        " ORDER BY created_at DESC LIMIT ?",
        limit,
    )


def subscribe(con: duckdb.DuckDBPyConnection, feed_url: str, keep_latest: int) -> bool:
    """Subscribe to a feed (or reactivate it); True when it is new."""
    con.execute(
        "MERGE INTO podcast_subscriptions AS t USING (SELECT ?::TEXT AS feed_url,"
        " ?::INTEGER AS keep_latest) AS s ON (t.feed_url = s.feed_url)"
        " WHEN MATCHED THEN UPDATE SET active = true"
        " WHEN NOT MATCHED THEN INSERT (feed_url, keep_latest)"
        " VALUES (s.feed_url, s.keep_latest)",
        [feed_url, keep_latest],
    )
    # Read back in the same transaction (DuckLake has no RETURNING).
    row = con.execute(
        "SELECT episodes_queued FROM podcast_subscriptions WHERE feed_url = ?",
        [feed_url],
    ).fetchone()
    return row is not None and row[0] == 0


def subscriptions(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Active subscriptions."""
    return rows(
        con,
        "SELECT feed_url, title, keep_latest, newest_published, episodes_queued"
        " FROM podcast_subscriptions WHERE active ORDER BY feed_url",
    )


def record_feed_check(
    con: duckdb.DuckDBPyConnection,
    feed_url: str,
    title: str | None,
    newest: str | None,
    queued: int,
    error: str | None,
) -> None:
    """Store what a feed check found (or why it failed)."""
    con.execute(
        "UPDATE podcast_subscriptions SET title = coalesce(?, title),"
        " newest_published = greatest(coalesce(?, newest_published), newest_published),"
        " episodes_queued = episodes_queued + ?, last_checked_at = now(),"
        " last_error = ? WHERE feed_url = ?",
        [title, newest, queued, error, feed_url],
    )


# -- reads for the CLI and the dashboard ---------------------------------------------
def list_wanted(
    con: duckdb.DuckDBPyConnection, limit: int = 50
) -> list[dict[str, Any]]:
    """Wanted items with their latest job, newest first (CLI and dashboard)."""
    return rows(
        con,
        "SELECT w.wanted_id, w.kind, coalesce(w.query, w.title) AS request, w.status,"
        " w.attempts, w.next_attempt_at, w.last_reason, j.state AS job_state,"
        " j.source, j.progress, j.final_path FROM wanted_items w LEFT JOIN ("
        "  SELECT * FROM download_jobs QUALIFY row_number() OVER"
        "  (PARTITION BY wanted_id ORDER BY created_at DESC) = 1) j USING (wanted_id)"
        " ORDER BY w.created_at DESC LIMIT ?",
        limit,
    )


def latest_candidate(
    con: duckdb.DuckDBPyConnection, wanted_id: str
) -> tuple[str, str] | None:
    """(source, candidate key) the item's latest job picked, if any."""
    row = con.execute(
        "SELECT source, candidate_key FROM download_jobs WHERE wanted_id = ?"
        " AND candidate_key IS NOT NULL ORDER BY created_at DESC LIMIT 1",
        [wanted_id],
    ).fetchone()
    return (row[0], row[1]) if row else None
