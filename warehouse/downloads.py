"""Acquisition state in the warehouse: the download job store, subscriptions, rips.

:class:`DownloadStore` is the job store of the download engine (it satisfies
``connectors.downloads.store.JobStore`` structurally; the warehouse does not import
connectors). Each method is one short transaction, so job states hold across
processes. Per-source slots and request spacing are not kept here: they are Prefect
global concurrency and rate limits (``tasks.downloads.PrefectGate``); the warehouse
keeps only the record of what happened.

Guarded updates: a job in a final state (imported, failed, cancelled) never changes
again, and a cancelled wanted item stays cancelled whatever a worker reports later.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

    from warehouse.db import Warehouse

ACTIVE_JOB_STATES = ("queued", "searching", "downloading", "verifying")
_FINAL_JOB = "('imported', 'failed', 'cancelled')"
_JOB_FIELDS = frozenset(
    "source candidate_key candidate_title bytes_done bytes_total progress reason"
    " final_path size duration_s container artist title scan_result flow_run_id"
    " started_at".split()
)
_WANTED_FIELDS = (
    "kind query url artist title album duration_s mb_recording_id feed_url"
    " episode_guid published source".split()
)
# What already satisfies a request, one part per kind it can be (a request asks
# only the tables of its kind: each table a DuckLake query reads costs a scan).
_EXISTING_REQ = """
WITH req AS (SELECT ml_norm($artist) AS a, ml_norm($title) AS t, ml_norm($album) AS s,
                    $duration::DOUBLE AS d, $mbid AS m, $kind AS kind, $key AS k)
SELECT what FROM ({parts}) LIMIT 1
"""
_EXISTING_TRACK = """
  SELECT 'track ' || x.server_id || ':' || x.native_id AS what FROM tracks x, req
  WHERE x.removed_at IS NULL AND (
    (req.m IS NOT NULL AND x.mb_recording_id = req.m)
    OR (req.t <> '' AND ml_norm(x.title) = req.t
        AND (req.a = '' OR ml_norm(x.artist) = req.a OR ml_norm(x.album_artist) = req.a)
        AND (req.d IS NULL OR x.duration_s IS NULL
             OR abs(x.duration_s - req.d) <= $tol)))
"""
_EXISTING_EPISODE = """
  SELECT 'episode ' || x.server_id || ':' || x.native_id AS what FROM episodes x, req
  WHERE x.removed_at IS NULL AND req.t <> ''
    AND ml_norm(x.title) = req.t AND (req.s = '' OR ml_norm(x.show_title) = req.s)
"""
_EXISTING_DOWNLOAD = """
  SELECT 'download ' || j.final_path AS what FROM download_jobs j
  JOIN wanted_items w USING (wanted_id), req
  WHERE j.state = 'imported' AND (w.request_key = req.k OR (
    req.t <> '' AND w.kind = req.kind AND ml_norm(j.title) = req.t
    AND (req.a = '' OR ml_norm(j.artist) = req.a)
    AND (req.d IS NULL OR j.duration_s IS NULL OR abs(j.duration_s - req.d) <= $tol)))
