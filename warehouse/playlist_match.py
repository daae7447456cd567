"""The matcher's blocking: for every playlist entry, the candidates on one server.

One query per server and batch of entries: the exact candidates (MusicBrainz recording
id, the file's path or a tail of it, the stored match key ``tracks.match_key``) and a
short list of tracks worth scoring: tracks of artists sharing a rare word with the
entry's artist (over distinct artists, so a million tracks cost little) whose title is
similar or shares a word, tracks with the same normalized title, and for an entry
without an artist, tracks sharing a rare title word. Ranked in SQL (Jaro-Winkler), so
Python scores at most ``limit`` tracks per entry.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

import polars as pl

from warehouse.playlist_sync import ENTRY_COLUMNS, ENTRY_SCHEMA

if TYPE_CHECKING:
    from collections.abc import Sequence

    from warehouse.db import Warehouse

TRACK_COLUMNS = "native_id title artist album_artist album duration_s".split()

_CANDIDATES = """
WITH e AS MATERIALIZED (
  SELECT entry_key, title, artist, album, duration_s, location,
    lower(nullif(mb_recording_id, '')) AS mbid,
    coalesce(match_key, CASE WHEN album IS NOT NULL AND duration_s IS NOT NULL
      THEN ml_track_match_key(NULL, artist, album, title, duration_s) END) AS mkey,
    ml_match_text(title) AS tn, ml_match_text(artist) AS an
  FROM _pl_entries),
tr AS MATERIALIZED (
  SELECT native_id, title, artist, album_artist, album, duration_s, file_native_id,
    lower(nullif(mb_recording_id, '')) AS mbid,
    coalesce(match_key, ml_track_match_key(mb_recording_id,
      coalesce(artist, album_artist), album, title, duration_s)) AS mkey,
    ml_match_text(title) AS tn, ml_match_text(coalesce(artist, album_artist)) AS an
  FROM tracks WHERE server_id = $server AND removed_at IS NULL),
exact AS (
  SELECT e.entry_key, 'mbid' AS method, 1 AS rank, tr.native_id
  FROM e JOIN tr ON e.mbid = tr.mbid
  UNION ALL
  SELECT * FROM (
    SELECT p.entry_key, 'path', 2, tr.native_id FROM _pl_paths p
    JOIN media_files f ON f.path = p.path AND f.server_id = $server
      AND f.removed_at IS NULL
    JOIN tr ON tr.file_native_id = f.native_id
    QUALIFY rank() OVER (PARTITION BY p.entry_key ORDER BY length(p.path) DESC) = 1)
  UNION ALL
  SELECT e.entry_key, 'key', 3, tr.native_id FROM e JOIN tr ON e.mkey = tr.mkey),
artists AS MATERIALIZED (SELECT DISTINCT an FROM tr WHERE an <> ''),
atok AS MATERIALIZED (
  SELECT an, unnest(string_split(an, ' ')) AS tok FROM artists),
etok AS (
  SELECT DISTINCT entry_key, unnest(string_split(an, ' ')) AS tok FROM e
  WHERE an <> ''),
rare AS (
  SELECT tok FROM atok WHERE tok IN (SELECT tok FROM etok) AND length(tok) > 1
  GROUP BY tok HAVING count(*) <= $cap),
artist_pairs AS (
  SELECT DISTINCT etok.entry_key, atok.an FROM etok JOIN rare USING (tok)
  JOIN atok USING (tok)),
by_artist AS (
  SELECT p.entry_key, tr.native_id FROM artist_pairs p JOIN e USING (entry_key)
  JOIN tr ON tr.an = p.an
  WHERE jaro_winkler_similarity(e.an, p.an) >= 0.6
    AND (jaro_winkler_similarity(e.tn, tr.tn) >= 0.7
         OR list_has_any(string_split(e.tn, ' '), string_split(tr.tn, ' ')))),
