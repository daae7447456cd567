"""The Library's artwork in the warehouse: which items need a picture, their rows in
``item_artwork`` (migration 019), and the thumbnails of one page of the Library.

Movies have their own picture, episodes their show's and tracks their album's. A
picture comes from the item's own media server (``tasks.artwork`` asks it), else from
the image enrichment downloaded for the item's accepted identity
(a TMDb poster, a Cover Art Archive front cover), else from art embedded in the item's
file (for an album: in one of its tracks' files). An item is planned again only when
what its row was made from (``basis``) changes. :func:`picture_of` finds the picture
that ``/art`` serves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from warehouse.queries import frame, records
from warehouse.upsert import merge_frame

if TYPE_CHECKING:
    from collections.abc import Sequence

    import duckdb

KEY = ("entity", "server_id", "native_id")
_IDENTIFIED = "i.status IN ('accepted', 'override')"

# Each candidate: the entity's key, the downloaded image (relative to the data folder)
# and a local file that may hold embedded art.
_CANDIDATES = f"""
WITH local_files AS (  -- only a folder server's paths are files of this machine
  SELECT f.server_id, f.native_id, f.path FROM media_files f
  JOIN servers s ON s.server_id = f.server_id AND s.kind = 'filesystem'
  WHERE f.removed_at IS NULL
),
album_files AS (
  SELECT t.server_id, t.album_native_id, min(f.path) AS path
  FROM tracks t JOIN local_files f
    ON f.server_id = t.server_id AND f.native_id = t.file_native_id
  WHERE t.removed_at IS NULL AND t.album_native_id IS NOT NULL
  GROUP BY ALL
),
items AS (
  SELECT 'movie' AS entity, m.server_id, m.native_id, f.path
  FROM movies m LEFT JOIN local_files f
    ON f.server_id = m.server_id AND f.native_id = m.file_native_id
  WHERE m.removed_at IS NULL
  UNION ALL
  SELECT 'show', s.server_id, s.native_id, NULL FROM shows s WHERE s.removed_at IS NULL
  UNION ALL
  SELECT 'album', a.server_id, a.native_id, af.path
  FROM albums a LEFT JOIN album_files af
    ON af.server_id = a.server_id AND af.album_native_id = a.native_id
  WHERE a.removed_at IS NULL
),
found AS (
  SELECT it.*, w.provider AS image_source, w.local_path AS image
  FROM items it
  LEFT JOIN identities i
    ON i.entity = it.entity AND i.server_id = it.server_id
    AND i.native_id = it.native_id AND {_IDENTIFIED}
  LEFT JOIN artwork w
    ON w.provider = i.provider AND w.provider_id = i.provider_id
    AND w.kind IN ('poster', 'cover') AND w.local_path IS NOT NULL
  QUALIFY row_number() OVER (
    PARTITION BY it.entity, it.server_id, it.native_id ORDER BY w.kind DESC NULLS LAST
  ) = 1
)
SELECT f.entity, f.server_id, f.native_id, f.image_source, f.image, f.path,
  coalesce(f.image, '') || '|' || coalesce(f.path, '') AS basis
FROM found f
LEFT JOIN item_artwork a
  ON a.entity = f.entity AND a.server_id = f.server_id AND a.native_id = f.native_id
WHERE a.basis IS DISTINCT FROM coalesce(f.image, '') || '|' || coalesce(f.path, '')
ORDER BY f.entity, f.server_id, f.native_id
"""


def to_fetch(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Movies, shows and albums whose picture is not worked out yet, or whose source
    image or file changed since."""
    return records(con, _CANDIDATES)


def store(con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]) -> int:
    """Upsert ``item_artwork`` rows by their key; return how many were written."""
    if not rows:
        return 0
    merge_frame(
        con,
        "item_artwork",
        pl.DataFrame(list(rows), schema=SCHEMA),
        KEY,
        soft_delete=False,
    )
    return len(rows)


