"""HLS tables: playback decisions, published assets and renditions, transcode jobs.

Reads for the transcode flow (which sources need an asset), the playback service and the
CLI (an item's current asset), and the writes that keep one row per job with progress.
A file has at most one ``current`` asset; publishing a new one supersedes the old in the
same transaction, and the caller deletes the superseded folders afterwards.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from warehouse.upsert import merge_frame

if TYPE_CHECKING:
    from collections.abc import Sequence

    import duckdb

DECISION_KEY = ("server_id", "file_native_id")

_TITLE = """coalesce(
    CASE f.item_table
        WHEN 'movies' THEN m.title || coalesce(' (' || m.year || ')', '')
        WHEN 'episodes' THEN e.show_title
            || ' S' || lpad(CAST(e.season AS TEXT), 2, '0')
            || 'E' || lpad(CAST(e.episode AS TEXT), 2, '0')
            || coalesce(' - ' || e.title, '')
        WHEN 'tracks' THEN coalesce(t.artist || ' - ', '') || t.title
    END, f.path)"""

_SOURCES = f"""
WITH sources AS (
    SELECT f.server_id, f.native_id AS file_native_id, f.path, f.media_kind,
           f.fingerprint, f.item_table, f.item_native_id, {_TITLE} AS title
    FROM media_files f
    LEFT JOIN movies m ON f.item_table = 'movies'
        AND m.server_id = f.server_id AND m.native_id = f.item_native_id
    LEFT JOIN episodes e ON f.item_table = 'episodes'
        AND e.server_id = f.server_id AND e.native_id = f.item_native_id
    LEFT JOIN tracks t ON f.item_table = 'tracks'
        AND t.server_id = f.server_id AND t.native_id = f.item_native_id
    WHERE f.removed_at IS NULL AND f.error IS NULL
)"""

_MATCH = """(CAST(? AS TEXT) IS NULL OR s.file_native_id = ? OR s.item_native_id = ?
    OR contains(lower(s.title), lower(?)) OR contains(lower(s.path), lower(?)))"""


def _rows(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def pending_sources(
    con: duckdb.DuckDBPyConnection,
    *,
    media: Sequence[str] = ("video",),
    item: str | None = None,
    force: bool = False,
) -> list[dict[str, Any]]:
    """Sources that need an asset: none current, or their file changed since.

    A source whose last decision was ``unplayable`` for the same file is left out until
    the file changes. ``item`` narrows to one file or item id, or a title or path
    fragment (case-insensitive); ``force`` includes sources with a current asset.
    """
    sql = f"""{_SOURCES}
    SELECT s.*, a.asset_id AS current_asset_id
    FROM sources s
    LEFT JOIN hls_assets a ON a.server_id = s.server_id
        AND a.file_native_id = s.file_native_id AND a.status = 'current'
    LEFT JOIN playback_decisions d ON d.server_id = s.server_id
        AND d.file_native_id = s.file_native_id
    WHERE list_contains(?, s.media_kind) AND {_MATCH}
      AND (? OR a.asset_id IS NULL
           OR a.source_fingerprint IS DISTINCT FROM s.fingerprint)
      AND (? OR d.decision IS DISTINCT FROM 'unplayable'
           OR d.source_fingerprint IS DISTINCT FROM s.fingerprint)
    ORDER BY s.server_id, s.path"""
    params = [list(media), *([item] * 5), force, force]
    return _rows(con.execute(sql, params))


def probed_streams(
    con: duckdb.DuckDBPyConnection, server_id: str, file_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Enrichment's ffprobe results (``media_probes``/``media_streams``) by file id.

    Empty when enrichment's tables are absent or shaped differently: the caller then
    probes the file itself.
    """
    try:
        probes = _rows(
            con.execute(
                "SELECT native_id, probe_key, container, duration_s, bitrate"
                " FROM media_probes WHERE server_id = ? AND status = 'ok'"
                " AND list_contains(?, native_id)",
                [server_id, list(file_ids)],
            )
        )
        streams = _rows(
            con.execute(
                "SELECT native_id, stream_index, kind, codec, profile, width, height,"
                " frame_rate, pix_fmt, channels, language, forced"
                " FROM media_streams"
                " WHERE server_id = ? AND list_contains(?, native_id)"
                " ORDER BY native_id, stream_index",
                [server_id, list(file_ids)],
            )
        )
    except Exception:
        return {}
    found = {p["native_id"]: {**p, "streams": []} for p in probes}
    for stream in streams:
        if stream["native_id"] in found:
            found[stream["native_id"]]["streams"].append(stream)
    return found


def record_decisions(
    con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]
) -> int:
    """Upsert playback decisions (one per file); return how many were written."""
    if not rows:
        return 0
    now = datetime.now(UTC)
    frame = pl.DataFrame(
        [{**r, "decided_at": now} for r in rows], infer_schema_length=None
    )
    counts = merge_frame(
        con, "playback_decisions", frame, key=DECISION_KEY, soft_delete=False
    )
    return counts.added + counts.updated


