"""Library search across servers (filtered and paginated in SQL) and one item's detail.

Search runs over the ``library_items`` view (tracks, movies and episodes in one shape).
Text filters match a part of the value, ignoring case and accents. The codec filter
matches the file's container, or, once the enrichment issue's ``media_streams`` table
exists, the codec of one of the file's streams.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from warehouse.queries import frame, records, scalar, table_exists

if TYPE_CHECKING:
    import duckdb
    import polars as pl

LIST_COLUMNS = (
    "server_id, item_kind, title, artist, album, show_title, part, number, genre, year,"
    " duration_s, container, bitrate, size, path, native_id"
)
ORDER = (
    "coalesce(artist, show_title, title), album, part NULLS FIRST, number, title,"
    " server_id, native_id"
)
TEXT_FIELDS = ("artist", "album", "title", "genre")
# Tables later issues add, holding rows about a file or an item: (table, keyed by).
RELATED_TABLES = (
    ("media_probes", "file"),
    ("media_streams", "file"),
    ("identities", "item"),
    ("identity_candidates", "item"),
)


@dataclass(frozen=True, slots=True)
class LibraryFilter:
    """What the user searches for; empty fields do not filter."""

    text: str = ""
    artist: str = ""
    album: str = ""
    title: str = ""
    genre: str = ""
    year_from: int | None = None
    year_to: int | None = None
    codec: str = ""
    server: str = ""
    kind: str = ""


def _like(column: str, param: str) -> str:
    return (
        f"contains(strip_accents(lower(coalesce({column}, ''))),"
        f" strip_accents(lower(${param})))"
    )


def _where(
    con: duckdb.DuckDBPyConnection, f: LibraryFilter
) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if f.text.strip():
        params["text"] = f.text.strip()
        fields = "concat_ws(' ', title, artist, album, show_title)"
        clauses.append(_like(fields, "text"))
    for name in TEXT_FIELDS:
        value = getattr(f, name).strip()
        if value:
            params[name] = value
            clauses.append(_like(name, name))
    if f.year_from is not None:
        params["year_from"] = f.year_from
        clauses.append("year >= $year_from")
    if f.year_to is not None:
        params["year_to"] = f.year_to
        clauses.append("year <= $year_to")
    if f.server:
        params["server"] = f.server
        clauses.append("server_id = $server")
    if f.kind:
        params["kind"] = f.kind
        clauses.append("item_kind = $kind")
    if f.codec:
        params["codec"] = f.codec.lower()
        clauses.append(_codec_clause(con))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _codec_clause(con: duckdb.DuckDBPyConnection) -> str:
    clause = "lower(container) = $codec"
    if table_exists(con, "media_streams"):
        clause += (
            " OR (server_id, file_native_id) IN (SELECT server_id, native_id"
            " FROM media_streams WHERE lower(codec) = $codec)"
        )
    return f"({clause})"


def search(
    con: duckdb.DuckDBPyConnection, f: LibraryFilter, page: int = 0, page_size: int = 50
) -> tuple[pl.DataFrame, int]:
    """One page of matching items and the number of matches.

    Items are ordered by artist (or show), album, disc (or season), track (or episode)
    number and title, then by server: the same track on two servers sits together.
    """
    where, params = _where(con, f)
    total = int(scalar(con, f"SELECT count(*) FROM library_items{where}", params) or 0)
    page_params = {**params, "limit": page_size, "offset": max(page, 0) * page_size}
    rows = frame(
        con,
        f"SELECT {LIST_COLUMNS} FROM library_items{where}"
        f" ORDER BY {ORDER} LIMIT $limit OFFSET $offset",
        page_params,
    )
    return rows, total


def facets(con: duckdb.DuckDBPyConnection) -> dict[str, list[Any]]:
    """The choices the filters offer: servers, kinds, codecs (containers) and genres."""
    servers = [
        r[0] for r in con.execute("SELECT server_id FROM servers ORDER BY 1").fetchall()
    ]
    codecs = con.execute(
        "SELECT DISTINCT lower(container) FROM media_files"
        " WHERE container IS NOT NULL AND removed_at IS NULL ORDER BY 1"
    ).fetchall()
    stream_codecs: list[tuple[Any, ...]] = []
    if table_exists(con, "media_streams"):
        stream_codecs = con.execute(
            "SELECT DISTINCT lower(codec) FROM media_streams"
            " WHERE codec IS NOT NULL AND kind IN ('audio', 'video')"
        ).fetchall()
    genres = con.execute(
        "SELECT genre FROM tracks WHERE removed_at IS NULL AND genre IS NOT NULL"
        " GROUP BY genre ORDER BY count(*) DESC, genre LIMIT 200"
    ).fetchall()
    return {
        "servers": servers,
        "kinds": ["track", "movie", "episode"],
        "codecs": sorted({r[0] for r in codecs} | {r[0] for r in stream_codecs}),
        "genres": [r[0] for r in genres],
    }


def item_detail(
    con: duckdb.DuckDBPyConnection, server_id: str, native_id: str
) -> dict[str, Any] | None:
    """One item: its row, its file, rows of related tables that exist, its plays.

    Returns:
        ``{"item": dict, "file": dict | None, "related": {table: frame},
        "plays": frame}`` or None when the item is not in the library.
    """
    key = {"s": server_id, "n": native_id}
    found = records(
        con,
        "SELECT item_kind FROM library_items WHERE server_id = $s AND native_id = $n",
        key,
    )
    if not found:
        return None
    view = "track_files" if found[0]["item_kind"] == "track" else "video_files"
    item = records(
        con, f"SELECT * FROM {view} WHERE server_id = $s AND native_id = $n", key
    )[0]
    file = None
    if item.get("file_native_id"):
        rows = records(
            con,
            "SELECT * FROM media_files WHERE server_id = $s AND native_id = $f",
            {"s": server_id, "f": item["file_native_id"]},
        )
        file = rows[0] if rows else None
    related = {}
    for table, keyed_by in RELATED_TABLES:
        if not table_exists(con, table):
            continue
        wanted = item["file_native_id"] if keyed_by == "file" else native_id
        related[table] = frame(
            con,
            f"SELECT * FROM {table} WHERE server_id = $s AND native_id = $n",
            {"s": server_id, "n": wanted},
        )
    plays = frame(
        con,
        "SELECT user_name, played_at FROM play_events WHERE server_id = $s"
        " AND item_native_id = $n ORDER BY played_at DESC LIMIT 100",
        key,
    )
    return {"item": item, "file": file, "related": related, "plays": plays}
