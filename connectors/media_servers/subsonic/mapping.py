"""Subsonic JSON entries -> library records, native ids and fingerprints.

Native ids: a song keeps the server's id as it is (tracks and their file rows share it,
as the filesystem client does); albums and artists get an ``al:`` / ``ar:`` prefix.
Plain Subsonic servers (Subsonic, Airsonic) number songs, albums and artists in separate
sequences, so ``"12"`` may be all three; the warehouse's per-server id set (``known``,
removal detection) needs them apart. Navidrome's and supysonic's ids never collide, and
the prefix costs them nothing.

Fingerprints are built from fields every server sends in both its list and detail
answers, so a value computed from ``getAlbumList2`` equals the one from ``getAlbum``:

- album: ``created|songCount|duration|<digest of name, artist id, year, genre, MBID>``;
- song: ``size|created|<digest of its tags, path, duration, bit rate>``.

Play counts and last-played times are left out on purpose: playing music is not a
library change and must not make a sync re-read an album.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from connectors.media_servers.records import (
    AlbumRecord,
    ArtistRecord,
    MediaFileRecord,
    TrackRecord,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

ARTIST_PREFIX = "ar:"
ALBUM_PREFIX = "al:"
VARIOUS_ARTISTS = frozenset({"various artists", "various"})


def artist_native_id(raw: Any) -> str | None:
    """The stored id of a server artist id."""
    return f"{ARTIST_PREFIX}{raw}" if raw not in (None, "") else None


def album_native_id(raw: Any) -> str | None:
    """The stored id of a server album id."""
    return f"{ALBUM_PREFIX}{raw}" if raw not in (None, "") else None


def server_id(native_id: str, prefix: str) -> str:
    """The server's own id of a stored id (``al:42`` -> ``42``)."""
    return native_id[len(prefix) :] if native_id.startswith(prefix) else native_id


