"""Album listings (``getAlbumList2``) and the sync plans built from them.

The Subsonic API lists songs only through their albums, so a plan is a list of albums
and a unit of work is a group of album ids whose songs add up to about one batch.

- ``full`` and ``deep`` list every album (``type=alphabeticalByName``). The first page
  tells the page size the server really honours (Navidrome caps it at 500, others may
  cap lower); further pages are fetched several at a time, and the listing ends at the
  first *empty* page, never at a short one, so a server's cap cannot end it early and
  make a complete run remove what it did not list. Every listed album is read: the API
  lists songs only through their albums, and an album's list entry cannot vouch for
  its songs (a retagged title leaves ``songCount`` and ``duration`` as they were), so
  skipping "unchanged" albums would make ``full`` miss changes and, worse, leave their
  songs unseen. Unchanged rows cost the warehouse nothing (the merge skips them).
- ``incremental`` walks ``type=newest`` (newest first) and reads only albums that are
  new or whose fingerprint changed. With a watermark (the newest ``created`` time that a
  successful run saw) it examines every album at or after the watermark, then stops
  after :data:`STOP_AFTER` consecutive albums that are stored and unchanged. Without a
  watermark (no run has succeeded yet, e.g. the first one crashed half-way) it examines
  the whole list: the stop rule cannot be trusted when the stored albums may be any
  subset. Listing is cheap (one request per page of albums); only listed-and-changed
  albums cost a ``getAlbum`` each.

``STOP_AFTER = 25``: SoulSync stops after 25 albums on Navidrome, and the choice holds
up here. Albums that one scan added share nearly the same ``created`` time and servers
break such ties arbitrarily, so a new album can sit behind a few stored ones; 25
covers a scanner's interleaving by a wide margin, while an unchanged library still
costs one request (the first page holds 50 albums). Two limits are the API's, not the
rule's: an album only re-sorts when it is new (a song added to an old album, or a
retagged song, surfaces in the next ``full`` run), and nothing is ever removed by an
incremental run.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectors.media_servers.subsonic.mapping import (
    ALBUM_PREFIX,
    album_fingerprint,
    as_list,
    parse_time,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from datetime import datetime

    from connectors.media_servers.base import Known
    from connectors.media_servers.subsonic.api import SubsonicApi

STOP_AFTER = 25
NEWEST_FIRST_PAGE = 50


@dataclass(frozen=True, slots=True)
class ListedAlbum:
    """One album as a listing shows it."""

    raw_id: str
    native_id: str
    songs: int
    created: datetime | None
    fingerprint: str

    @classmethod
    def of(cls, entry: dict[str, Any]) -> ListedAlbum:
        """The listing entry (``AlbumID3``) as a :class:`ListedAlbum`."""
        raw = str(entry["id"])
        return cls(
            raw_id=raw,
            native_id=f"{ALBUM_PREFIX}{raw}",
            songs=int(entry.get("songCount") or 0),
            created=parse_time(entry.get("created")),
            fingerprint=album_fingerprint(entry),
        )


@dataclass(frozen=True, slots=True)
class AlbumUnit:
    """One unit of work: server album ids to read with ``getAlbum`` (picklable)."""

    album_ids: tuple[str, ...]
    songs: int = 0


@dataclass(slots=True)
class IncrementalChoice:
    """What an incremental walk decided: albums to read and the newest time seen."""

    to_read: list[ListedAlbum] = field(default_factory=list)
    examined: int = 0
    newest: datetime | None = None


def album_page(
    api: SubsonicApi, order: str, offset: int, size: int, **extra: Any
) -> list[dict[str, Any]]:
    """One page of ``getAlbumList2`` (``{}`` from supysonic reads as empty)."""
    params = {"type": order, "size": size, "offset": offset, **extra}
    body = api.call("getAlbumList2", params)
    return [
        e for e in as_list((body.get("albumList2") or {}).get("album")) if "id" in e
    ]


def list_all(api: SubsonicApi, page_size: int, workers: int) -> list[ListedAlbum]:
    """Every album, alphabetically, deduplicated by id."""
    order = "alphabeticalByName"
    first = album_page(api, order, 0, page_size)
    found = {a.raw_id: a for a in map(ListedAlbum.of, first)}
    step = len(first)
    if not step:
        return []
    offset = step
    # A short first page usually means a small library: check that with one request
    # before fetching a window of pages.
    width = 1 if step < page_size else workers
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while True:
            offsets = [offset + i * step for i in range(width)]
            pages = list(pool.map(lambda o: album_page(api, order, o, step), offsets))
            before = len(found)
            for page in pages:
                if not page:
                    return list(found.values())
                found.update((a.raw_id, a) for a in map(ListedAlbum.of, page))
            if len(found) == before:  # a server that ignores offset: stop, not loop
                return list(found.values())
            offset += width * step
            width = workers


def iter_newest(api: SubsonicApi, page_size: int) -> Iterator[dict[str, Any]]:
    """Album entries, newest first, one page at a time (lazily)."""
    offset, size = 0, min(NEWEST_FIRST_PAGE, page_size)
    seen: set[str] = set()
    while True:
        page = album_page(api, "newest", offset, size)
        fresh = [e for e in page if str(e["id"]) not in seen]
        if not fresh:
            return
        seen.update(str(e["id"]) for e in fresh)
        yield from fresh
        offset += len(page)
        size = page_size


def select_incremental(
    entries: Iterable[dict[str, Any]],
    known: Known,
    watermark: datetime | None,
    stop_after: int = STOP_AFTER,
) -> IncrementalChoice:
    """Walk newest-first entries and pick the albums an incremental run must read."""
    choice, run = IncrementalChoice(), 0
    for entry in entries:
        album = ListedAlbum.of(entry)
        choice.examined += 1
        if album.created and (choice.newest is None or album.created > choice.newest):
            choice.newest = album.created
        if known.get(album.native_id) != album.fingerprint:
            run = 0
            choice.to_read.append(album)
            continue
        before_watermark = watermark is not None and (
            album.created is None or album.created < watermark
        )
        run += 1 if before_watermark else 0
        if run >= stop_after:
            break
    return choice


def make_units(albums: Iterable[ListedAlbum], batch_size: int) -> list[AlbumUnit]:
    """Group albums, in order, into units of about ``batch_size`` songs."""
    units: list[AlbumUnit] = []
    ids: list[str] = []
    songs = 0
    for album in albums:
        ids.append(album.raw_id)
        songs += album.songs
        if songs >= batch_size:
            units.append(AlbumUnit(tuple(ids), songs))
            ids, songs = [], 0
    if ids:
        units.append(AlbumUnit(tuple(ids), songs))
    return units


def newer(stamp: datetime | None, other: datetime | None) -> datetime | None:
    """The later of two optional times."""
    if stamp is None or other is None:
        return stamp or other
    return max(stamp, other)