"""
_EXISTING_BY_KIND = {
    kind: _EXISTING_REQ.format(parts=" UNION ALL ".join([*parts, _EXISTING_DOWNLOAD]))
    for kind, parts in (
        ("track", [_EXISTING_TRACK]),
        ("episode", [_EXISTING_EPISODE]),
        (None, []),
    )
}


def _now() -> datetime:
    return datetime.now(UTC)


class DownloadStore:
    """The download engine's state, kept in the warehouse."""

    def __init__(self, warehouse: Warehouse, flow_run_id: str | None = None) -> None:
        self.warehouse = warehouse
        self.flow_run_id = flow_run_id

    # -- wanted items -------------------------------------------------------------
    def add_wanted(
        self, request_key: str, row: dict[str, Any]
    ) -> tuple[str, str, bool]:
        """Add a wanted item, or return the one that has this request key."""
        values = [row.get(name) for name in _WANTED_FIELDS]
        with self.warehouse.write(small=True) as con:
            found = con.execute(
                "SELECT wanted_id, status FROM wanted_items WHERE request_key = ?",
                [request_key],
            ).fetchone()
            if found:
                return found[0], found[1], False
            wanted_id = uuid.uuid4().hex[:16]
            con.execute(
                f"INSERT INTO wanted_items (wanted_id, request_key, status,"
                f" {', '.join(_WANTED_FIELDS)}) VALUES (?, ?, 'wanted',"
                f" {', '.join('?' for _ in _WANTED_FIELDS)})",
                [wanted_id, request_key, *values],
            )
        return wanted_id, "wanted", True

    def claim(
        self,
        wanted_id: str,
        stale_after_s: float,
        force: bool = False,
        tolerance_s: float = 5.0,
    ) -> dict[str, Any]:
        """Check for a duplicate and start a job for a due item, in one transaction."""
        with self.warehouse.write(small=True) as con:
            row = _one(con, "SELECT * FROM wanted_items WHERE wanted_id = ?", wanted_id)
            # Only an active item has a running job that may have died.
            if row is not None and row["status"] == "active":
                if _recover_stale(con, wanted_id, stale_after_s):
                    row = _one(
                        con, "SELECT * FROM wanted_items WHERE wanted_id = ?", wanted_id
                    )
            answer: dict[str, Any] = {
                "row": row,
                "duplicate": None,
                "job_id": None,
                "blocked": set(),
            }
            if row is None:
                return answer
            if row["status"] in ("imported", "duplicate"):
                answer["duplicate"] = _done_reason(con, row)
                return answer
            if row["status"] == "wanted":
                existing = _existing(con, row, tolerance_s)
                if existing:
                    answer["duplicate"] = f"already in the library: {existing}"
                    _set_duplicate(con, wanted_id, answer["duplicate"])
                    return answer
            answer["job_id"] = self._claim(con, wanted_id, force)
            if answer["job_id"]:
                pairs = con.execute(
                    "SELECT source, candidate_key FROM download_blocklist"
                )
                answer["blocked"] = {(row[0], row[1]) for row in pairs.fetchall()}
        return answer

    def _claim(
        self, con: duckdb.DuckDBPyConnection, wanted_id: str, force: bool
    ) -> str | None:
        claimed = _changed(
            con,
            "UPDATE wanted_items SET status = 'active', attempts = attempts + 1,"
            " updated_at = now() WHERE wanted_id = ? AND status = 'wanted'"
            " AND (? OR next_attempt_at IS NULL OR next_attempt_at <= now())",
            [wanted_id, force],
        )
        if not claimed:
            return None
        job_id = uuid.uuid4().hex[:16]
        con.execute(
            "INSERT INTO download_jobs (job_id, wanted_id, state, flow_run_id)"
            " VALUES (?, ?, 'searching', ?)",
            [job_id, wanted_id, self.flow_run_id],
        )
        return job_id

    def find_existing(self, row: dict[str, Any], tolerance_s: float) -> str | None:
        """What already satisfies the request: a library item or an earlier import."""
        with self.warehouse.read(small=True) as con:
            return _existing(con, row, tolerance_s)

    def mark_duplicate(self, wanted_id: str, job_id: str | None, reason: str) -> None:
        """The item is already there: no download."""
        with self.warehouse.write(small=True) as con:
            if job_id:
                _end_job(con, job_id, "cancelled", reason, {})
            _set_duplicate(con, wanted_id, reason)

    # -- jobs ---------------------------------------------------------------------
    def update_job(self, job_id: str, state: str | None = None, **fields: Any) -> bool:
        """Change a job's state and fields unless it is final; False if cancelled."""
        sets, values = _sets(fields)
        with self.warehouse.write(small=True) as con:
            changed = _changed(
                con,
                f"UPDATE download_jobs SET state = coalesce(?, state),{sets}"
                f" heartbeat_at = now() WHERE job_id = ? AND state NOT IN {_FINAL_JOB}",
                [state, *values, job_id],
            )
        return changed > 0

    def progress(self, job_id: str, done: int, total: int | None) -> bool:
        """Store bytes done (and the heartbeat); False when the job was cancelled."""
        with self.warehouse.write(small=True) as con:
            changed = _changed(
                con,
                "UPDATE download_jobs SET bytes_done = ?,"
                " bytes_total = coalesce(?, bytes_total),"
                " progress = CASE WHEN coalesce(?, bytes_total) > 0"
                "   THEN least(1.0, ? / coalesce(?, bytes_total)) ELSE progress END,"
                " heartbeat_at = now() WHERE job_id = ? AND state NOT IN"
                f" {_FINAL_JOB}",
                [done, total, total, done, total, job_id],
            )
        return changed > 0

    def finish(
        self,
        job_id: str,
        state: str,
        wanted_status: str,
        reason: str | None,
        retry_in_s: float | None = None,
        *,
        wanted_id: str,
        **fields: Any,
    ) -> None:
        """End the job and set its item's (``wanted_id``) status (a cancelled item
        stays cancelled)."""
        retry_at = (
            None if retry_in_s is None else _now() + timedelta(seconds=retry_in_s)
        )
        with self.warehouse.write(small=True) as con:
            _end_job(con, job_id, state, reason, fields)
            con.execute(
                "UPDATE wanted_items SET status = ?, last_reason = ?,"
                " next_attempt_at = ?, updated_at = now() WHERE wanted_id = ?"
                " AND status <> 'cancelled'",
                [wanted_status, reason, retry_at, wanted_id],
            )

    def cancelled(self, job_id: str) -> bool:
        """Whether the job was cancelled (a read: no write, no lock)."""
        with self.warehouse.read(small=True) as con:
            found = con.execute(
                "SELECT state FROM download_jobs WHERE job_id = ?", [job_id]
            ).fetchone()
        return found is not None and found[0] == "cancelled"

    def finish_article(self, job_id: str, row: dict[str, Any], **fields: Any) -> None:
        """Merge the article's row and end its job as imported, in one transaction."""
        from warehouse.reading import merge_articles

        with self.warehouse.write(small=True) as con:
            merge_articles(con, [{**row, "job_id": job_id}])
            _end_job(con, job_id, "imported", None, fields)
            con.execute(
                "UPDATE wanted_items SET status = 'imported', last_reason = NULL,"
                " next_attempt_at = NULL, updated_at = now() WHERE wanted_id ="
                " (SELECT wanted_id FROM download_jobs WHERE job_id = ?)"
                " AND status <> 'cancelled'",
                [job_id],
            )

    def cancel(self, wanted_id: str) -> bool:
        """Cancel the item and its running job; finished items are left as they are."""
        with self.warehouse.write(small=True) as con:
            changed = _changed(
                con,
                "UPDATE wanted_items SET status = 'cancelled', updated_at = now(),"
                " last_reason = 'cancelled by the user' WHERE wanted_id = ?"
                " AND status NOT IN ('imported', 'duplicate')",
                [wanted_id],
            )
            con.execute(
                "UPDATE download_jobs SET state = 'cancelled', finished_at = now(),"
                " reason = 'cancelled by the user' WHERE wanted_id = ?"
                f" AND state NOT IN {_FINAL_JOB}",
                [wanted_id],
            )
        return changed > 0

    # -- blocklist ----------------------------------------------------------------
    def blocklist(self, source: str) -> set[str]:
        """Candidate keys ``source`` must never pick: its own, and every blocked URL
        (a bad file at a URL is bad whichever source fetches it)."""
        with self.warehouse.read(small=True) as con:
            found = con.execute(
                "SELECT candidate_key FROM download_blocklist WHERE source = ?"
                " OR regexp_matches(candidate_key, '^https?://')",
                [source],
            ).fetchall()
        return {row[0] for row in found}

    def add_to_blocklist(self, source: str, key: str, reason: str) -> None:
        """Never pick this candidate again."""
        with self.warehouse.write(small=True) as con:
            con.execute(
                "MERGE INTO download_blocklist AS t USING (SELECT ?::TEXT AS source,"
                " ?::TEXT AS candidate_key, ?::TEXT AS reason) AS s"
                " ON (t.source = s.source AND t.candidate_key = s.candidate_key)"
                " WHEN MATCHED THEN UPDATE SET reason = s.reason"
                " WHEN NOT MATCHED THEN INSERT (source, candidate_key, reason)"
                " VALUES (s.source, s.candidate_key, s.reason)",
                [source, key, reason],
            )

    # -- for tasks and the CLI --------------------------------------------------------
    def due_wanted(
        self, limit: int, ids: list[str] | None = None, stale_after_s: float = 120.0
    ) -> list[str]:
        """Due wanted items, oldest first (only those of ``ids`` when given); items a
        dead process left running are recovered first."""
        with self.warehouse.write(small=True) as con:
            _recover_stale(con, None, stale_after_s)
            found = con.execute(
                "SELECT wanted_id FROM wanted_items WHERE status = 'wanted'"
                " AND (next_attempt_at IS NULL OR next_attempt_at <= now())"
                " AND (?::TEXT[] IS NULL OR list_contains(?::TEXT[], wanted_id))"
                " ORDER BY created_at LIMIT ?",
                [ids, ids, limit],
            ).fetchall()
        return [row[0] for row in found]

    def retry_now(self, wanted_id: str) -> bool:
        """Make a waiting or given-up item due at once (not a cancelled one)."""
        with self.warehouse.write(small=True) as con:
            changed = _changed(
                con,
                "UPDATE wanted_items SET status = 'wanted', next_attempt_at = NULL,"
                " updated_at = now() WHERE wanted_id = ?"
                " AND status IN ('wanted', 'failed')",
                [wanted_id],
            )
        return changed > 0

    def set_scan_result(self, job_ids: list[str], result: str) -> None:
        """Record what the media server said to the scan request after these imports."""
        with self.warehouse.write(small=True) as con:
            con.execute(
                "UPDATE download_jobs SET scan_result = ?"
                " WHERE list_contains(?, job_id)",
                [result, job_ids],
            )


