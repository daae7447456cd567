"""Reads of the library API (:mod:`playback.api`): movies, tracks, albums with their
tracks, artists, shows with their episodes, media files, one item with its file,
streams, identities and playable asset.

Lists are keyset pages like the dashboard's Library (:mod:`warehouse.queries.library`):
a page starts after the sort key of the previous page's last row (a :data:`Cursor`),
so page 1,000 costs what page 1 costs. Every list is one :class:`Kind` (table, sort
key, text and exact filters, columns) read by the one :func:`listing`, which filters
and sorts the base table and joins files and assets for one page only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from warehouse.queries import like, records, search_text, table_exists

if TYPE_CHECKING:
    import duckdb

Cursor = tuple[Any, ...]
MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class Listing:
    """One page of a list and where the next page starts (None: the last page)."""

    rows: list[dict[str, Any]]
    next: Cursor | None


def _page(
    con: duckdb.DuckDBPyConnection,
    *,
    table: str,
    sort: tuple[str, ...],
    clauses: list[str],
    params: dict[str, Any],
    select: str,
    joins: str,
    after: Cursor | None,
    limit: int,
) -> Listing:
    """Rows of ``table`` matching ``clauses`` after ``after`` in ``sort`` order, with
    ``joins`` applied to the page only (alias ``p`` for the page)."""
    limit = max(1, min(limit, MAX_PAGE))
    params = dict(params)
    where = list(clauses)
    if after is not None:
        if len(after) != len(sort):
            raise ValueError("the cursor does not belong to this list")
        keys = ", ".join(f"$after_{n}" for n in range(len(sort)))
        where.append(f"({', '.join(sort)}) > ({keys})")
        params.update({f"after_{n}": v for n, v in enumerate(after)})
    names = [f"sort_{n}" for n in range(len(sort))]
    keyed = ", ".join(f"{e} AS {n}" for e, n in zip(sort, names, strict=True))
    sql = f"""
    WITH p AS (
      SELECT *, {keyed} FROM {table}
      WHERE {" AND ".join(where) or "true"}
      ORDER BY {", ".join(names)} LIMIT $limit
    )
    SELECT {select}, {", ".join(f"p.{n}" for n in names)} FROM p {joins}
    ORDER BY {", ".join(f"p.{n}" for n in names)}"""
    rows = records(con, sql, {**params, "limit": limit + 1})
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = tuple(rows[-1][n] for n in names) if more and rows else None
    for row in rows:
        for n in names:
            del row[n]
    return Listing(rows, nxt)


_FILE_AND_ASSET = """
LEFT JOIN media_files f ON f.server_id = p.server_id
  AND f.native_id = p.file_native_id AND f.removed_at IS NULL
LEFT JOIN hls_assets a ON a.server_id = p.server_id
  AND a.file_native_id = p.file_native_id AND a.status = 'current'"""


@dataclass(frozen=True, slots=True)
class Kind:
    """How one list is filtered, sorted and shaped: the one place a list is defined.

    ``text`` maps a filter to the column (expression) it matches a part of, ignoring
    case and accents; ``keyed`` does the same against a stored normalized search key
    (views/00_macros.sql: ``ml_search_text``; a million rows are then not normalized
    on every search); ``exact`` maps a filter to its SQL condition on ``$<filter>``.
    Empty filters (``""`` or None) do not filter. ``select`` and ``joins`` apply to
    the page only (alias ``p``)."""

    table: str
    sort: tuple[str, ...]
    select: str
    joins: str = ""
    text: tuple[tuple[str, str], ...] = ()
    keyed: tuple[tuple[str, str], ...] = ()
    exact: tuple[tuple[str, str], ...] = (("server", "server_id = $server"),)


def listing(
    con: duckdb.DuckDBPyConnection,
    spec: Kind,
    *,
    after: Cursor | None = None,
    limit: int = 50,
    **filters: Any,
) -> Listing:
    """One keyset page of ``spec``'s active rows matching ``filters``."""
    text, keyed = dict(spec.text), dict(spec.keyed)
    known = text | keyed | dict(spec.exact)
    clauses: list[str] = ["removed_at IS NULL"]
    params: dict[str, Any] = {}
    for name, value in filters.items():
        if name not in known:
            raise TypeError(f"{spec.table} has no filter {name!r}")
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        params[name] = value.strip() if isinstance(value, str) else value
        if name in keyed:
            params[name] = search_text(con, params[name])
            clauses.append(f"contains({keyed[name]}, ${name})")
        else:
            clauses.append(like(text[name], name) if name in text else known[name])
    return _page(
        con,
        table=spec.table,
        sort=spec.sort,
        clauses=clauses,
        params=params,
        select=spec.select,
        joins=spec.joins,
        after=after,
        limit=limit,
    )


