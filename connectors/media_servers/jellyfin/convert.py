"""Jellyfin ``BaseItemDto`` documents to library records.

Native ids are Jellyfin's item GUIDs as the server writes them (32 hex digits); they are
unique across item types. A file's native id is its media source id (the item's own id
for a plain file), and it shares the item's fingerprint.

Fingerprint: the item's ``Etag`` (Jellyfin derives it from the item's last-saved time).
Play data is left out on purpose: users play old tracks all over the library, and each
play would make a track "changed" and break the incremental scan's run of unchanged
items; play counts are refreshed every run by ``get_track_play_counts`` instead. An
item without an ``Etag`` gets a hash of its fields.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from connectors.media_servers.records import (
    AlbumRecord,
    ArtistRecord,
    EpisodeRecord,
    LibraryBatch,
    MediaFileRecord,
    MovieRecord,
    ProgressRecord,
    ShowRecord,
    TrackRecord,
)

TICKS_PER_SECOND = 10_000_000
VARIOUS_ARTISTS = "various artists"
Dto = dict[str, Any]


def parse_date(text: str | None) -> datetime | None:
    """A Jellyfin date (``2024-05-01T10:20:30.1234567Z``); None for empty or year 1."""
    if not text or text.startswith("0001-01-01"):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def fingerprint(dto: Dto) -> str:
    """The change marker of one item (see the module docstring)."""
    etag = dto.get("Etag")
    if etag:
        return str(etag)
    fields = {k: v for k, v in dto.items() if k != "UserData"}
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _seconds(dto: Dto) -> float | None:
    ticks = dto.get("RunTimeTicks")
    return ticks / TICKS_PER_SECOND if ticks else None


def _genre(dto: Dto) -> str | None:
    return "; ".join(dto.get("Genres") or []) or None


def _provider(dto: Dto, *names: str) -> str | None:
    ids = dto.get("ProviderIds") or {}
    return next((ids[n] for n in names if ids.get(n)), None)


def _first_pair(dto: Dto, key: str) -> tuple[str | None, str | None]:
    pairs = dto.get(key) or []
    return (pairs[0].get("Id"), pairs[0].get("Name")) if pairs else (None, None)


def to_batch(dtos: list[Dto]) -> LibraryBatch:
    """Records for a page (or pages) of items of any supported type."""
    batch = LibraryBatch()
    for dto in dtos:
        handler = _HANDLERS.get(dto.get("Type") or "")
        if handler is not None:
            handler(batch, dto, fingerprint(dto))
    return batch


def artist_record(dto: Dto, mark: str | None = None) -> ArtistRecord:
    """An artist from ``/Artists`` (or a ``MusicArtist`` item)."""
    return ArtistRecord(
        native_id=dto["Id"],
        name=dto.get("Name") or "",
        sort_name=dto.get("SortName"),
        mbid=_provider(dto, "MusicBrainzArtist"),
        genres=list(dto.get("Genres") or []),
        fingerprint=mark or fingerprint(dto),
    )


def album_record(dto: Dto, mark: str | None = None) -> AlbumRecord:
    """An album from a ``MusicAlbum`` item."""
    artist_id, artist_name = _first_pair(dto, "AlbumArtists")
    album_artist = dto.get("AlbumArtist") or artist_name
    return AlbumRecord(
        native_id=dto["Id"],
        title=dto.get("Name") or "",
        artist_native_id=artist_id,
        album_artist=album_artist,
        year=dto.get("ProductionYear"),
        genre=_genre(dto),
        mbid=_provider(dto, "MusicBrainzAlbum"),
        is_compilation=(album_artist or "").casefold() == VARIOUS_ARTISTS,
        track_count=dto.get("ChildCount"),
        added_at=parse_date(dto.get("DateCreated")),
        fingerprint=mark or fingerprint(dto),
    )


def track_record(dto: Dto, mark: str | None = None) -> TrackRecord:
    """A track from an ``Audio`` item (without its file row)."""
    artist_id, artist_name = _first_pair(dto, "ArtistItems")
    artists = dto.get("Artists") or []
    user = dto.get("UserData") or {}
    return TrackRecord(
        native_id=dto["Id"],
        title=dto.get("Name") or "",
        album_native_id=dto.get("AlbumId"),
        artist_native_id=artist_id,
        artist=artist_name or (artists[0] if artists else None),
        album_artist=dto.get("AlbumArtist"),
        album=dto.get("Album"),
        track_no=dto.get("IndexNumber"),
        disc_no=dto.get("ParentIndexNumber"),
        year=dto.get("ProductionYear"),
        genre=_genre(dto),
        duration_s=_seconds(dto),
        mb_recording_id=_provider(dto, "MusicBrainzRecording", "MusicBrainzTrack"),
        mb_release_id=_provider(dto, "MusicBrainzAlbum"),
        mb_artist_id=_provider(dto, "MusicBrainzArtist"),
        play_count=user.get("PlayCount") if user else None,
        last_played_at=parse_date(user.get("LastPlayedDate")),
        added_at=parse_date(dto.get("DateCreated")),
        fingerprint=mark or fingerprint(dto),
    )


def _files(
    batch: LibraryBatch, dto: Dto, mark: str, table: str, kind: str
) -> str | None:
    """Add one file row per media source; return the first file's id."""
    sources = dto.get("MediaSources") or []
    if not sources and dto.get("Path"):
        sources = [{"Id": dto["Id"], "Path": dto["Path"]}]
    first: str | None = None
    for source in sources:
        path = source.get("Path") or dto.get("Path")
        if not path:
            continue
        file_id = source.get("Id") or dto["Id"]
        first = first or file_id
        batch.media_files.append(
            MediaFileRecord(
                native_id=file_id,
                path=path,
                media_kind=kind,
                size=source.get("Size"),
                container=source.get("Container"),
                bitrate=source.get("Bitrate"),
                duration_s=_seconds(source) or _seconds(dto),
                item_table=table,
                item_native_id=dto["Id"],
                fingerprint=mark,
            )
        )
    return first


