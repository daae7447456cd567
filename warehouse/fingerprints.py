"""Fingerprint identifications in the warehouse: per-file matches merged on the path,
and the run rows whose counts grow batch by batch (the dashboard's progress)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import polars as pl

from warehouse.upsert import UpsertCounts, merge_frame

if TYPE_CHECKING:
    from collections.abc import Sequence

    import duckdb

MATCH_COLUMNS = (
    "path folder status score recording_id title artist release_id album album_artist"
    " year disc_no track_no duration_s reason run_id".split()
)
_SCHEMA: dict[str, pl.DataType] = {
    "score": pl.Float64(),
    "year": pl.Int32(),
    "disc_no": pl.Int32(),
    "track_no": pl.Int32(),
    "duration_s": pl.Float64(),
}
_COUNTS = ("files_done", "accepted", "review", "no_match", "acoustid_requests")


def merge_matches(
    con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]
) -> UpsertCounts:
    """Upsert file matches on ``path`` (the newest identification wins)."""
    records = [{c: r.get(c) for c in MATCH_COLUMNS} for r in rows]
    frame = pl.DataFrame(records, schema_overrides=_SCHEMA, infer_schema_length=None)
    return merge_frame(con, "fingerprint_matches", frame, ("path",), soft_delete=False)


def accepted_paths(con: duckdb.DuckDBPyConnection, paths: Sequence[str]) -> set[str]:
    """Which of ``paths`` already have an accepted identification."""
    if not paths:
        return set()
    con.register("_asked_paths", pl.DataFrame({"path": list(paths)}).to_arrow())
    try:
        found = con.execute(
            "SELECT path FROM fingerprint_matches WHERE status = 'accepted'"
            " AND path IN (SELECT path FROM _asked_paths)"
        ).fetchall()
    finally:
        con.unregister("_asked_paths")
    return {p for (p,) in found}


def untagged_track_files(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """``(server_id, path)`` of every library track without a MusicBrainz recording
    id (not removed), as its server lists the file."""
    return [
        (str(server), str(path))
        for server, path in con.execute(
            "SELECT f.server_id, f.path FROM tracks t JOIN media_files f"
            " ON f.server_id = t.server_id AND f.native_id = t.file_native_id"
            " WHERE t.removed_at IS NULL AND f.removed_at IS NULL"
            " AND t.mb_recording_id IS NULL ORDER BY f.server_id, f.path"
        ).fetchall()
    ]


def start_run(
    con: duckdb.DuckDBPyConnection, total: int, flow_run_id: str | None
) -> str:
    """A running identification run; its id."""
    run_id = uuid.uuid4().hex[:16]
    con.execute(
        "INSERT INTO fingerprint_runs (run_id, status, files_total, flow_run_id)"
        " VALUES (?, 'running', ?, ?)",
        [run_id, total, flow_run_id],
    )
    return run_id


def add_to_run(con: duckdb.DuckDBPyConnection, run_id: str, **counts: int) -> None:
    """Add a batch's counts to its run."""
    names = [k for k in counts if k in _COUNTS]
    if names:
        con.execute(
            f"UPDATE fingerprint_runs SET {', '.join(f'{k} = {k} + ?' for k in names)}"
            " WHERE run_id = ?",
            [*(counts[k] for k in names), run_id],
        )


def end_run(
    con: duckdb.DuckDBPyConnection, run_id: str, status: str, error: str | None = None
) -> None:
    """Finish a run (``succeeded`` or ``failed`` with the error)."""
    con.execute(
        "UPDATE fingerprint_runs SET status = ?, error = ?, finished_at = now()"
        " WHERE run_id = ?",
        [status, error, run_id],
    )


def latest_matches(con: duckdb.DuckDBPyConnection, limit: int = 500) -> pl.DataFrame:
    """Identified files, review first, then by folder and track."""
    return con.execute(
        "SELECT status, score, artist, album, year, disc_no, track_no, title, path,"
        " reason, release_id, recording_id FROM fingerprint_matches"
        " ORDER BY status = 'accepted', folder, disc_no, track_no, path LIMIT ?",
        [limit],
    ).pl()


def runs(con: duckdb.DuckDBPyConnection, limit: int = 10) -> pl.DataFrame:
    """The latest identification runs with their progress."""
    return con.execute(
        "SELECT status, files_done, files_total, accepted, review, no_match,"
        " acoustid_requests, error, started_at, finished_at FROM fingerprint_runs"
        " ORDER BY started_at DESC LIMIT ?",
        [limit],
    ).pl()
