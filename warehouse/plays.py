"""Play history, play counts and playlists: set-based, deduplicated across runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from warehouse.upsert import insert_frame, merge_frame

if TYPE_CHECKING:
    from datetime import datetime

    import duckdb

PLAY_KEY = ("server_id", "user_name", "item_native_id", "played_at")


def latest_play(con: duckdb.DuckDBPyConnection, server_id: str) -> datetime | None:
    """The newest stored play of a server (history is read from there on)."""
    row = con.execute(
        "SELECT max(played_at) FROM play_events WHERE server_id = ?", [server_id]
    ).fetchone()
    return row[0] if row else None


def store_plays(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> int:
    """Insert play events not stored yet; return how many were new."""
    return merge_frame(con, "play_events", frame, PLAY_KEY, soft_delete=False).added


def store_play_counts(
    con: duckdb.DuckDBPyConnection, server_id: str, frame: pl.DataFrame
) -> int:
    """Set ``tracks.play_count`` from (native_id, play_count) rows; return changes."""
    con.register("_counts", frame.to_arrow())
    try:
        [(changed,)] = con.execute(
            "UPDATE tracks SET play_count = c.play_count FROM _counts c"
            " WHERE tracks.server_id = ? AND tracks.native_id = c.native_id"
            " AND tracks.play_count IS DISTINCT FROM c.play_count",
            [server_id],
        ).fetchall()
    finally:
        con.unregister("_counts")
    return int(changed)


def store_playlists(
    con: duckdb.DuckDBPyConnection,
    server_id: str,
    playlists: pl.DataFrame,
    items: pl.DataFrame,
) -> int:
    """Upsert playlists, replace their items, soft-remove playlists no longer listed."""
    merge_frame(con, "playlists", playlists)
    ids = pl.DataFrame(
        {"native_id": playlists["native_id"]}, schema={"native_id": pl.String}
    )
    con.register("_listed", ids.to_arrow())
    try:
        con.execute(
            "UPDATE playlists SET removed_at = now()"
            " WHERE server_id = ? AND removed_at IS NULL"
            " AND native_id NOT IN (SELECT native_id FROM _listed)",
            [server_id],
        )
        con.execute(
            "DELETE FROM playlist_items WHERE server_id = ?"
            " AND playlist_native_id IN (SELECT native_id FROM _listed)",
            [server_id],
        )
    finally:
        con.unregister("_listed")
    insert_frame(con, "playlist_items", items)
    return playlists.height