def _add_progress(batch: LibraryBatch, dto: Dto, table: str) -> None:
    """The acting user's play state of a movie or episode (``UserData``: the resume
    position in ticks, ``Played``, ``LastPlayedDate``); nothing when never played."""
    user = dto.get("UserData") or {}
    ticks = user.get("PlaybackPositionTicks") or 0
    played = bool(user.get("Played"))
    if ticks or played:
        batch.progress.append(
            ProgressRecord(
                item_table=table,
                item_native_id=dto["Id"],
                position_s=ticks / TICKS_PER_SECOND,
                played=played,
                duration_s=_seconds(dto),
                last_played_at=parse_date(user.get("LastPlayedDate")),
            )
        )


def _add_track(batch: LibraryBatch, dto: Dto, mark: str) -> None:
    track = track_record(dto, mark)
    track.file_native_id = _files(batch, dto, mark, "tracks", "audio")
    batch.tracks.append(track)


def _add_album(batch: LibraryBatch, dto: Dto, mark: str) -> None:
    batch.albums.append(album_record(dto, mark))


def _add_artist(batch: LibraryBatch, dto: Dto, mark: str) -> None:
    batch.artists.append(artist_record(dto, mark))


def _add_movie(batch: LibraryBatch, dto: Dto, mark: str) -> None:
    movie = MovieRecord(
        native_id=dto["Id"],
        title=dto.get("Name") or "",
        year=dto.get("ProductionYear"),
        duration_s=_seconds(dto),
        added_at=parse_date(dto.get("DateCreated")),
        fingerprint=mark,
    )
    movie.file_native_id = _files(batch, dto, mark, "movies", "video")
    batch.movies.append(movie)
    _add_progress(batch, dto, "movies")


def _add_show(batch: LibraryBatch, dto: Dto, mark: str) -> None:
    batch.shows.append(
        ShowRecord(
            native_id=dto["Id"],
            title=dto.get("Name") or "",
            year=dto.get("ProductionYear"),
            fingerprint=mark,
        )
    )


def _add_episode(batch: LibraryBatch, dto: Dto, mark: str) -> None:
    episode = EpisodeRecord(
        native_id=dto["Id"],
        title=dto.get("Name"),
        show_native_id=dto.get("SeriesId"),
        show_title=dto.get("SeriesName"),
        season=dto.get("ParentIndexNumber"),
        episode=dto.get("IndexNumber"),
        duration_s=_seconds(dto),
        added_at=parse_date(dto.get("DateCreated")),
        fingerprint=mark,
    )
    episode.file_native_id = _files(batch, dto, mark, "episodes", "video")
    batch.episodes.append(episode)
    _add_progress(batch, dto, "episodes")


_HANDLERS = {
    "Audio": _add_track,
    "MusicAlbum": _add_album,
    "MusicArtist": _add_artist,
    "Movie": _add_movie,
    "Series": _add_show,
    "Episode": _add_episode,
}