MOVIES = Kind(
    table="movies",
    sort=("lower(title)", "server_id", "native_id"),
    select="p.server_id, p.native_id, p.title, p.year, p.edition, p.duration_s,"
    " f.container, f.size, a.asset_id",
    joins=_FILE_AND_ASSET,
    text=(("q", "title"),),
    exact=(("year", "year = $year"), ("server", "server_id = $server")),
)
TRACKS = Kind(
    table="tracks",
    sort=(
        "coalesce(artist, album_artist, '')",
        "coalesce(album, '')",
        "coalesce(disc_no, -1)",
        "coalesce(track_no, 2147483647)",
        "title",
        "server_id",
        "native_id",
    ),
    select="p.server_id, p.native_id, p.title, coalesce(p.artist, p.album_artist)"
    " AS artist, p.album, p.disc_no, p.track_no, p.year, p.genre, p.duration_s,"
    " f.container, f.bitrate, a.asset_id",
    joins=_FILE_AND_ASSET,
    # every writer stores the key (warehouse/library.py; migration 017 filled the
    # rows before it): a fallback computed per row tripled a search of 1,000,000
    keyed=(("q", "search_key"),),
    text=(
        ("artist", "coalesce(artist, album_artist)"),
        ("album", "album"),
    ),
)
SHOWS = Kind(
    table="shows",
    sort=("lower(title)", "server_id", "native_id"),
    select="p.server_id, p.native_id, p.title, p.year,"
    " count(DISTINCT e.season)::INTEGER AS seasons,"
    " count(e.native_id)::INTEGER AS episodes",
    joins="LEFT JOIN episodes e ON e.server_id = p.server_id"
    " AND e.show_native_id = p.native_id AND e.removed_at IS NULL"
    " GROUP BY ALL",
    text=(("q", "title"),),
)
MEDIA_FILES = Kind(
    table="media_files",
    sort=("server_id", "path", "native_id"),
    select="p.server_id, p.native_id, p.path, p.media_kind, p.size, p.container,"
    " p.bitrate, p.duration_s, p.item_table, p.item_native_id, p.error",
    text=(("q", "path"),),
    exact=(
        ("server", "server_id = $server"),
        ("kind", "media_kind = $kind"),
        ("container", "lower(container) = lower($container)"),
    ),
)
ALBUMS = Kind(
    table="albums",
    sort=("lower(title)", "server_id", "native_id"),
    select="p.server_id, p.native_id, p.title, p.album_artist AS artist, p.year,"
    " p.genre, p.track_count",
    text=(("q", "concat_ws(' ', title, album_artist)"), ("artist", "album_artist")),
)
ARTISTS = Kind(
    table="artists",
    sort=("lower(name)", "server_id", "native_id"),
    select="p.server_id, p.native_id, p.name",
    text=(("q", "name"),),
)


def movies(con: duckdb.DuckDBPyConnection, **filters: Any) -> Listing:
    """Movies by title (``q``, ``year``, ``server``), with their file's container and
    size and their current HLS asset (``asset_id``, None when not playable)."""
    return listing(con, MOVIES, **filters)


def tracks(con: duckdb.DuckDBPyConnection, **filters: Any) -> Listing:
    """Tracks by artist, album, disc and number; ``q`` matches part of the title,
    artist or album; ``artist``, ``album``, ``server`` filter."""
    return listing(con, TRACKS, **filters)


def shows(con: duckdb.DuckDBPyConnection, **filters: Any) -> Listing:
    """Shows by title (``q``, ``server``), with how many seasons and episodes."""
    return listing(con, SHOWS, **filters)


def media_files(con: duckdb.DuckDBPyConnection, **filters: Any) -> Listing:
    """Active media files by server and path (``server``, ``kind``, ``container``,
    ``q`` on the path)."""
    return listing(con, MEDIA_FILES, **filters)


def albums(con: duckdb.DuckDBPyConnection, **filters: Any) -> Listing:
    """Albums by title; ``q`` matches the title or album artist, ``artist`` the
    album artist; ``server`` filters."""
    return listing(con, ALBUMS, **filters)


def artists(con: duckdb.DuckDBPyConnection, **filters: Any) -> Listing:
    """Artists by name (``q``, ``server``)."""
    return listing(con, ARTISTS, **filters)


def show(
    con: duckdb.DuckDBPyConnection, server_id: str, native_id: str
) -> dict[str, Any] | None:
    """One show with its seasons, each with its episodes in order (and each episode's
    current HLS asset), or None."""
    found = records(
        con,
        "SELECT server_id, native_id, title, year FROM shows WHERE server_id = $s"
        " AND native_id = $n AND removed_at IS NULL",
        {"s": server_id, "n": native_id},
    )
    if not found:
        return None
    episodes = records(
        con,
        """WITH p AS (SELECT * FROM episodes WHERE server_id = $s
             AND show_native_id = $n AND removed_at IS NULL)
        SELECT p.native_id, p.title, p.season, p.episode, p.duration_s, a.asset_id
        FROM p"""
        + _FILE_AND_ASSET
        + " ORDER BY coalesce(p.season, -1), coalesce(p.episode, 2147483647),"
        " p.native_id",
        {"s": server_id, "n": native_id},
    )
    seasons: dict[int | None, list[dict[str, Any]]] = {}
    for row in episodes:
        seasons.setdefault(row["season"], []).append(row)
    return {
        **found[0],
        "seasons": [{"season": s, "episodes": eps} for s, eps in seasons.items()],
    }


