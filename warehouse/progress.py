"""Per-user playback progress: append the player's reports in batches, import the
positions media servers report, read each user's latest state per item (the
``playback_progress`` view).

Progress is hot state (a report every few seconds per viewer): the playback service
keeps the newest reports in memory (:mod:`playback.progress`) and appends them here in
one MERGE per batch, keyed on ``event_id`` so a batch written twice adds nothing.

A state belongs to the item (movie, episode, track) of the asset played, so a
re-transcoded title keeps its resume point; a library sync adds the state Plex or
Jellyfin reports for an item (:func:`import_states`) with an ``event_id`` derived from
that state, so a re-sync adds nothing; the newest ``recorded_at`` wins.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import polars as pl

from warehouse.queries import records
from warehouse.upsert import merge_frame

if TYPE_CHECKING:
    from collections.abc import Sequence

    import duckdb

SCHEMA: dict[str, pl.DataType] = {
    "event_id": pl.String(),
    "user_id": pl.String(),
    "asset_id": pl.String(),
    "position_s": pl.Float64(),
    "duration_s": pl.Float64(),
    "finished": pl.Boolean(),
    "recorded_at": pl.Datetime("us", "UTC"),
}
IMPORT_SCHEMA: dict[str, pl.DataType] = {
    "item_native_id": pl.String(),
    "position_s": pl.Float64(),
    "duration_s": pl.Float64(),
    "finished": pl.Boolean(),
    "recorded_at": pl.Datetime("us", "UTC"),
}


def append_events(
    con: duckdb.DuckDBPyConnection, events: Sequence[dict[str, Any]]
) -> int:
    """Append progress reports (``SCHEMA``'s fields); each gets its asset's item.
    Returns how many were new."""
    if not events:
        return 0
    frame = pl.DataFrame([{k: e.get(k) for k in SCHEMA} for e in events], schema=SCHEMA)
    con.register("_progress", frame.to_arrow())
    try:
        staged = con.sql(
            "SELECT p.*, a.server_id, a.item_native_id, 'player' AS source"
            " FROM _progress p"
            " LEFT JOIN hls_assets a ON a.asset_id = p.asset_id"
        ).pl()
    finally:
        con.unregister("_progress")
    counts = merge_frame(
        con,
        "playback_progress_events",
        staged,
        key=("event_id",),
        soft_delete=False,
    )
    return counts.added


def import_states(
    con: duckdb.DuckDBPyConnection,
    server_id: str,
    user_id: str,
    source: str,
    states: Sequence[dict[str, Any]],
) -> int:
    """Add the states a media server reports for a user's items (``IMPORT_SCHEMA``'s
    fields) as events of ``user_id``; one MERGE. A state is added only when it is newer
    than every state the user already has for the item, so a re-sync adds nothing and
    an older server position never hides a newer local one. Returns how many were new.
    """
    if not states:
        return 0
    frame = pl.DataFrame(
        [{k: s.get(k) for k in IMPORT_SCHEMA} for s in states], schema=IMPORT_SCHEMA
    ).with_columns(
        pl.lit(server_id).alias("server_id"),
        pl.lit(user_id).alias("user_id"),
        pl.lit(source).alias("source"),
        pl.lit(None, pl.String()).alias("asset_id"),
        event_id=pl.Series([_state_id(server_id, user_id, source, s) for s in states]),
    )
    con.register("_imported", frame.to_arrow())
    try:
        staged = con.sql(
            "SELECT i.* FROM _imported i WHERE NOT EXISTS (SELECT 1"
            " FROM playback_progress_events e WHERE e.user_id = i.user_id"
            " AND e.server_id = i.server_id AND e.item_native_id = i.item_native_id"
            " AND e.recorded_at >= i.recorded_at)"
        ).pl()
    finally:
        con.unregister("_imported")
    counts = merge_frame(
        con, "playback_progress_events", staged, key=("event_id",), soft_delete=False
    )
    return counts.added


def _state_id(server_id: str, user_id: str, source: str, state: dict[str, Any]) -> str:
    """The same state of the same item always gets the same event id."""
    parts = [server_id, user_id, source]
    parts += [str(state.get(k)) for k in IMPORT_SCHEMA]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def latest(
    con: duckdb.DuckDBPyConnection, user_id: str, asset_id: str
) -> dict[str, Any] | None:
    """A user's latest state of one asset's item (position, duration, finished, and
    ``source``: player, plex or jellyfin), or None."""
    rows = records(
        con,
        "SELECT p.asset_id, p.title, p.position_s, p.duration_s, p.finished,"
        " p.recorded_at, p.source FROM playback_progress p"
        " LEFT JOIN hls_assets a ON a.asset_id = $a"
        " WHERE p.user_id = $u AND (p.asset_id = $a OR (p.server_id = a.server_id"
        " AND p.item_native_id = a.item_native_id))"
        " ORDER BY p.recorded_at DESC LIMIT 1",
        {"u": user_id, "a": asset_id},
    )
    return rows[0] if rows else None


def continue_watching(
    con: duckdb.DuckDBPyConnection, user_id: str, limit: int = 12
) -> list[dict[str, Any]]:
    """A user's started, unfinished, still playable titles, latest first."""
    return records(
        con,
        "SELECT asset_id, title, position_s, duration_s, recorded_at, source"
        " FROM playback_progress WHERE user_id = $u AND NOT finished"
        " AND position_s > 0 AND playable ORDER BY recorded_at DESC LIMIT $n",
        {"u": user_id, "n": limit},
    )


def user_id_of(con: duckdb.DuckDBPyConnection, username: str) -> str | None:
    """The id of an active user by name (None: no such user)."""
    rows = con.execute(
        "SELECT user_id FROM users WHERE username = ? AND disabled_at IS NULL",
        [username],
    ).fetchall()
    return str(rows[0][0]) if rows else None
