"""Reading albums with their songs (``getAlbum``), several at a time.

One unit of a sync plan is a group of album ids; each album is one request, and up to
``workers`` requests run at once on the shared connection pool. An album that vanished
between the listing and the read (code 70) is skipped: it is simply not seen, which a
complete run treats as removed. A song entry that cannot be mapped is counted as failed;
faults of the server (5xx, timeouts, refused credentials) raise, so the task that read
the unit can retry it as a whole.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from connectors.errors import NotFound
from connectors.media_servers.records import LibraryBatch
from connectors.media_servers.subsonic.mapping import (
    album_record,
    artist_records,
    as_list,
    file_record,
    track_record,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from connectors.media_servers.subsonic.api import SubsonicApi

log = logging.getLogger(__name__)


def get_album(api: SubsonicApi, raw_id: str) -> dict[str, Any] | None:
    """One album with its ``song`` list, or None when the server no longer has it."""
    try:
        body = api.call("getAlbum", {"id": raw_id})
    except NotFound:
        log.info("%s: album %s vanished before it was read", api.server, raw_id)
        return None
    album = body.get("album")
    return album if isinstance(album, dict) else None


def iter_albums(
    api: SubsonicApi, raw_ids: Sequence[str], workers: int
) -> Iterator[dict[str, Any]]:
    """The albums of ``raw_ids`` in order, vanished ones left out, read concurrently."""
    if workers <= 1 or len(raw_ids) <= 1:
        found: Iterable[dict[str, Any] | None] = (get_album(api, i) for i in raw_ids)
        yield from (album for album in found if album is not None)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for album in pool.map(lambda i: get_album(api, i), raw_ids):
            if album is not None:
                yield album


def songs_of(album: dict[str, Any]) -> list[dict[str, Any]]:
    """The song entries of a ``getAlbum`` answer."""
    return [s for s in as_list(album.get("song")) if isinstance(s, dict)]


def add_album(batch: LibraryBatch, entry: dict[str, Any]) -> None:
    """Map one ``getAlbum`` answer into ``batch``."""
    songs = songs_of(entry)
    record = album_record(entry, songs)
    batch.albums.append(record)
    batch.artists.extend(artist_records(entry, songs))
    for song in songs:
        try:
            track, file = track_record(song, record), file_record(song)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning(
                "%s: a song of %s was unreadable: %r",
                record.title,
                entry.get("id"),
                exc,
            )
            batch.failed += 1
            continue
        batch.tracks.append(track)
        batch.media_files.append(file)


def read_albums(api: SubsonicApi, raw_ids: Sequence[str], workers: int) -> LibraryBatch:
    """Read the albums of one unit into a batch (artists deduplicated by id)."""
    batch = LibraryBatch()
    for album in iter_albums(api, raw_ids, workers):
        add_album(batch, album)
    batch.artists = list({a.native_id: a for a in batch.artists}.values())
    batch.albums = list({a.native_id: a for a in batch.albums}.values())
    return batch
