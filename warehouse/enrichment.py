"""Enrichment storage: what to probe and identify, and where the answers go.

"New since the last run" is decided by keys, not timestamps: a file is probed when its
fingerprint differs from the one probed (or it was never probed); an item is identified
when it has no identity, was skipped (offline, no key), or its key (its fingerprint, or
a hash of its tracks' or episodes' fingerprints) changed. Manual overrides live in
their own table that nothing here writes; automatic decisions never replace an item
that has one. The response cache keeps API answers with an expiry.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import polars as pl

from warehouse.upsert import merge_frame

if TYPE_CHECKING:
    import duckdb

    from warehouse.db import Warehouse

IDENTITY_KEY = ("entity", "server_id", "native_id")
FILE_KEY = ("server_id", "native_id")
_PENDING = (
    "(i.native_id IS NULL OR i.status = 'skipped' OR i.item_key IS DISTINCT FROM"
    " q.item_key"
    " OR (i.decided_by = 'override' AND o.native_id IS NULL))"
)


# -- runs ---------------------------------------------------------------------------
def start_run(
    con: duckdb.DuckDBPyConnection, run_id: str, flow_run_id: str | None
) -> None:
    """Insert a ``running`` run; close runs that a killed process left running."""
    con.execute(
        "UPDATE enrichment_runs SET status = 'failed', finished_at = now(), error ="
        " 'interrupted: the process ended before the run finished' WHERE status ="
        " 'running'"
    )
    con.execute(
        "INSERT INTO enrichment_runs (run_id, status, flow_run_id) VALUES (?,"
        " 'running', ?)",
        [run_id, flow_run_id],
    )


def add_progress(
    con: duckdb.DuckDBPyConnection, run_id: str, items: int, total: int | None = None
) -> tuple[int, int]:
    """Add finished items (and grow the total by ``total``); return done and total."""
    con.execute(
        "UPDATE enrichment_runs SET items_done = items_done + ?,"
        " items_total = items_total + coalesce(?, 0) WHERE run_id = ?",
        [items, total, run_id],
    )
    # Read back in the same transaction (DuckLake has no RETURNING).
    row = con.execute(
        "SELECT items_done, items_total FROM enrichment_runs WHERE run_id = ?",
        [run_id],
    ).fetchone()
    return (row[0], row[1]) if row else (0, 0)


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    status: str,
    counts: dict[str, int],
    error: str | None = None,
) -> None:
    """Close the run with its status, counts and duration."""
    names = [n for n in counts if n in RUN_COUNTS]
    sets = "".join(f", {n} = ?" for n in names)
    con.execute(
        f"UPDATE enrichment_runs SET status = ?, error = ?{sets}, finished_at = now(),"
        " duration_s = epoch(now()) - epoch(started_at) WHERE run_id = ?",
        [status, error, *(counts[n] for n in names), run_id],
    )


RUN_COUNTS = (
    "probed",
    "probe_errors",
    "accepted",
    "review",
    "rejected",
    "skipped",
    "requests",
    "cache_hits",
    "writebacks",
)


def get_run(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any] | None:
    """One run as a dict."""
    cur = con.execute("SELECT * FROM enrichment_runs WHERE run_id = ?", [run_id])
    row = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None


# -- probes ---------------------------------------------------------------------------
def files_to_probe(
    con: duckdb.DuckDBPyConnection, redo: bool = False
) -> list[dict[str, Any]]:
    """Active files never probed, or changed since: every video, and audio whose tags
    lacked a duration or codec. The probe key is the fingerprint (else size and mtime,
    else the id)."""
    return _dicts(
        con,
        "WITH q AS (SELECT f.server_id, f.native_id, f.path, f.media_kind,"
        " coalesce(f.fingerprint, 'stat:' || f.size || ':' || epoch_ms(f.mtime),"
        " 'id:' || f.native_id) AS probe_key"
        " FROM media_files f WHERE f.removed_at IS NULL"
        " AND (f.media_kind = 'video' OR (f.media_kind = 'audio'"
        " AND (f.duration_s IS NULL OR f.container IS NULL))))"
        " SELECT q.* FROM q LEFT JOIN media_probes p USING (server_id, native_id)"
        " WHERE $redo OR p.probe_key IS DISTINCT FROM q.probe_key"
        " ORDER BY q.server_id, q.path",
        {"redo": redo},
    )


def store_probes(
    con: duckdb.DuckDBPyConnection, probes: pl.DataFrame, streams: pl.DataFrame
) -> None:
    """Replace the probe rows and the streams of the probed files."""
    if probes.height == 0:
        return
    merge_frame(con, "media_probes", probes, FILE_KEY, soft_delete=False)
    _replace(con, "media_streams", probes.select(FILE_KEY), streams, FILE_KEY)


# -- identities -----------------------------------------------------------------------
def _pending(entity: str, items_sql: str, redo: bool) -> str:
    return (
        f"WITH q AS ({items_sql}) SELECT q.* FROM q"
        f" LEFT JOIN identities i ON i.entity = '{entity}'"
        " AND i.server_id = q.server_id AND i.native_id = q.native_id"
        f" LEFT JOIN identity_overrides o ON o.entity = '{entity}'"
        " AND o.server_id = q.server_id AND o.native_id = q.native_id"
        f" WHERE o.native_id IS NULL AND ({'true' if redo else _PENDING})"
        " ORDER BY q.server_id, q.native_id"
    )


def movies_to_identify(
    con: duckdb.DuckDBPyConnection, redo: bool = False
) -> list[dict[str, Any]]:
    """Movies to identify, with their file's path and probed duration."""
    items = (
        "SELECT m.server_id, m.native_id, m.title, m.year, f.path,"
        " coalesce(p.duration_s, m.duration_s, f.duration_s) AS duration_s,"
        " coalesce(m.fingerprint, m.native_id) AS item_key FROM movies m"
        " LEFT JOIN media_files f ON f.server_id = m.server_id"
        " AND f.native_id = m.file_native_id"
        " LEFT JOIN media_probes p ON p.server_id = f.server_id AND p.native_id ="
        " f.native_id"
        " WHERE m.removed_at IS NULL"
    )
    return _dicts(con, _pending("movie", items, redo))


