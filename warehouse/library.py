"""Library writes and the sync bookkeeping: servers, batches, removals, runs, cursors.

Counting rule for a run: ``added``/``updated``/``removed`` count items (tracks, movies,
episodes); ``failed`` counts files or items that could not be read; artists, albums,
shows and file rows follow their items.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from warehouse.upsert import UpsertCounts, insert_frame, merge_frame

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    import duckdb

ITEM_TABLES = ("tracks", "movies", "episodes")
LEAF_TABLES = (*ITEM_TABLES, "media_files")
WRITE_ORDER = (
    "artists",
    "albums",
    "shows",
    "tracks",
    "movies",
    "episodes",
    "media_files",
)
# A parent row stays while any active child points at it (albums before artists: an
# album artist may have no track of their own, like "Various Artists").
PARENTS = (
    ("albums", (("tracks", "album_native_id"),)),
    ("shows", (("episodes", "show_native_id"),)),
    ("artists", (("tracks", "artist_native_id"), ("albums", "artist_native_id"))),
)


@dataclass(frozen=True, slots=True)
class RemovalResult:
    """What removal detection did: rows removed, or why it removed nothing."""

    removed: int = 0
    candidates: int = 0
    active: int = 0
    suspect_reason: str | None = None


def upsert_server(
    con: duckdb.DuckDBPyConnection, server_id: str, kind: str, location: str
) -> None:
    """Record a configured server (no secrets: ``location`` is a public URL or path)."""
    con.execute(
        "MERGE INTO servers AS t USING (SELECT ?::TEXT AS server_id, ?::TEXT AS kind,"
        " ?::TEXT AS location) AS s ON (t.server_id = s.server_id)"
        " WHEN MATCHED THEN UPDATE SET kind = s.kind, location = s.location,"
        " updated_at = now()"
        " WHEN NOT MATCHED THEN INSERT (server_id, kind, location)"
        " VALUES (s.server_id, s.kind, s.location)",
        [server_id, kind, location],
    )


def set_server_status(
    con: duckdb.DuckDBPyConnection, server_id: str, status: str, detail: str | None
) -> None:
    """Record the server's last known status (``ok``, ``suspect``, ``error``)."""
    con.execute(
        "UPDATE servers SET status = ?, status_detail = ?, updated_at = now() "
        "WHERE server_id = ?",
        [status, detail, server_id],
    )


def known_fingerprints(
    con: duckdb.DuckDBPyConnection, server_id: str
) -> dict[str, str | None]:
    """Native id -> fingerprint of every active row the server has in any library
    table; a file with a content key (a hash of a few blocks) has it appended after
    ``#``, so a client can recognise a file that moved."""
    union = " UNION ALL ".join(
        f"SELECT native_id, fingerprint FROM {t}"
        " WHERE server_id = $s AND removed_at IS NULL"
        for t in WRITE_ORDER
    )
    known = dict(con.execute(union, {"s": server_id}).fetchall())
    contents = con.execute(
        "SELECT native_id, fingerprint || '#' || content_key FROM media_files"
        " WHERE server_id = $s AND removed_at IS NULL AND content_key IS NOT NULL"
        " AND fingerprint IS NOT NULL",
        {"s": server_id},
    ).fetchall()
    known.update(contents)
    return known


def write_batch(
    con: duckdb.DuckDBPyConnection,
    frames: Mapping[str, pl.DataFrame],
    *,
    fresh: bool = False,
) -> UpsertCounts:
    """Merge one batch (frames by table, ``server_id`` included); count item changes.

    The derived keys are computed by the same statement that writes the rows. With
    ``fresh`` (the server had no row at all in the leaf tables when its run began, and
    the run holds its sync lock, so no other writer adds one), a leaf table's rows are
    appended instead of merged: their ids are unique within one listing. Parents
    (artists, albums, shows) repeat across batches and are always merged.
    """
    counts = UpsertCounts()
    for table in WRITE_ORDER:
        frame = frames.get(table)
        if frame is None or frame.height == 0:
            continue
        derived = _DERIVED.get(table)
        inline = derived if derived and _INPUTS[table] <= set(frame.columns) else None
        if fresh and table in LEAF_TABLES:
            frame = frame.unique(subset=["server_id", "native_id"], keep="last")
            insert_frame(con, table, frame, inline)
            result = UpsertCounts(added=frame.height)
        else:
            result = merge_frame(
                con, table, frame, derived=inline, count_added=table in ITEM_TABLES
            )
        if derived and inline is None:
            store_derived_keys(con, table, frame)
        if table in ITEM_TABLES:
            counts += result
    return counts


def count_rows(con: duckdb.DuckDBPyConnection, server_id: str) -> int:
    """Rows the server has in the leaf tables, removed ones included (0: a first
    scan, whose batches may be appended and which has nothing to remove)."""
    union = " UNION ALL ".join(
        f"SELECT count(*) AS n FROM {t} WHERE server_id = $s" for t in LEAF_TABLES
    )
    [(total,)] = con.execute(
        f"SELECT sum(n) FROM ({union})", {"s": server_id}
    ).fetchall()
    return int(total or 0)


