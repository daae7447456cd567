"""Library search across servers (filtered and paginated in SQL) and one item's detail.

Search filters, counts and sorts the ``library_entries`` view (tracks, movies and
episodes in one shape, without their files) and joins the files of one page only.
Pages are keyset pages: a page starts after the sort key of the previous page's last
row (a :data:`Cursor`), so page 1,000 costs what page 1 costs. Text filters match a
part of the value, ignoring case and accents; the free-text box also matches file
paths, comparing the search keys the library writer stores (no text is normalized per
row at search time). The codec filter matches the file's container, or, once
enrichment's ``media_streams`` table exists, the codec of one of the file's streams.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from warehouse.queries import frame, like, records, scalar, search_text, table_exists

if TYPE_CHECKING:
    import duckdb

LIST_COLUMNS = (
    "i.server_id, i.item_kind, i.title, i.artist, i.album, i.show_title, i.part,"
    " i.number, i.genre, i.year, i.duration_s, f.container, f.bitrate, f.size, f.path,"
    " i.native_id, i.art_native_id"
)
# The Library's order: artist (or show, or the title), album, disc or season, track or
# episode number, title, then server: the same track on two servers sits together.
# Expressions without NULLs, so that "after this row" is one row comparison.
SORT_KEY = (
    "coalesce(artist, show_title, title, '')",
    "coalesce(album, '')",
    "coalesce(part, -1)",
    "coalesce(number, 2147483647)",
    "coalesce(title, '')",
    "server_id",
    "native_id",
)
KEY_NAMES = tuple(f"sort_{n}" for n in range(len(SORT_KEY)))
TEXT_FIELDS = ("artist", "album", "title", "genre")
# Tables later issues add, holding rows about a file or an item: (table, keyed by).
RELATED_TABLES = (
    ("media_probes", "file"),
    ("media_streams", "file"),
    ("identities", "item"),
    ("identity_candidates", "item"),
)
Cursor = tuple[Any, ...]
"""Where a page starts: the sort key of the row before it (None: the first page)."""


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


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a search: its rows, the number of matches, where the next starts."""

    rows: pl.DataFrame
    total: int
    next: Cursor | None


def _files_where(clause: str) -> str:
    """Items whose active file matches ``clause`` (a condition on media_files)."""
    return (
        "(server_id, file_native_id) IN (SELECT server_id, native_id FROM media_files"
        f" WHERE removed_at IS NULL AND {clause})"
    )


def _where(
    con: duckdb.DuckDBPyConnection, f: LibraryFilter
) -> tuple[list[str], dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if f.text.strip():
        # The keys are stored normalized (views/00_macros.sql: ml_search_text); the
        # words typed are normalized once, here, in the same way.
        params["text"] = search_text(con, f.text.strip())
        path = "coalesce(search_key, ml_search_text(path))"
        clauses.append(
            "(contains(search_text, $text)"
            f" OR {_files_where(f'contains({path}, $text)')})"
        )
    for name in TEXT_FIELDS:
        value = getattr(f, name).strip()
        if value:
            params[name] = value
            clauses.append(like(name, name))
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
    return clauses, params


def _codec_clause(con: duckdb.DuckDBPyConnection) -> str:
    clause = _files_where("lower(container) = $codec")
    if table_exists(con, "media_streams"):
        clause += (
            " OR (server_id, file_native_id) IN (SELECT server_id, native_id"
            " FROM media_streams WHERE lower(codec) = $codec)"
        )
    return f"({clause})"


def search(
    con: duckdb.DuckDBPyConnection,
    f: LibraryFilter,
    after: Cursor | None = None,
    page_size: int = 50,
) -> Page:
    """The page of matching items that starts after ``after``, in the Library's order
    (:data:`SORT_KEY`), and the number of matches."""
    clauses, params = _where(con, f)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    total = int(scalar(con, f"SELECT count(*) FROM library_entries{where}", params))
    if after is not None:
        keys = ", ".join(f"$after_{n}" for n in range(len(SORT_KEY)))
        clauses.append(f"({', '.join(SORT_KEY)}) > ({keys})")
        params.update({f"after_{n}": value for n, value in enumerate(after)})
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    sort = ", ".join(f"{e} AS {n}" for e, n in zip(SORT_KEY, KEY_NAMES, strict=True))
    rows = frame(
        con,
        f"""
        WITH page AS (
          SELECT * EXCLUDE (search_text), {sort} FROM library_entries{where}
          ORDER BY {", ".join(KEY_NAMES)} LIMIT $limit
        )
        SELECT {LIST_COLUMNS}, {", ".join(f"i.{n}" for n in KEY_NAMES)}
        FROM page i
        LEFT JOIN media_files f
          ON f.server_id = i.server_id AND f.native_id = i.file_native_id
          AND f.removed_at IS NULL
        ORDER BY {", ".join(f"i.{n}" for n in KEY_NAMES)}
        """,
        {**params, "limit": page_size + 1},  # one more: is there a next page?
    )
    rows, more = rows.head(page_size), rows.height > page_size
    nxt = rows.select(KEY_NAMES).row(-1) if more else None
    return Page(rows.drop(KEY_NAMES), total, nxt)


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
    # Point lookups go to the base tables first: a DuckLake table has no index, and a
    # view's join would scan the other side whole.
    found = records(
        con,
        " UNION ALL ".join(
            f"SELECT '{kind}' AS item_kind, file_native_id FROM {table}"
            " WHERE server_id = $s AND native_id = $n AND removed_at IS NULL"
            for kind, table in (
                ("track", "tracks"),
                ("movie", "movies"),
                ("episode", "episodes"),
            )
        ),
        key,
    )
    if not found:
        return None
    view = "track_files" if found[0]["item_kind"] == "track" else "video_files"
    item = records(
        con,
        f"SELECT * FROM {view} WHERE server_id = $s AND native_id = $n"
        " AND file_native_id IS NOT DISTINCT FROM $f",
        {**key, "f": found[0]["file_native_id"]},
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
        where = f"FROM {table} WHERE server_id = $s AND native_id = $n"
        params = {"s": server_id, "n": wanted}
        # Counting first is cheap; reading every column of a table is not.
        hits = scalar(con, f"SELECT count(*) {where}", params)
        related[table] = (
            frame(con, f"SELECT * {where}", params) if hits else pl.DataFrame()
        )
    plays = frame(
        con,
        "SELECT user_name, played_at FROM play_events WHERE server_id = $s"
        " AND item_native_id = $n ORDER BY played_at DESC LIMIT 100",
        key,
    )
    return {"item": item, "file": file, "related": related, "plays": plays}
