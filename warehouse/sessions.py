"""Watch-session tables: the playback service's batched writes and the restore reads.

The playback service keeps live session state (positions, members, measured latency) in
memory and calls :func:`save_batch` about once a second with everything that changed,
in one transaction: sessions and members are merged by key, events are appended. On
start it calls :func:`restore` to get back every session that had not ended. The
dashboard lists sessions and assets with the read functions here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from warehouse.upsert import merge_frame

if TYPE_CHECKING:
    from collections.abc import Sequence

    import duckdb

SESSION_KEY = ("session_id",)
MEMBER_KEY = ("session_id", "member_id")
EVENT_KEY = ("session_id", "event_no")

SESSION_SCHEMA: dict[str, Any] = {
    "session_id": pl.Utf8,
    "asset_id": pl.Utf8,
    "title": pl.Utf8,
    "host": pl.Utf8,
    "host_member_id": pl.Utf8,
    "mode": pl.Utf8,
    "buffering": pl.Utf8,
    "state": pl.Utf8,
    "position_s": pl.Float64,
    "rate": pl.Float64,
    "reference_time": pl.Float64,
    "epoch": pl.Int64,
    "seq": pl.Int64,
    "created_by": pl.Utf8,
    "created_at": pl.Datetime("us", "UTC"),
    "updated_at": pl.Datetime("us", "UTC"),
    "ended_at": pl.Datetime("us", "UTC"),
}
MEMBER_SCHEMA: dict[str, Any] = {
    "session_id": pl.Utf8,
    "member_id": pl.Utf8,
    "name": pl.Utf8,
    "role": pl.Utf8,
    "status": pl.Utf8,
    "connected": pl.Boolean,
    "rtt_ms": pl.Float64,
    "drift_ms": pl.Float64,
    "joined_at": pl.Datetime("us", "UTC"),
    "last_seen_at": pl.Datetime("us", "UTC"),
    "left_at": pl.Datetime("us", "UTC"),
}
EVENT_SCHEMA: dict[str, Any] = {
    "session_id": pl.Utf8,
    "event_no": pl.Int64,
    "occurred_at": pl.Datetime("us", "UTC"),
    "member_id": pl.Utf8,
    "kind": pl.Utf8,
    "state": pl.Utf8,
    "position_s": pl.Float64,
    "detail": pl.Utf8,
}


def _frame(rows: Sequence[dict[str, Any]], schema: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(
        [{name: row.get(name) for name in schema} for row in rows], schema=schema
    )


def _rows(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def save_batch(
    con: duckdb.DuckDBPyConnection,
    sessions: Sequence[dict[str, Any]] = (),
    members: Sequence[dict[str, Any]] = (),
    events: Sequence[dict[str, Any]] = (),
) -> int:
    """Write one batch: merge sessions and members by key, append new events.

    Returns:
        How many rows were written (inserted or changed) over the three tables.
    """
    written = 0
    if sessions:
        counts = merge_frame(
            con,
            "watch_sessions",
            _frame(sessions, SESSION_SCHEMA),
            key=SESSION_KEY,
            soft_delete=False,
        )
        written += counts.added + counts.updated
    if members:
        counts = merge_frame(
            con,
            "session_members",
            _frame(members, MEMBER_SCHEMA),
            key=MEMBER_KEY,
            soft_delete=False,
        )
        written += counts.added + counts.updated
    if events:
        written += _append_events(con, events)
    return written


def _append_events(
    con: duckdb.DuckDBPyConnection, events: Sequence[dict[str, Any]]
) -> int:
    frame = _frame(events, EVENT_SCHEMA).unique(
        subset=list(EVENT_KEY), keep="last", maintain_order=True
    )
    con.register("_staged_session_events", frame.to_arrow())
    try:
        cols = ", ".join(frame.columns)
        on = " AND ".join(f"t.{c} = s.{c}" for c in EVENT_KEY)
        # An event already stored is left as it is (no UNIQUE key in DuckLake: the
        # MERGE inserts only the new ones).
        con.execute(
            f"MERGE INTO session_events AS t USING _staged_session_events AS s"
            f" ON ({on}) WHEN NOT MATCHED THEN INSERT ({cols})"
            f" VALUES ({', '.join('s.' + c for c in frame.columns)})"
        )
    finally:
        con.unregister("_staged_session_events")
    return frame.height


def restore(
    con: duckdb.DuckDBPyConnection,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, int]]:
    """What a starting service needs: sessions not ended, their members, and each
    session's last event number."""
    sessions = _rows(
        con.execute(
            "SELECT * FROM watch_sessions WHERE state <> 'ended' ORDER BY created_at"
        )
    )
    members = _rows(
        con.execute(
            "SELECT m.* FROM session_members m JOIN watch_sessions s USING (session_id)"
            " WHERE s.state <> 'ended' ORDER BY m.session_id, m.joined_at"
        )
    )
    last = {
        str(sid): int(no)
        for sid, no in con.execute(
            "SELECT e.session_id, max(e.event_no) FROM session_events e"
            " JOIN watch_sessions s USING (session_id) WHERE s.state <> 'ended'"
            " GROUP BY e.session_id"
        ).fetchall()
    }
    return sessions, members, last


def list_sessions(
    con: duckdb.DuckDBPyConnection, include_ended: bool = False, limit: int = 50
) -> list[dict[str, Any]]:
    """Sessions, newest first, with how many members joined and are connected."""
    return _rows(
        con.execute(
            "SELECT s.*, count(m.member_id) AS members,"
            " count(m.member_id) FILTER (WHERE m.connected) AS connected"
            " FROM watch_sessions s LEFT JOIN session_members m USING (session_id)"
            " WHERE ? OR s.state <> 'ended'"
            " GROUP BY ALL ORDER BY s.created_at DESC LIMIT ?",
            [include_ended, limit],
        )
    )


def members(con: duckdb.DuckDBPyConnection, session_id: str) -> list[dict[str, Any]]:
    """The members of one session, in joining order."""
    return _rows(
        con.execute(
            "SELECT * FROM session_members WHERE session_id = ? ORDER BY joined_at",
            [session_id],
        )
    )


def events(
    con: duckdb.DuckDBPyConnection, session_id: str, limit: int = 200
) -> list[dict[str, Any]]:
    """The last events of one session, oldest first."""
    return _rows(
        con.execute(
            "SELECT * FROM (SELECT * FROM session_events WHERE session_id = ?"
            " ORDER BY event_no DESC LIMIT ?) ORDER BY event_no",
            [session_id, limit],
        )
    )


def playable_assets(
    con: duckdb.DuckDBPyConnection, limit: int = 500
) -> list[dict[str, Any]]:
    """Current HLS assets a session can play, by title."""
    return _rows(
        con.execute(
            "SELECT asset_id, coalesce(title, asset_id) AS title, duration_s, mode"
            " FROM hls_assets WHERE status = 'current'"
            " ORDER BY lower(coalesce(title, asset_id)) LIMIT ?",
            [limit],
        )
    )