def as_list(value: Any) -> list[Any]:
    """A JSON list that servers may send as a list, a single object, ``{}`` or null.

    supysonic answers an empty list as ``{}`` (``"albumList2": {}``).
    """
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and value:
        return [value]
    return []


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 server time; a time without zone is taken as UTC."""
    if not value:
        return None
    try:
        stamp = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _digest(*parts: Any) -> str:
    digest = hashlib.blake2b(digest_size=6)
    for part in parts:
        digest.update(str("" if part is None else part).encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def album_fingerprint(entry: dict[str, Any]) -> str:
    """The change marker of an album entry (list and detail answers agree)."""
    tags = _digest(
        entry.get("name"),
        entry.get("artistId"),
        entry.get("year"),
        entry.get("genre"),
        entry.get("musicBrainzId"),
    )
    stamp = f"{entry.get('created', '')}|{entry.get('songCount', '')}"
    return f"{stamp}|{entry.get('duration', '')}|{tags}"


def song_fingerprint(entry: dict[str, Any]) -> str:
    """The change marker of a song entry."""
    tags = _digest(
        entry.get("title"),
        entry.get("artist"),
        entry.get("artistId"),
        entry.get("album"),
        entry.get("albumId"),
        entry.get("track"),
        entry.get("discNumber"),
        entry.get("year"),
        entry.get("genre"),
        entry.get("duration"),
        entry.get("bitRate"),
        entry.get("suffix"),
        entry.get("path"),
        entry.get("musicBrainzId"),
    )
    return f"{entry.get('size', '')}|{entry.get('created', '')}|{tags}"


def album_record(
    entry: dict[str, Any], songs: Iterable[dict[str, Any]] = ()
) -> AlbumRecord:
    """An album entry (``AlbumID3``) as a record; ``songs`` give the disc count."""
    discs = {_int(s.get("discNumber")) for s in songs} - {None}
    disc_titles = as_list(entry.get("discTitles"))
    artist = entry.get("artist")
    compilation = entry.get("isCompilation")
    if compilation is None:  # plain Subsonic has no flag: judge by the album artist
        compilation = str(artist or "").casefold() in VARIOUS_ARTISTS
    return AlbumRecord(
        native_id=f"{ALBUM_PREFIX}{entry['id']}",
        title=str(entry.get("name") or entry.get("title") or "Unknown Album"),
        artist_native_id=artist_native_id(entry.get("artistId")),
        album_artist=artist,
        year=_int(entry.get("year")),
        genre=entry.get("genre") or None,
        mbid=entry.get("musicBrainzId") or None,
        is_compilation=bool(compilation),
        track_count=_int(entry.get("songCount")),
        disc_count=max(len(discs), len(disc_titles)) or None,
        added_at=parse_time(entry.get("created")),
        fingerprint=album_fingerprint(entry),
    )


def track_record(
    entry: dict[str, Any], album: AlbumRecord | None = None
) -> TrackRecord:
    """A song entry (``Child``) as a track; ``album`` supplies the album artist."""
    fingerprint = song_fingerprint(entry)
    album_artist = entry.get("displayAlbumArtist") or (
        album.album_artist if album else None
    )
    return TrackRecord(
        native_id=str(entry["id"]),
        title=str(entry.get("title") or entry.get("path") or entry["id"]),
        album_native_id=album_native_id(entry.get("albumId")),
        artist_native_id=artist_native_id(entry.get("artistId")),
        artist=entry.get("artist") or entry.get("displayArtist"),
        album_artist=album_artist or None,
        album=entry.get("album"),
        track_no=_int(entry.get("track")),
        disc_no=_int(entry.get("discNumber")),
        year=_int(entry.get("year")),
        genre=entry.get("genre") or None,
        duration_s=_float(entry.get("duration")),
        mb_recording_id=entry.get("musicBrainzId") or None,
        mb_release_id=album.mbid if album else None,
        file_native_id=str(entry["id"]),
        play_count=_int(entry.get("playCount")),
        last_played_at=parse_time(entry.get("played")),
        added_at=parse_time(entry.get("created")),
        fingerprint=fingerprint,
    )


def file_record(entry: dict[str, Any]) -> MediaFileRecord:
    """The file behind a song entry, as the server describes it."""
    size = _int(entry.get("size"))
    bitrate = _int(entry.get("bitRate"))
    missing = size is not None and size < 0  # supysonic: the file is gone from disk
    return MediaFileRecord(
        native_id=str(entry["id"]),
        path=str(entry.get("path") or ""),
        media_kind="video" if entry.get("isVideo") else "audio",
        size=None if missing else size,
        container=(entry.get("suffix") or "").lower() or None,
        bitrate=bitrate * 1000 if bitrate else None,  # Subsonic reports kbit/s
        duration_s=_float(entry.get("duration")),
        item_table="tracks",
        item_native_id=str(entry["id"]),
        error="the server reports the file missing on its disk" if missing else None,
        fingerprint=song_fingerprint(entry),
    )


def artist_records(
    album: dict[str, Any], songs: Iterable[dict[str, Any]]
) -> list[ArtistRecord]:
    """The album artist and every song artist named by an album answer."""
    found: dict[str, ArtistRecord] = {}
    for entry in (album, *songs):
        native = artist_native_id(entry.get("artistId"))
        name = entry.get("artist")
        if native and name and native not in found:
            found[native] = ArtistRecord(native, str(name), fingerprint=_digest(name))
    return list(found.values())


def artist_from_index(entry: dict[str, Any]) -> ArtistRecord:
    """An ``getArtists`` entry (``ArtistID3``) as a record."""
    name = str(entry.get("name") or "Unknown Artist")
    return ArtistRecord(
        native_id=f"{ARTIST_PREFIX}{entry['id']}",
        name=name,
        sort_name=entry.get("sortName") or None,
        mbid=entry.get("musicBrainzId") or None,
        fingerprint=_digest(name),
    )
