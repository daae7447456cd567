"""Per-user playback progress: append the player's reports in batches, read each
user's latest state (the ``playback_progress`` view).

Progress is hot state (a report every few seconds per viewer): the playback service
keeps the newest reports in memory (:mod:`playback.progress`) and appends them here in
one MERGE per batch, keyed on ``event_id`` so a batch written twice adds nothing.
"""

from __future__ import annotations

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
            "SELECT p.*, a.server_id, a.item_native_id FROM _progress p"
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


def latest(
    con: duckdb.DuckDBPyConnection, user_id: str, asset_id: str
) -> dict[str, Any] | None:
    """A user's latest state of one asset (position, duration, finished), or None."""
    rows = records(
        con,
        "SELECT asset_id, title, position_s, duration_s, finished, recorded_at"
        " FROM playback_progress WHERE user_id = $u AND asset_id = $a",
        {"u": user_id, "a": asset_id},
    )
    return rows[0] if rows else None


def continue_watching(
    con: duckdb.DuckDBPyConnection, user_id: str, limit: int = 12
) -> list[dict[str, Any]]:
    """A user's started, unfinished, still playable titles, latest first."""
    return records(
        con,
        "SELECT asset_id, title, position_s, duration_s, recorded_at"
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