def current_asset(
    con: duckdb.DuckDBPyConnection, server_id: str, file_native_id: str | None
) -> str | None:
    """The current HLS asset of a file (None: not playable yet)."""
    if not file_native_id:
        return None
    rows = con.execute(
        "SELECT asset_id FROM hls_assets WHERE server_id = ? AND file_native_id = ?"
        " AND status = 'current' ORDER BY created_at DESC LIMIT 1",
        [server_id, file_native_id],
    ).fetchall()
    return str(rows[0][0]) if rows else None


_ITEM_TABLES = (("track", "tracks"), ("movie", "movies"), ("episode", "episodes"))
_RELATED = (("media_streams", "file"), ("identities", "item"))


def item(
    con: duckdb.DuckDBPyConnection, server_id: str, native_id: str
) -> dict[str, Any] | None:
    """A track, movie or episode with its file, streams, identities and the current
    HLS asset (``asset_id``), or None when it is not in the library.

    Point lookups on each base table by key, never a view: a DuckLake table has no
    index, and a view's join (``track_files``) scans the other side whole.
    """
    key = {"s": server_id, "n": native_id}
    found: dict[str, Any] | None = None
    for kind, table in _ITEM_TABLES:
        rows = records(
            con,
            f"SELECT '{kind}' AS item_kind, * FROM {table}"
            " WHERE server_id = $s AND native_id = $n AND removed_at IS NULL",
            key,
        )
        if rows:
            found = rows[0]
            break
    if found is None:
        return None
    if found["item_kind"] == "track":
        found["artist"] = found.get("artist") or found.get("album_artist")
    file_id = found.get("file_native_id")
    file = None
    if file_id:
        files = records(
            con,
            "SELECT * FROM media_files WHERE server_id = $s AND native_id = $f"
            " AND removed_at IS NULL",
            {"s": server_id, "f": file_id},
        )
        file = files[0] if files else None
    related: dict[str, list[dict[str, Any]]] = {}
    for table, keyed_by in _RELATED:
        wanted = file_id if keyed_by == "file" else native_id
        related[table] = (
            records(
                con,
                f"SELECT * FROM {table} WHERE server_id = $s AND native_id = $n",
                {"s": server_id, "n": wanted},
            )
            if wanted and table_exists(con, table)
            else []
        )
    return {
        "item": found,
        "file": file,
        "streams": related["media_streams"],
        "identities": related["identities"],
        "asset_id": current_asset(con, server_id, file_id),
        "servers": _servers_with(con, found),
    }


_SAME_ITEM = {
    # the same track by its match key; a movie by title and year; an episode by show,
    # season and number
    "track": "SELECT server_id FROM tracks WHERE removed_at IS NULL"
    " AND match_key = $key",
    "movie": "SELECT server_id FROM movies WHERE removed_at IS NULL"
    " AND lower(title) = lower($title) AND year IS NOT DISTINCT FROM $year",
    "episode": "SELECT server_id FROM episodes WHERE removed_at IS NULL"
    " AND lower(show_title) = lower($show) AND season IS NOT DISTINCT FROM $season"
    " AND episode IS NOT DISTINCT FROM $episode",
}


def _servers_with(con: duckdb.DuckDBPyConnection, found: dict[str, Any]) -> list[str]:
    """Every server that has this item (itself included), by name."""
    kind = found.get("item_kind")
    params: dict[str, Any] = {
        "track": {"key": found.get("match_key")},
        "movie": {"title": found.get("title"), "year": found.get("year")},
        "episode": {
            "show": found.get("show_title"),
            "season": found.get("season"),
            "episode": found.get("episode"),
        },
    }.get(str(kind), {})
    sql = _SAME_ITEM.get(str(kind))
    names = {found["server_id"]}
    if sql and not (kind == "track" and found.get("match_key") is None):
        names |= {r[0] for r in con.execute(f"{sql} GROUP BY 1", params).fetchall()}
    return sorted(names)


def album(
    con: duckdb.DuckDBPyConnection, server_id: str, native_id: str
) -> dict[str, Any] | None:
    """One album with its tracks by disc and number (each with its current HLS
    asset), or None."""
    found = records(
        con,
        "SELECT server_id, native_id, title, album_artist AS artist, year, genre"
        " FROM albums WHERE server_id = $s AND native_id = $n AND removed_at IS NULL",
        {"s": server_id, "n": native_id},
    )
    if not found:
        return None
    tracks_of = records(
        con,
        """WITH p AS (SELECT * FROM tracks WHERE server_id = $s
             AND album_native_id = $n AND removed_at IS NULL)
        SELECT p.native_id, p.title, coalesce(p.artist, p.album_artist) AS artist,
          p.disc_no, p.track_no, p.duration_s, a.asset_id
        FROM p"""
        + _FILE_AND_ASSET
        + " ORDER BY coalesce(p.disc_no, -1), coalesce(p.track_no, 2147483647),"
        " p.title, p.native_id",
        {"s": server_id, "n": native_id},
    )
    return {**found[0], "tracks": tracks_of}