def _sets(fields: dict[str, Any]) -> tuple[str, list[Any]]:
    unknown = set(fields) - _JOB_FIELDS
    if unknown:
        raise ValueError(f"unknown download_jobs fields: {', '.join(sorted(unknown))}")
    return "".join(f" {name} = ?," for name in fields), list(fields.values())


def _end_job(
    con: duckdb.DuckDBPyConnection,
    job_id: str,
    state: str,
    reason: str | None,
    fields: dict[str, Any],
) -> None:
    sets, values = _sets(fields)
    con.execute(
        f"UPDATE download_jobs SET state = ?, reason = ?,{sets} finished_at = now(),"
        f" heartbeat_at = now() WHERE job_id = ? AND state NOT IN {_FINAL_JOB}",
        [state, reason, *values, job_id],
    )


def _existing(
    con: duckdb.DuckDBPyConnection, row: dict[str, Any], tolerance_s: float
) -> str | None:
    params = {
        "artist": row.get("artist"),
        "title": row.get("title"),
        "album": row.get("album"),
        "duration": row.get("duration_s"),
        "mbid": row.get("mb_recording_id"),
        "kind": row.get("kind"),
        "key": row.get("request_key"),
        "tol": tolerance_s,
    }
    sql = _EXISTING_BY_KIND.get(row.get("kind"), _EXISTING_BY_KIND[None])
    found = con.execute(sql, params).fetchone()
    return found[0] if found else None