def shows_to_identify(
    con: duckdb.DuckDBPyConnection, redo: bool = False
) -> list[dict[str, Any]]:
    """Shows to identify, each with its episodes (season, number, probed duration)."""
    items = (
        "SELECT s.server_id, s.native_id, s.title, s.year,"
        " md5(string_agg(e.native_id || ':' || coalesce(e.fingerprint, ''), ','"
        " ORDER BY e.native_id)) AS item_key,"
        " list({'native_id': e.native_id, 'season': e.season, 'episode': e.episode,"
        " 'duration_s': coalesce(p.duration_s, e.duration_s)} ORDER BY e.season,"
        " e.episode)"
        " AS episodes FROM shows s JOIN episodes e ON e.server_id = s.server_id"
        " AND e.show_native_id = s.native_id AND e.removed_at IS NULL"
        " LEFT JOIN media_probes p ON p.server_id = e.server_id"
        " AND p.native_id = e.file_native_id"
        " WHERE s.removed_at IS NULL GROUP BY s.server_id, s.native_id, s.title, s.year"
    )
    return _dicts(con, _pending("show", items, redo))


def albums_to_identify(
    con: duckdb.DuckDBPyConnection, redo: bool = False
) -> list[dict[str, Any]]:
    """Albums to identify, each with its tracks (tags, durations, tagged MBIDs,
    path)."""
    items = (
        "SELECT a.server_id, a.native_id, a.title, a.year, a.track_count,"
        " coalesce(a.album_artist, any_value(t.artist)) AS artist,"
        " a.artist_native_id, coalesce(a.mbid, mode(t.mb_release_id)) AS release_id,"
        " md5(string_agg(t.native_id || ':' || coalesce(t.fingerprint, ''), ','"
        " ORDER BY t.native_id)) AS item_key,"
        " list({'native_id': t.native_id, 'title': t.title, 'disc_no': t.disc_no,"
        " 'track_no': t.track_no, 'duration_s': coalesce(t.duration_s, p.duration_s),"
        " 'recording_id': t.mb_recording_id, 'path': f.path}"
        " ORDER BY t.disc_no, t.track_no) AS tracks"
        " FROM albums a JOIN tracks t ON t.server_id = a.server_id"
        " AND t.album_native_id = a.native_id AND t.removed_at IS NULL"
        " LEFT JOIN media_files f ON f.server_id = t.server_id"
        " AND f.native_id = t.file_native_id"
        " LEFT JOIN media_probes p ON p.server_id = f.server_id AND p.native_id ="
        " f.native_id"
        " WHERE a.removed_at IS NULL GROUP BY a.server_id, a.native_id, a.title,"
        " a.year,"
        " a.track_count, a.album_artist, a.artist_native_id, a.mbid"
    )
    return _dicts(con, _pending("album", items, redo))