# Columns the writer derives from a row's own columns (views/00_macros.sql), stored so
# that reads compare a column instead of normalizing text on every query.
_DERIVED = {
    "tracks": {
        "match_key": "ml_track_match_key(mb_recording_id,"
        " coalesce(artist, album_artist), album, title, duration_s)",
        "search_key": "ml_track_search_key(title, coalesce(artist, album_artist),"
        " album)",
    },
    "media_files": {"search_key": "ml_search_text(path)"},
}
# The columns those expressions read.
_INPUTS = {
    "tracks": {"mb_recording_id", "artist", "album_artist", "album", "title"}
    | {"duration_s"},
    "media_files": {"path"},
}


def store_derived_keys(
    con: duckdb.DuckDBPyConnection, table: str, rows: pl.DataFrame | None = None
) -> None:
    """Store the derived keys (the track match key, the search keys) of ``rows`` of
    ``table`` (a frame with ``server_id`` and ``native_id``; None: every row) where they
    are missing or the row's columns changed them."""
    derived = _DERIVED[table]
    update = f"UPDATE {table} t SET " + ", ".join(
        f"{column} = {expr}" for column, expr in derived.items()
    )
    stale = " OR ".join(
        f"t.{column} IS DISTINCT FROM {expr}" for column, expr in derived.items()
    )
    if rows is None:
        con.execute(f"{update} WHERE {stale}")
        return
    con.register("_keyed", rows.select("server_id", "native_id").to_arrow())
    try:
        con.execute(
            f"{update} FROM _keyed k WHERE t.server_id = k.server_id"
            f" AND t.native_id = k.native_id AND ({stale})"
        )
    finally:
        con.unregister("_keyed")


def detect_removals(
    con: duckdb.DuckDBPyConnection,
    server_id: str,
    seen_ids: Iterable[str],
    threshold: float,
) -> RemovalResult:
    """Soft-remove what this run did not see, unless that looks like an outage.

    Nothing is removed when the run saw nothing while items are stored, or when the
    items to remove exceed ``threshold`` of the server's active items.
    """
    con.register(
        "_seen",
        pl.DataFrame(
            {"native_id": list(seen_ids)}, schema={"native_id": pl.String}
        ).to_arrow(),
    )
    try:
        return _remove_unseen(con, server_id, threshold)
    finally:
        con.unregister("_seen")


def _remove_unseen(
    con: duckdb.DuckDBPyConnection, server_id: str, threshold: float
) -> RemovalResult:
    active_sql = " UNION ALL ".join(
        f"SELECT native_id FROM {t} WHERE server_id = $s AND removed_at IS NULL"
        for t in ITEM_TABLES
    )
    # fetchall, not fetchone: DuckDB refuses to unregister _seen under an open result
    [(seen, active, candidates)] = con.execute(
        "SELECT (SELECT count(*) FROM _seen), count(*), count(*) FILTER"
        f" (WHERE native_id NOT IN (SELECT native_id FROM _seen)) FROM ({active_sql})",
        {"s": server_id},
    ).fetchall()
    if active and not seen:
        return RemovalResult(0, candidates, active, "the server listed no items")
    if active and candidates / active > threshold:
        share = f"{candidates} of {active} items ({candidates / active:.0%})"
        reason = f"would remove {share}, more than the {threshold:.0%} limit"
        return RemovalResult(0, candidates, active, reason)
    for table in LEAF_TABLES:
        _mark_removed(con, table, server_id, "")
    for table, children in PARENTS:
        orphan = "".join(
            f" AND NOT EXISTS (SELECT 1 FROM {child} c WHERE c.server_id = $s"
            f" AND c.{column} = {table}.native_id AND c.removed_at IS NULL)"
            for child, column in children
        )
        _mark_removed(con, table, server_id, orphan)
    return RemovalResult(candidates, candidates, active, None)


def _mark_removed(
    con: duckdb.DuckDBPyConnection, table: str, server_id: str, extra: str
) -> None:
    con.execute(
        f"UPDATE {table} SET removed_at = now()"
        " WHERE server_id = $s AND removed_at IS NULL"
        f" AND native_id NOT IN (SELECT native_id FROM _seen){extra}",
        {"s": server_id},
    )


def get_state(con: duckdb.DuckDBPyConnection, server_id: str, key: str) -> str | None:
    """A stored cursor or other per-server sync state."""
    row = con.execute(
        "SELECT value FROM sync_state WHERE server_id = ? AND key = ?", [server_id, key]
    ).fetchone()
    return row[0] if row else None


def set_state(
    con: duckdb.DuckDBPyConnection, server_id: str, key: str, value: str | None
) -> None:
    """Store a cursor or other per-server sync state."""
    con.execute(
        "MERGE INTO sync_state AS t USING (SELECT ?::TEXT AS server_id,"
        " ?::TEXT AS key, ?::TEXT AS value) AS s"
        " ON (t.server_id = s.server_id AND t.key = s.key)"
        " WHEN MATCHED THEN UPDATE SET value = s.value, updated_at = now()"
        " WHEN NOT MATCHED THEN INSERT (server_id, key, value)"
        " VALUES (s.server_id, s.key, s.value)",
        [server_id, key, value],
    )
