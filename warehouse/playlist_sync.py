"""Managed playlists in the warehouse: sources and entries, matches per server, what
was pushed to each target, and the per-item report of every push (migration 014).

Writes are set-based (a staged frame, then ``MERGE`` on the key, or a replace of one
playlist's entries) inside ``wh.write()``. The matcher's candidate query is in
:mod:`warehouse.playlist_match`.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import polars as pl

from warehouse.downloads import rows
from warehouse.upsert import insert_frame, merge_frame

if TYPE_CHECKING:
    from collections.abc import Sequence

    from warehouse.db import Warehouse

ENTRY_COLUMNS = (
    "entry_key title artist album duration_s location mb_recording_id match_key".split()
)
ENTRY_SCHEMA = {
    "entry_key": pl.String,
    "title": pl.String,
    "artist": pl.String,
    "album": pl.String,
    "duration_s": pl.Float64,
    "location": pl.String,
    "mb_recording_id": pl.String,
    "match_key": pl.String,
}


def playlist_id(source_kind: str, source_ref: str) -> str:
    """The id of the playlist read from a source (the same source, the same id)."""
    import hashlib

    return hashlib.sha1(f"{source_kind}\x1f{source_ref}".encode()).hexdigest()[:16]


def save_source(
    wh: Warehouse,
    row: dict[str, Any],
    entries: Sequence[dict[str, Any]],
) -> None:
    """Store a playlist's source row and replace its entries (positions from 0)."""
    frame = pl.DataFrame(
        [{k: e.get(k) for k in ENTRY_COLUMNS} for e in entries],
        schema=ENTRY_SCHEMA,
    ).with_row_index("position")
    frame = frame.select(
        pl.lit(row["playlist_id"]).alias("playlist_id"),
        pl.col("position").cast(pl.Int32),
        *ENTRY_COLUMNS,
    )
    head = pl.DataFrame(
        [{**row, "entry_count": frame.height}],
        schema_overrides={"targets": pl.List(pl.String)},
    )
    with wh.write() as con:
        merge_frame(con, "managed_playlists", head, ("playlist_id",))
        con.execute(
            "DELETE FROM managed_playlist_entries WHERE playlist_id = ?",
            [row["playlist_id"]],
        )
        insert_frame(con, "managed_playlist_entries", frame)


def mark_source_error(wh: Warehouse, playlist: str, error: str) -> None:
    """Record that re-reading a playlist's source failed (its entries are kept)."""
    with wh.write() as con:
        con.execute(
            "UPDATE managed_playlists SET source_error = ?, updated_at = now()"
            " WHERE playlist_id = ?",
            [error, playlist],
        )


def find_playlist(wh: Warehouse, ref: str) -> dict[str, Any] | None:
    """A managed playlist by id, name or source reference."""
    with wh.read() as con:
        found = rows(
            con,
            "SELECT * FROM managed_playlists WHERE removed_at IS NULL AND"
            " (playlist_id = $1 OR name = $1 OR source_ref = $1)"
            " ORDER BY (playlist_id = $1) DESC, created_at LIMIT 1",
            ref,
        )
    return found[0] if found else None


def list_playlists(
    wh: Warehouse, *, mirrored_only: bool = False
) -> list[dict[str, Any]]:
    """Every managed playlist (newest first)."""
    where = " AND mirror" if mirrored_only else ""
    with wh.read() as con:
        return rows(
            con,
            "SELECT * FROM managed_playlists WHERE removed_at IS NULL"
            f"{where} ORDER BY created_at DESC, name",
        )


def entries(wh: Warehouse, playlist: str) -> list[dict[str, Any]]:
    """A playlist's entries in order."""
    with wh.read() as con:
        return rows(
            con,
            "SELECT * FROM managed_playlist_entries WHERE playlist_id = ?"
            " ORDER BY position",
            playlist,
        )