def store_identities(
    con: duckdb.DuckDBPyConnection, identities: pl.DataFrame, candidates: pl.DataFrame
) -> int:
    """Write automatic decisions and their candidates; items with an override keep it.

    Returns:
        How many identity rows were written.
    """
    found = con.execute("SELECT entity, server_id, native_id FROM identity_overrides")
    overrides = pl.DataFrame(
        found.fetchall(), schema=dict.fromkeys(IDENTITY_KEY, pl.String), orient="row"
    )
    if overrides.height:
        identities = identities.join(overrides, on=list(IDENTITY_KEY), how="anti")
        candidates = candidates.join(overrides, on=list(IDENTITY_KEY), how="anti")
    if identities.height == 0:
        return 0
    merge_frame(con, "identities", identities, IDENTITY_KEY, soft_delete=False)
    _replace(
        con,
        "identity_candidates",
        identities.select(IDENTITY_KEY),
        candidates,
        IDENTITY_KEY,
    )
    return identities.height


def apply_overrides(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    """Make every manual override the item's identity; return how many changed."""
    # The MERGE's row count is what it inserted plus what it updated.
    [(changed,)] = con.execute(
        "MERGE INTO identities AS t USING (SELECT entity, server_id, native_id,"
        " provider,"
        " provider_id, 'manual override' || coalesce(': ' || note, '') AS reason"
        " FROM identity_overrides) AS s"
        " ON (t.entity = s.entity AND t.server_id = s.server_id AND t.native_id ="
        " s.native_id)"
        " WHEN MATCHED AND (t.decided_by <> 'override' OR t.provider_id IS DISTINCT"
        " FROM"
        " s.provider_id OR t.reason IS DISTINCT FROM s.reason) THEN UPDATE SET"
        " provider = s.provider, provider_id = s.provider_id, status = 'override',"
        " confidence = 1.0, reason = s.reason, decided_by = 'override', run_id = $run,"
        " decided_at = now()"
        " WHEN NOT MATCHED THEN INSERT (entity, server_id, native_id, provider,"
        " provider_id,"
        " status, confidence, reason, decided_by, run_id) VALUES (s.entity,"
        " s.server_id,"
        " s.native_id, s.provider, s.provider_id, 'override', 1.0, s.reason,"
        " 'override',"
        " $run)",
        {"run": run_id},
    ).fetchall()
    return int(changed)


def set_override(
    con: duckdb.DuckDBPyConnection,
    key: tuple[str, str, str],
    provider: str,
    provider_id: str | None,
    note: str | None = None,
) -> None:
    """Record a person's choice for an item (``key`` is entity, server, native id)."""
    con.execute(
        "MERGE INTO identity_overrides AS t USING (SELECT ?::TEXT AS entity,"
        " ?::TEXT AS server_id, ?::TEXT AS native_id, ?::TEXT AS provider,"
        " ?::TEXT AS provider_id, ?::TEXT AS note) AS s"
        " ON (t.entity = s.entity AND t.server_id = s.server_id"
        " AND t.native_id = s.native_id)"
        " WHEN MATCHED THEN UPDATE SET provider = s.provider,"
        " provider_id = s.provider_id, note = s.note, created_at = now()"
        " WHEN NOT MATCHED THEN INSERT (entity, server_id, native_id, provider,"
        " provider_id, note) VALUES (s.entity, s.server_id, s.native_id, s.provider,"
        " s.provider_id, s.note)",
        [*key, provider, provider_id, note],
    )


def review_queue(
    con: duckdb.DuckDBPyConnection, limit: int = 30
) -> list[tuple[Any, ...]]:
    """Candidates of the items waiting for review (entity, server_id, native_id, rank,
    provider_id, candidate_title, candidate_year, score), by item and rank."""
    return con.execute(
        "SELECT entity, server_id, native_id, rank, provider_id, candidate_title,"
        " candidate_year, score FROM enrichment_review"
        " ORDER BY entity, native_id, rank LIMIT ?",
        [limit],
    ).fetchall()


# -- response cache -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CacheEntry:
    """A cached answer: HTTP status and body."""

    status: int
    body: str


class WarehouseCache:
    """The metadata clients' response cache, stored in ``response_cache``.

    Opening the warehouse costs milliseconds, so the first lookup loads what it can in
    one read: every unexpired answer when they fit in ``preload_bytes``, else only
    their keys (a miss then costs nothing and a hit one read). Writes are buffered and
    stored by the task in its own transaction (:meth:`drain`), so a batch writes once.
    """

    def __init__(
        self,
        warehouse: Warehouse,
        ttl_days: float,
        not_found_ttl_days: float,
        preload_bytes: int = 64 << 20,
    ) -> None:
        self.warehouse = warehouse
        self.ttl = timedelta(days=ttl_days)
        self.not_found_ttl = timedelta(days=not_found_ttl_days)
        self.preload_bytes = preload_bytes
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, str], dict[str, Any]] = {}
        self._loaded: dict[tuple[str, str], CacheEntry] | None = None
        self._keys: set[tuple[str, str]] | None = None

    def get(self, service: str, key: str) -> CacheEntry | None:
        """The unexpired answer for ``key`` (pending writes included)."""
        with self._lock:
            row = self._pending.get((service, key))
            if row is None and self._keys is None:
                self._preload()
            if row is None and self._loaded is not None:
                return self._loaded.get((service, key))
            if row is None and (service, key) not in (self._keys or ()):
                return None
        if row is not None:
            return CacheEntry(row["status"], row["body"])
        with self.warehouse.read() as con:
            found = con.execute(
                "SELECT status, body FROM response_cache WHERE service = ?"
                " AND cache_key = ? AND expires_at > now()",
                [service, key],
            ).fetchone()
        return CacheEntry(found[0], found[1] or "") if found else None

    def _preload(self) -> None:
        live = "FROM response_cache WHERE expires_at > now()"
        with self.warehouse.read() as con:
            size = con.execute(
                f"SELECT coalesce(sum(length(body)), 0) {live}"
            ).fetchone()
            if size is not None and size[0] <= self.preload_bytes:
                rows = con.execute(f"SELECT service, cache_key, status, body {live}")
                self._loaded = {
                    (r[0], r[1]): CacheEntry(r[2], r[3] or "") for r in rows.fetchall()
                }
                self._keys = set(self._loaded)
            else:
                keys = con.execute(f"SELECT service, cache_key {live}").fetchall()
                self._keys = {(r[0], r[1]) for r in keys}

    def put(self, service: str, key: str, status: int, body: str) -> None:
        """Buffer an answer until :meth:`drain`."""
        now = datetime.now(UTC)
        ttl = self.ttl if status < 400 else self.not_found_ttl
        row = {
            "service": service,
            "cache_key": key,
            "status": status,
            "body": body,
            "fetched_at": now,
            "expires_at": now + ttl,
        }
        with self._lock:
            self._pending[(service, key)] = row

    def drain(self) -> pl.DataFrame:
        """The buffered answers as a frame for :func:`store_cache`; the buffer
        empties."""
        with self._lock:
            rows, self._pending = list(self._pending.values()), {}
        return pl.DataFrame(rows, schema=_CACHE_SCHEMA)


