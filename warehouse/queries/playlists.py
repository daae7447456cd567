"""Reads of the Playlists page: managed playlists, the last push to each target, the
entries that need attention, and the candidates of an ambiguous entry."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from warehouse.queries import records

if TYPE_CHECKING:
    import duckdb

ATTENTION = ("missing", "ambiguous", "refused", "edited", "held")


def playlists(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every managed playlist, newest first."""
    return records(
        con,
        "SELECT playlist_id, name, source_kind, source_ref, targets, mirror,"
        " entry_count, read_at, source_error, source_problems FROM managed_playlists"
        " WHERE removed_at IS NULL ORDER BY created_at DESC, name",
    )


def last_pushes(con: duckdb.DuckDBPyConnection, playlist: str) -> list[dict[str, Any]]:
    """The latest push of ``playlist`` to each server."""
    return records(
        con,
        "SELECT * FROM playlist_syncs WHERE playlist_id = ? QUALIFY row_number()"
        " OVER (PARTITION BY server_id ORDER BY started_at DESC) = 1"
        " ORDER BY server_id",
        [playlist],
    )


def attention(con: duckdb.DuckDBPyConnection, sync_id: str) -> list[dict[str, Any]]:
    """The items of a push that need a person: missing, ambiguous, refused, edited."""
    return records(
        con,
        "SELECT position, label, status, track_native_id, reason"
        " FROM playlist_sync_items WHERE sync_id = ? AND status IN"
        " (SELECT unnest(?)) ORDER BY position NULLS LAST, track_native_id",
        [sync_id, list(ATTENTION)],
    )


def ambiguous(
    con: duckdb.DuckDBPyConnection, playlist: str, server: str
) -> list[dict[str, Any]]:
    """Ambiguous entries of a playlist on ``server`` with their candidates
    (``[native_id, score, label]``, best first)."""
    found = records(
        con,
        "SELECT e.position, e.entry_key, e.artist, e.title, m.candidates"
        " FROM playlist_matches m JOIN managed_playlist_entries e"
        " USING (playlist_id, entry_key) WHERE m.playlist_id = ? AND m.server_id = ?"
        " AND m.status = 'ambiguous' ORDER BY e.position",
        [playlist, server],
    )
    for row in found:
        row["candidates"] = json.loads(row["candidates"] or "[]")
    return found