SCHEMA: dict[str, Any] = {
    "entity": pl.String,
    "server_id": pl.String,
    "native_id": pl.String,
    "source": pl.String,
    "basis": pl.String,
    "digest": pl.String,
    "image_path": pl.String,
    "thumb_path": pl.String,
    "width": pl.Int32,
    "height": pl.Int32,
    "size_bytes": pl.Int64,
    "error": pl.String,
}

_PAGE_ART = """
WITH page AS (
  SELECT unnest($servers) AS server_id, unnest($natives) AS native_id,
    unnest($entities) AS entity, unnest($arts) AS art_id
)
SELECT p.server_id, p.native_id, a.thumb_path, a.image_path
FROM page p JOIN item_artwork a
  ON a.entity = p.entity AND a.server_id = p.server_id AND a.native_id = p.art_id
WHERE a.digest IS NOT NULL AND a.native_id IN (SELECT unnest($arts))
"""
ENTITY_OF = {"track": "album", "episode": "show", "movie": "movie"}


def page_art(
    con: duckdb.DuckDBPyConnection, items: Sequence[tuple[str, str, str, str | None]]
) -> dict[tuple[str, str], tuple[str, str]]:
    """(thumbnail, image) paths per (server_id, native_id) of one page's items, given
    as (server_id, native_id, item_kind, art_native_id) (``library_entries`` carries
    the last: the album of a track, the show of an episode); items without a picture
    are left out."""
    items = [i for i in items if i[3] is not None and i[2] in ENTITY_OF]
    if not items:
        return {}
    found = frame(
        con,
        _PAGE_ART,
        {
            "servers": [i[0] for i in items],
            "natives": [i[1] for i in items],
            "entities": [ENTITY_OF[i[2]] for i in items],
            "arts": [i[3] for i in items],
        },
    )
    return {
        (r["server_id"], r["native_id"]): (r["thumb_path"], r["image_path"])
        for r in found.iter_rows(named=True)
    }


def summary(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Items with a picture and without, per source (for a run's report)."""
    rows = con.execute(
        "SELECT source, count(*) FROM item_artwork GROUP BY source"
    ).fetchall()
    return {str(source): int(n) for source, n in rows}


_ART_KEY = {  # where an item's picture is kept: its own, its album's, its show's
    "movie": ("movie", "$n"),
    "show": ("show", "$n"),
    "album": ("album", "$n"),
    "track": (
        "album",
        "(SELECT album_native_id FROM tracks WHERE server_id = $s AND native_id = $n)",
    ),
    "episode": (
        "show",
        "(SELECT show_native_id FROM episodes WHERE server_id = $s AND native_id = $n)",
    ),
}
ASSET_KINDS = {"movies": "movie", "episodes": "episode", "tracks": "track"}


def picture_of(
    con: duckdb.DuckDBPyConnection, kind: str, server_id: str, native_id: str
) -> dict[str, Any] | None:
    """``digest``, ``image_path`` and ``thumb_path`` of an item's picture (a track
    shows its album's, an episode its show's), or None when it has none."""
    if kind not in _ART_KEY:
        return None
    entity, native = _ART_KEY[kind]
    found = records(
        con,
        "SELECT digest, image_path, thumb_path FROM item_artwork WHERE entity = $e"
        f" AND server_id = $s AND native_id = {native} AND digest IS NOT NULL",
        {"e": entity, "s": server_id, "n": native_id},
    )
    return found[0] if found else None


def item_of_asset(
    con: duckdb.DuckDBPyConnection, asset_id: str
) -> tuple[str, str, str] | None:
    """(kind, server_id, native_id) of the item an HLS asset plays, or None."""
    row = con.execute(
        "SELECT item_table, server_id, item_native_id FROM hls_assets"
        " WHERE asset_id = ? AND item_native_id IS NOT NULL"
        " ORDER BY status = 'current' DESC, created_at DESC LIMIT 1",
        [asset_id],
    ).fetchone()
    if row is None or row[0] not in ASSET_KINDS:
        return None
    return ASSET_KINDS[row[0]], str(row[1]), str(row[2])