_CACHE_SCHEMA: dict[str, Any] = {
    "service": pl.String,
    "cache_key": pl.String,
    "status": pl.Int32,
    "body": pl.String,
    "fetched_at": pl.Datetime("us", "UTC"),
    "expires_at": pl.Datetime("us", "UTC"),
}


def store_cache(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> None:
    """Store cached answers (replacing older ones) and drop expired ones."""
    con.execute("DELETE FROM response_cache WHERE expires_at <= now()")
    merge_frame(
        con, "response_cache", frame, ("service", "cache_key"), soft_delete=False
    )


# -- artwork and writebacks ----------------------------------------------------------
def known_artwork(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str, str]]:
    """(provider, provider_id, kind) of every image already downloaded."""
    rows = con.execute(
        "SELECT provider, provider_id, kind FROM artwork WHERE local_path IS NOT NULL"
    ).fetchall()
    return {(r[0], r[1], r[2]) for r in rows}


def store_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rows: list[dict[str, Any]],
    key: tuple[str, ...],
) -> None:
    """Upsert plain rows (artwork, writebacks) by ``key``."""
    if rows:
        merge_frame(
            con,
            table,
            pl.DataFrame(rows, infer_schema_length=None),
            key,
            soft_delete=False,
        )


def writeback_plan(
    con: duckdb.DuckDBPyConnection, server_id: str
) -> list[dict[str, Any]]:
    """Album covers and artist genres of ``server_id`` not yet sent (or refused)."""
    return _dicts(
        con,
        "WITH w AS (SELECT 'album' AS entity, i.native_id, 'set_album_poster' AS"
        " operation,"
        " w.local_path AS payload, i.provider_id || ':' || w.size_bytes AS payload_key"
        " FROM identities i JOIN artwork w ON w.provider = i.provider"
        " AND w.provider_id = i.provider_id AND w.kind = 'cover' AND w.local_path IS"
        " NOT NULL"
        " WHERE i.entity = 'album' AND i.server_id = $s AND i.status IN ('accepted',"
        " 'override')"
        " UNION ALL SELECT 'artist', a.artist_native_id, 'set_artist_genres',"
        " array_to_string(i.genres, '|'), md5(array_to_string(i.genres, '|'))"
        " FROM identities i JOIN albums a ON a.server_id = i.server_id"
        " AND a.native_id = i.native_id WHERE i.entity = 'album' AND i.server_id = $s"
        " AND i.status = 'accepted' AND len(i.genres) > 0 AND a.artist_native_id IS"
        " NOT NULL)"
        " SELECT w.* FROM w LEFT JOIN writebacks b ON b.server_id = $s"
        " AND b.entity = w.entity AND b.native_id = w.native_id"
        " AND b.operation = w.operation AND b.payload_key = w.payload_key"
        " AND b.outcome IN ('written', 'unsupported') WHERE b.native_id IS NULL",
        {"s": server_id},
    )


# -- helpers --------------------------------------------------------------------------
def _dicts(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or {})
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _replace(
    con: duckdb.DuckDBPyConnection,
    table: str,
    keys: pl.DataFrame,
    rows: pl.DataFrame,
    key: tuple[str, ...],
) -> None:
    """Delete ``table``'s rows for ``keys``, then insert ``rows``."""
    con.register("_replace_keys", keys.unique().to_arrow())
    try:
        match = " AND ".join(f"{table}.{c} = k.{c}" for c in key)
        con.execute(f"DELETE FROM {table} USING _replace_keys AS k WHERE {match}")
    finally:
        con.unregister("_replace_keys")
    if rows.height:
        con.register("_replace_rows", rows.to_arrow())
        try:
            names = ", ".join(rows.columns)
            con.execute(
                f"INSERT INTO {table} ({names}) SELECT {names} FROM _replace_rows"
            )
        finally:
            con.unregister("_replace_rows")