def _set_duplicate(con: duckdb.DuckDBPyConnection, wanted_id: str, reason: str) -> None:
    con.execute(
        "UPDATE wanted_items SET status = 'duplicate', last_reason = ?,"
        " updated_at = now() WHERE wanted_id = ? AND status <> 'cancelled'",
        [reason, wanted_id],
    )


def _done_reason(con: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> str:
    if row["status"] == "duplicate":
        return str(row["last_reason"])
    found = con.execute(
        "SELECT final_path FROM download_jobs WHERE wanted_id = ? AND state ="
        " 'imported' ORDER BY finished_at DESC LIMIT 1",
        [row["wanted_id"]],
    ).fetchone()
    return f"already imported: {found[0] if found else 'by its source'}"


def _recover_stale(
    con: duckdb.DuckDBPyConnection, wanted_id: str | None, stale_after_s: float
) -> bool:
    """Fail jobs (of ``wanted_id``, or all) whose process stopped reporting; their
    items are wanted again at once. True when there were any."""
    # Select, then update with the same condition: the write lock holds for the whole
    # transaction, so both see the same rows (DuckLake has no RETURNING).
    where = (
        " WHERE (?::TEXT IS NULL OR wanted_id = ?) AND state IN ('queued',"
        " 'searching', 'downloading', 'verifying') AND heartbeat_at < ?"
    )
    params = [wanted_id, wanted_id, _now() - timedelta(seconds=stale_after_s)]
    stale = con.execute(
        f"SELECT job_id, wanted_id FROM download_jobs{where}", params
    ).fetchall()
    if not stale:
        return False
    con.execute(
        "UPDATE download_jobs SET state = 'failed', finished_at = now(), reason ="
        f" 'interrupted: the process stopped before the job finished'{where}",
        params,
    )
    con.execute(
        "UPDATE wanted_items SET status = 'wanted', next_attempt_at = NULL,"
        " last_reason = 'interrupted', updated_at = now()"
        " WHERE list_contains(?, wanted_id) AND status = 'active'",
        [[row[1] for row in stale]],
    )
    return True


def _changed(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> int:
    """Run an UPDATE or DELETE; return how many rows it changed (DuckLake has no
    RETURNING: a guarded update's row count says whether it applied)."""
    [(count,)] = con.execute(sql, params).fetchall()
    return int(count)


def _one(
    con: duckdb.DuckDBPyConnection, sql: str, *params: Any
) -> dict[str, Any] | None:
    cur = con.execute(sql, list(params))
    row = cur.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cur.description], row, strict=True))


def rows(
    con: duckdb.DuckDBPyConnection, sql: str, *params: Any
) -> list[dict[str, Any]]:
    """Every row of a query as dicts."""
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