title_only AS (
  SELECT DISTINCT entry_key, unnest(string_split(tn, ' ')) AS tok FROM e
  WHERE an = ''),
tt AS (
  SELECT native_id, unnest(string_split(tn, ' ')) AS tok FROM tr
  WHERE (SELECT count(*) FROM title_only) > 0),
words AS (
  SELECT tok FROM tt WHERE tok IN (SELECT tok FROM title_only) AND length(tok) > 2
  GROUP BY tok HAVING count(*) <= $cap),
by_word AS (
  SELECT DISTINCT t.entry_key, tt.native_id FROM title_only t
  JOIN words USING (tok) JOIN tt USING (tok)),
pairs AS (
  SELECT entry_key, native_id FROM by_artist
  UNION SELECT entry_key, native_id FROM by_word
  UNION SELECT e.entry_key, tr.native_id FROM e JOIN tr ON e.tn = tr.tn
    WHERE e.tn <> ''),
fuzzy AS (
  SELECT p.entry_key, p.native_id FROM pairs p
  JOIN e USING (entry_key) JOIN tr USING (native_id)
  WHERE e.an = '' OR jaro_winkler_similarity(e.an, tr.an) >= 0.6 OR e.tn = tr.tn
  QUALIFY row_number() OVER (PARTITION BY p.entry_key ORDER BY
    jaro_winkler_similarity(e.tn, tr.tn) + jaro_winkler_similarity(e.an, tr.an) DESC,
    p.native_id) <= $limit)
SELECT x.entry_key, x.method, x.rank, t.native_id, t.title, t.artist,
  t.album_artist, t.album, t.duration_s
FROM (SELECT entry_key, method, rank, native_id FROM exact
      UNION ALL SELECT entry_key, 'fuzzy', 9, native_id FROM fuzzy) x
JOIN tr t USING (native_id)
ORDER BY x.entry_key, x.rank, t.native_id
"""


def path_variants(location: str | None) -> list[str]:
    """The paths a server may store for a playlist location: the path itself and
    its tails of two components or more (a folder server stores paths relative to
    its root, ``Music/Artist/Album/01 Song.flac``). URLs have none."""
    if not location or "://" in location:
        return []
    parts = [p for p in location.split("/") if p]
    tails = ["/".join(parts[i:]) for i in range(len(parts) - 1)]
    return [location, *tails]


def candidates(
    wh: Warehouse,
    server: str,
    entry_rows: Sequence[dict[str, Any]],
    *,
    limit: int = 20,
    cap: int = 2_000,
) -> tuple[
    dict[str, list[tuple[str, dict[str, Any]]]], dict[str, list[dict[str, Any]]]
]:
    """The exact (``(method, track)``, best method first) and fuzzy candidates of
    every entry on ``server``, by entry key."""
    exact: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    fuzzy: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if not entry_rows:
        return exact, fuzzy
    frame = pl.DataFrame(
        [{k: e.get(k) for k in ENTRY_COLUMNS} for e in entry_rows],
        schema=ENTRY_SCHEMA,
    ).unique(subset=["entry_key"], keep="first")
    paths = pl.DataFrame(
        [
            {"entry_key": key, "path": variant}
            for key, location in zip(frame["entry_key"], frame["location"], strict=True)
            for variant in path_variants(location)
        ],
        schema={"entry_key": pl.String, "path": pl.String},
    )
    with wh.read() as con:
        con.register("_pl_entries", frame.to_arrow())
        con.register("_pl_paths", paths.to_arrow())
        try:
            cur = con.execute(
                _CANDIDATES, {"server": server, "cap": cap, "limit": limit}
            )
            found = cur.fetchall()
        finally:
            con.unregister("_pl_entries")
            con.unregister("_pl_paths")
    for key, method, _rank, *track in found:
        record = dict(zip(TRACK_COLUMNS, track, strict=True))
        if method == "fuzzy":
            fuzzy[key].append(record)
        else:
            exact[key].append((method, record))
    return exact, fuzzy