def queue_jobs(con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert new jobs in state ``queued`` (one statement for the batch)."""
    if not rows:
        return
    frame = pl.DataFrame(list(rows), infer_schema_length=None).with_columns(
        status=pl.lit("queued")
    )
    con.register("_staged_jobs", frame.to_arrow())
    try:
        cols = ", ".join(frame.columns)
        con.execute(
            f"INSERT INTO transcode_jobs ({cols}) SELECT {cols} FROM _staged_jobs"
        )
    finally:
        con.unregister("_staged_jobs")


def start_job(con: duckdb.DuckDBPyConnection, job_id: str, encoder: str) -> None:
    """Mark a job running (its ffmpeg slot was granted)."""
    con.execute(
        "UPDATE transcode_jobs SET status = 'running', encoder = ?, started_at = now(),"
        " updated_at = now() WHERE job_id = ?",
        [encoder, job_id],
    )


def touch_job(con: duckdb.DuckDBPyConnection, job_id: str) -> None:
    """The heartbeat of a job whose transcode is running (no progress to report)."""
    con.execute(
        "UPDATE transcode_jobs SET updated_at = now() WHERE job_id = ?", [job_id]
    )


def update_progress(
    con: duckdb.DuckDBPyConnection,
    job_id: str,
    percent: float,
    speed: float | None,
    eta_s: float | None,
    out_time_s: float,
) -> None:
    """Store a running job's progress."""
    con.execute(
        "UPDATE transcode_jobs SET percent = ?, speed = ?, eta_s = ?, out_time_s = ?,"
        " updated_at = now() WHERE job_id = ?",
        [round(percent, 2), speed, eta_s, out_time_s, job_id],
    )


def finish_job(
    con: duckdb.DuckDBPyConnection, job_id: str, status: str, error: str | None = None
) -> None:
    """Close a job as ``succeeded`` or ``failed`` with its timing and error text."""
    con.execute(
        "UPDATE transcode_jobs SET status = ?, error = ?, finished_at = now(),"
        " updated_at = now(),"
        " percent = CASE WHEN ? = 'succeeded' THEN 100 ELSE percent END,"
        " eta_s = CASE WHEN ? = 'succeeded' THEN 0 ELSE eta_s END,"
        " elapsed_s = epoch(now()) - epoch(coalesce(started_at, queued_at))"
        " WHERE job_id = ?",
        [status, error, status, status, job_id],
    )


def fail_interrupted_jobs(con: duckdb.DuckDBPyConnection, stale_s: float) -> int:
    """Fail jobs left queued or running by a process that ended (no update lately)."""
    [(failed,)] = con.execute(
        "UPDATE transcode_jobs SET status = 'failed', finished_at = now(),"
        " error = 'interrupted: the process ended before the job finished'"
        " WHERE status IN ('queued', 'running')"
        " AND epoch(now()) - epoch(coalesce(updated_at, queued_at)) > ?",
        [stale_s],
    ).fetchall()
    return int(failed)


def publish_asset(
    con: duckdb.DuckDBPyConnection,
    asset: dict[str, Any],
    renditions: Sequence[dict[str, Any]],
) -> list[str]:
    """Record a published asset as current; return the ids it superseded."""
    # Select, then update with the same condition: the write lock holds for the whole
    # transaction, so both see the same rows (DuckLake has no RETURNING).
    current = "WHERE server_id = ? AND file_native_id = ? AND status = 'current'"
    params = [asset["server_id"], asset["file_native_id"]]
    superseded = [
        row[0]
        for row in con.execute(
            f"SELECT asset_id FROM hls_assets {current}", params
        ).fetchall()
    ]
    if superseded:
        con.execute(
            "UPDATE hls_assets SET status = 'superseded', superseded_at = now()"
            f" {current}",
            params,
        )
    row = {**asset, "status": "current"}
    cols = list(row)
    con.execute(
        f"INSERT INTO hls_assets ({', '.join(cols)})"
        f" VALUES ({', '.join('?' for _ in cols)})",
        [row[c] for c in cols],
    )
    if renditions:
        frame = pl.DataFrame(list(renditions), infer_schema_length=None)
        merge_frame(
            con, "hls_renditions", frame, key=("asset_id", "name"), soft_delete=False
        )
    return superseded


def asset_ids(con: duckdb.DuckDBPyConnection) -> tuple[set[str], set[str]]:
    """Ids of current assets, and of assets that running or queued jobs build."""
    current = {
        r[0]
        for r in con.execute(
            "SELECT asset_id FROM hls_assets WHERE status = 'current'"
        ).fetchall()
    }
    building = {
        r[0]
        for r in con.execute(
            "SELECT asset_id FROM transcode_jobs WHERE status IN ('queued', 'running')"
            " AND asset_id IS NOT NULL"
        ).fetchall()
    }
    return current, building


def find_asset(con: duckdb.DuckDBPyConnection, item: str) -> list[dict[str, Any]]:
    """Current assets matching an asset id, file or item id, or a title fragment."""
    sql = f"""{_SOURCES}
    SELECT a.*, s.path FROM hls_assets a
    JOIN sources s ON s.server_id = a.server_id AND s.file_native_id = a.file_native_id
    WHERE a.status = 'current' AND (a.asset_id = ? OR {_MATCH})
    ORDER BY s.server_id, s.path"""
    return _rows(con.execute(sql, [item, *([item] * 5)]))


def get_asset(con: duckdb.DuckDBPyConnection, asset_id: str) -> dict[str, Any] | None:
    """One asset row with its renditions (``renditions``), or None."""
    rows = _rows(con.execute("SELECT * FROM hls_assets WHERE asset_id = ?", [asset_id]))
    if not rows:
        return None
    rows[0]["renditions"] = _rows(
        con.execute(
            "SELECT * FROM hls_renditions WHERE asset_id = ?"
            " ORDER BY kind, bandwidth DESC",
            [asset_id],
        )
    )
    return rows[0]


def jobs(
    con: duckdb.DuckDBPyConnection, job_ids: Sequence[str]
) -> list[dict[str, Any]]:
    """Job rows by id, in the given order."""
    found = {
        r["job_id"]: r
        for r in _rows(
            con.execute(
                "SELECT * FROM transcode_jobs WHERE list_contains(?, job_id)",
                [list(job_ids)],
            )
        )
    }
    return [found[j] for j in job_ids if j in found]