def save_matches(
    wh: Warehouse, playlist: str, server: str, matches: Sequence[dict[str, Any]]
) -> None:
    """Store the matches of a playlist's entries on ``server``; a match resolved by
    hand is kept, and matches of entries no longer in the playlist are dropped."""
    frame = pl.DataFrame(
        [
            {
                "playlist_id": playlist,
                "entry_key": m["entry_key"],
                "server_id": server,
                "status": m["status"],
                "track_native_id": m.get("track_native_id"),
                "score": m.get("score"),
                "method": m.get("method"),
                "reason": m.get("reason"),
                "candidates": json.dumps(m.get("candidates") or []),
            }
            for m in matches
        ],
        schema={
            "playlist_id": pl.String,
            "entry_key": pl.String,
            "server_id": pl.String,
            "status": pl.String,
            "track_native_id": pl.String,
            "score": pl.Float64,
            "method": pl.String,
            "reason": pl.String,
            "candidates": pl.String,
        },
    )
    with wh.write() as con:
        hand = {
            key
            for (key,) in con.execute(
                "SELECT entry_key FROM playlist_matches WHERE playlist_id = ?"
                " AND server_id = ? AND by_hand",
                [playlist, server],
            ).fetchall()
        }
        frame = frame.filter(~pl.col("entry_key").is_in(list(hand)))
        merge_frame(
            con,
            "playlist_matches",
            frame,
            ("playlist_id", "entry_key", "server_id"),
            soft_delete=False,
        )
        con.execute(
            "DELETE FROM playlist_matches WHERE playlist_id = ? AND server_id = ?"
            " AND entry_key NOT IN (SELECT entry_key FROM managed_playlist_entries"
            " WHERE playlist_id = ?)",
            [playlist, server, playlist],
        )


def matches(wh: Warehouse, playlist: str, server: str) -> dict[str, dict[str, Any]]:
    """The stored matches of a playlist on ``server`` by entry key."""
    with wh.read() as con:
        found = rows(
            con,
            "SELECT * FROM playlist_matches WHERE playlist_id = ? AND server_id = ?",
            playlist,
            server,
        )
    return {m["entry_key"]: m for m in found}


def resolve(
    wh: Warehouse, playlist: str, entry_key: str, server: str, native_id: str | None
) -> bool:
    """Settle one entry by hand: the chosen track, or None for "not on this server".
    Returns False when the entry or the track does not exist."""
    with wh.write() as con:
        known = con.execute(
            "SELECT count(*) FROM managed_playlist_entries WHERE playlist_id = ?"
            " AND entry_key = ?",
            [playlist, entry_key],
        ).fetchone()
        if not known or not known[0]:
            return False
        if native_id is not None:
            track = con.execute(
                "SELECT count(*) FROM tracks WHERE server_id = ? AND native_id = ?"
                " AND removed_at IS NULL",
                [server, native_id],
            ).fetchone()
            if not track or not track[0]:
                return False
        frame = pl.DataFrame(
            [
                {
                    "playlist_id": playlist,
                    "entry_key": entry_key,
                    "server_id": server,
                    "status": "matched" if native_id else "missing",
                    "track_native_id": native_id,
                    "score": 1.0 if native_id else None,
                    "method": "hand",
                    "reason": None if native_id else "not on this server (by hand)",
                    "by_hand": True,
                }
            ],
            schema_overrides={"track_native_id": pl.String, "score": pl.Float64},
        )
        merge_frame(
            con,
            "playlist_matches",
            frame,
            ("playlist_id", "entry_key", "server_id"),
            soft_delete=False,
        )
    return True


def target(wh: Warehouse, playlist: str, server: str) -> dict[str, Any] | None:
    """What was last pushed to ``server`` for a playlist."""
    with wh.read() as con:
        found = rows(
            con,
            "SELECT * FROM playlist_targets WHERE playlist_id = ? AND server_id = ?",
            playlist,
            server,
        )
    return found[0] if found else None


def record_push(
    wh: Warehouse,
    sync: dict[str, Any],
    items: Sequence[dict[str, Any]],
    pushed: dict[str, Any] | None,
) -> str:
    """Store one push's report (its row and its items) and, when something was
    written, what the target now holds. Returns the sync id."""
    sync_id = sync.get("sync_id") or uuid.uuid4().hex[:16]
    head = pl.DataFrame([{**sync, "sync_id": sync_id}])
    item_frame = pl.DataFrame(
        [{**item, "sync_id": sync_id} for item in items],
        schema={
            "sync_id": pl.String,
            "position": pl.Int32,
            "entry_key": pl.String,
            "label": pl.String,
            "status": pl.String,
            "track_native_id": pl.String,
            "score": pl.Float64,
            "method": pl.String,
            "reason": pl.String,
        },
    )
    with wh.write() as con:
        merge_frame(con, "playlist_syncs", head, ("sync_id",), soft_delete=False)
        insert_frame(con, "playlist_sync_items", item_frame)
        if pushed is not None:
            frame = pl.DataFrame(
                [pushed], schema_overrides={"pushed_track_ids": pl.List(pl.String)}
            )
            merge_frame(
                con,
                "playlist_targets",
                frame,
                ("playlist_id", "server_id"),
                soft_delete=False,
            )
    return sync_id


def track_files(
    wh: Warehouse, server: str, native_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Path, title, artist and duration of tracks of ``server`` by native id."""
    if not native_ids:
        return {}
    with wh.read() as con:
        found = rows(
            con,
            "SELECT t.native_id, f.path, t.title, coalesce(t.artist, t.album_artist)"
            " AS artist, t.duration_s FROM tracks t JOIN media_files f"
            " ON f.server_id = t.server_id AND f.native_id = t.file_native_id"
            " WHERE t.server_id = ? AND t.native_id IN (SELECT unnest(?))",
            server,
            list(native_ids),
        )
    return {r["native_id"]: r for r in found}


def server_tracks(
    wh: Warehouse, server: str, native_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """What the warehouse knows of tracks of ``server`` (a playlist source)."""
    if not native_ids:
        return {}
    with wh.read() as con:
        found = rows(
            con,
            "SELECT native_id, title, coalesce(artist, album_artist) AS artist, album,"
            " duration_s, nullif(mb_recording_id, '') AS mb_recording_id, match_key"
            " FROM tracks WHERE server_id = ? AND native_id IN (SELECT unnest(?))",
            server,
            list(native_ids),
        )
    return {r["native_id"]: r for r in found}


def last_reports(wh: Warehouse, playlist: str) -> list[dict[str, Any]]:
    """The latest push of a playlist to each server."""
    with wh.read() as con:
        return rows(
            con,
            "SELECT * FROM playlist_syncs WHERE playlist_id = ?"
            " QUALIFY row_number() OVER (PARTITION BY server_id"
            " ORDER BY started_at DESC) = 1 ORDER BY server_id",
            playlist,
        )


def report_items(
    wh: Warehouse, sync_id: str, statuses: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """The items of one push (only ``statuses`` when given), in playlist order."""
    where = " AND status IN (SELECT unnest(?))" if statuses else ""
    params: list[Any] = [sync_id, *([list(statuses)] if statuses else [])]
    with wh.read() as con:
        return rows(
            con,
            f"SELECT * FROM playlist_sync_items WHERE sync_id = ?{where}"
            " ORDER BY position NULLS LAST, track_native_id",
            *params,
        )


def missing_entries(
    wh: Warehouse, playlist: str, server: str | None = None
) -> list[dict[str, Any]]:
    """Entries missing on ``server`` (on any target when None), in order, once."""
    with wh.read() as con:
        return rows(
            con,
            "SELECT DISTINCT e.* FROM managed_playlist_entries e JOIN playlist_matches"
            " m USING (playlist_id, entry_key) WHERE e.playlist_id = ? AND m.status ="
            " 'missing' AND (? IS NULL OR m.server_id = ?) ORDER BY e.position",
            playlist,
            server,
            server,
        )


def library_bounds(wh: Warehouse, server: str) -> tuple[str | None, str | None]:
    """The first and last file path of a server in sort order: their common folder
    is the folder every file of the server shares."""
    with wh.read() as con:
        row = con.execute(
            "SELECT min(path), max(path) FROM media_files WHERE server_id = ?"
            " AND removed_at IS NULL",
            [server],
        ).fetchone()
    return (row[0], row[1]) if row else (None, None)


def downloads_since_push(wh: Warehouse, servers: Sequence[str]) -> list[str]:
    """The servers among ``servers`` that have missing entries and that a download
    was imported for since their last push: they need a rescan before the next."""
    if not servers:
        return []
    with wh.read() as con:
        found = con.execute(
            "WITH s AS (SELECT unnest(?) AS server_id),"
            " imported AS (SELECT max(updated_at) AS at FROM wanted_items"
            "  WHERE status = 'imported'),"
            " pushed AS (SELECT server_id, max(finished_at) AS at,"
            "  max_by(missing, finished_at) AS missing FROM playlist_syncs"
            "  GROUP BY server_id)"
            " SELECT s.server_id FROM s JOIN pushed USING (server_id), imported"
            " WHERE pushed.missing > 0 AND imported.at > pushed.at",
            [list(servers)],
        ).fetchall()
    return [server for (server,) in found]
