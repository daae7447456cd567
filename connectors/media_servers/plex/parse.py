"""Plex XML elements to library records, and the fingerprints that show a change.

Plex lists every item kind in one ``MediaContainer``: artists, albums, shows and seasons
as ``<Directory type=...>``, tracks as ``<Track>``, movies and episodes as ``<Video>``;
the ``type`` attribute decides. Files come from ``Media > Part`` (what PMS sends); the
flat form, where ``<Part>`` is a sibling of ``<Media>`` (seen in recorded payloads), is
read too. Native ids are ratingKeys (unique per server across item kinds); a file's
native id is its Part id with a ``part:`` prefix, since Part ids are another id space.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from xml.etree.ElementTree import Element

VARIOUS_ARTISTS = "various artists"
PART_PREFIX = "part:"


def number(el: Element | None, name: str) -> int | None:
    """An integer attribute, or None when absent or malformed."""
    if el is None:
        return None
    value = el.get(name)
    if not value:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


def stamp(el: Element, name: str) -> datetime | None:
    """An epoch-seconds attribute as an aware UTC datetime."""
    value = number(el, name)
    return datetime.fromtimestamp(value, UTC) if value else None


def seconds(el: Element | None, name: str = "duration") -> float | None:
    """A milliseconds attribute as seconds."""
    value = number(el, name)
    return round(value / 1000, 3) if value else None


def fingerprint(el: Element) -> str:
    """What changes when the item changes: ``updatedAt``, plus the child count of
    containers (a track added to an album) and the play state of playable items (a
    play does not touch ``updatedAt``)."""
    updated = el.get("updatedAt", "")
    if el.get("type") in ("album", "show", "season"):
        return f"{updated}:{el.get('leafCount', '')}"
    if el.get("type") in ("track", "movie", "episode"):
        played = f"{el.get('viewCount', '0')}:{el.get('lastViewedAt', '')}"
        offset = el.get("viewOffset")
        return f"{updated}:{played}:{offset}" if offset else f"{updated}:{played}"
    return updated


def mbid(el: Element) -> str | None:
    """The MusicBrainz id among an item's ``<Guid id="mbid://...">`` children."""
    for guid in el.iter("Guid"):
        value = guid.get("id", "")
        if value.startswith("mbid://"):
            return value[len("mbid://") :]
    return None


def tags(el: Element, tag: str = "Genre") -> list[str]:
    """The ``tag`` attribute of every direct child called ``tag``."""
    return [t.get("tag", "") for t in el.findall(tag) if t.get("tag")]


def media_parts(el: Element) -> list[tuple[Element | None, Element]]:
    """Every ``(Media, Part)`` of an item, nested (``Media > Part``) or flat."""
    pairs: list[tuple[Element | None, Element]] = []
    media: Element | None = None
    for child in el:
        if child.tag == "Media":
            media = child
            pairs.extend((child, part) for part in child.findall("Part"))
        elif child.tag == "Part":  # the flat form: Part beside its Media
            pairs.append((media, child))
    return pairs


def _files(batch: LibraryBatch, el: Element, table: str, kind: str) -> str | None:
    """Add one file record per Part; return the first one's native id."""
    first = None
    for media, part in media_parts(el):
        part_id, path = part.get("id"), part.get("file")
        if not part_id or not path:
            continue
        kbps = number(part, "bitrate") or number(media, "bitrate")
        missing = part.get("exists") == "0" or part.get("accessible") == "0"
        native = f"{PART_PREFIX}{part_id}"
        batch.media_files.append(
            MediaFileRecord(
                native_id=native,
                path=path,
                media_kind=kind,
                size=number(part, "size"),
                container=part.get("container") or _get(media, "container"),
                bitrate=kbps * 1000 if kbps else None,
                duration_s=seconds(part) or seconds(media),
                item_table=table,
                item_native_id=el.get("ratingKey"),
                error="the server reports the file missing" if missing else None,
                fingerprint=f"{part.get('size', '')}:{part.get('duration', '')}",
            )
        )
        first = first or native
    return first


def _progress(batch: LibraryBatch, el: Element, table: str) -> None:
    """The token owner's play state of a movie or episode: ``viewOffset`` (ms; Plex
    drops it once the item is watched to the end), ``viewCount``, ``lastViewedAt``."""
    offset = seconds(el, "viewOffset") or 0.0
    played = (number(el, "viewCount") or 0) > 0
    if offset or played:
        batch.progress.append(
            ProgressRecord(
                item_table=table,
                item_native_id=el.get("ratingKey", ""),
                position_s=offset,
                played=played,
                duration_s=seconds(el),
                last_played_at=stamp(el, "lastViewedAt"),
            )
        )


def _get(el: Element | None, name: str) -> str | None:
    return el.get(name) if el is not None else None


def _artist(batch: LibraryBatch, el: Element) -> None:
    batch.artists.append(
        ArtistRecord(
            native_id=el.get("ratingKey", ""),
            name=el.get("title", ""),
            sort_name=el.get("titleSort"),
            mbid=mbid(el),
            genres=tags(el),
            fingerprint=fingerprint(el),
        )
    )


def _album(batch: LibraryBatch, el: Element) -> None:
    genres = tags(el)
    album_artist = el.get("parentTitle")
    batch.albums.append(
        AlbumRecord(
            native_id=el.get("ratingKey", ""),
            title=el.get("title", ""),
            artist_native_id=el.get("parentRatingKey"),
            album_artist=album_artist,
            year=number(el, "year"),
            genre=genres[0] if genres else None,
            mbid=mbid(el),
            is_compilation=(album_artist or "").casefold() == VARIOUS_ARTISTS,
            track_count=number(el, "leafCount"),
            added_at=stamp(el, "addedAt"),
            fingerprint=fingerprint(el),
        )
    )


def _track(batch: LibraryBatch, el: Element) -> None:
    album_artist = el.get("grandparentTitle")
    batch.tracks.append(
        TrackRecord(
            native_id=el.get("ratingKey", ""),
            title=el.get("title", ""),
            album_native_id=el.get("parentRatingKey"),
            artist_native_id=el.get("grandparentRatingKey"),
            artist=el.get("originalTitle") or album_artist,
            album_artist=album_artist,
            album=el.get("parentTitle"),
            track_no=number(el, "index"),
            disc_no=number(el, "parentIndex"),
            year=number(el, "parentYear") or number(el, "year"),
            genre=next(iter(tags(el)), None),
            duration_s=seconds(el),
            mb_recording_id=mbid(el),
            file_native_id=_files(batch, el, "tracks", "audio"),
            play_count=number(el, "viewCount") or 0,
            last_played_at=stamp(el, "lastViewedAt"),
            added_at=stamp(el, "addedAt"),
            fingerprint=fingerprint(el),
        )
    )


def _movie(batch: LibraryBatch, el: Element) -> None:
    batch.movies.append(
        MovieRecord(
            native_id=el.get("ratingKey", ""),
            title=el.get("title", ""),
            year=number(el, "year"),
            edition=el.get("editionTitle"),
            duration_s=seconds(el),
            file_native_id=_files(batch, el, "movies", "video"),
            added_at=stamp(el, "addedAt"),
            fingerprint=fingerprint(el),
        )
    )
    _progress(batch, el, "movies")


def _show(batch: LibraryBatch, el: Element) -> None:
    batch.shows.append(
        ShowRecord(
            native_id=el.get("ratingKey", ""),
            title=el.get("title", ""),
            year=number(el, "year"),
            fingerprint=fingerprint(el),
        )
    )


def _episode(batch: LibraryBatch, el: Element) -> None:
    batch.episodes.append(
        EpisodeRecord(
            native_id=el.get("ratingKey", ""),
            title=el.get("title"),
            show_native_id=el.get("grandparentRatingKey"),
            show_title=el.get("grandparentTitle"),
            season=number(el, "parentIndex"),
            episode=number(el, "index"),
            duration_s=seconds(el),
            file_native_id=_files(batch, el, "episodes", "video"),
            added_at=stamp(el, "addedAt"),
            fingerprint=fingerprint(el),
        )
    )
    _progress(batch, el, "episodes")


_HANDLERS: dict[str, Callable[[LibraryBatch, Element], None]] = {
    "artist": _artist,
    "album": _album,
    "track": _track,
    "movie": _movie,
    "show": _show,
    "episode": _episode,
}


def add_elements(batch: LibraryBatch, elements: Iterable[Element]) -> None:
    """Add the records of every item element; a malformed item counts as failed.

    Seasons and other kinds are skipped (an episode carries its season number).
    """
    for el in elements:
        handler = _HANDLERS.get(el.get("type", ""))
        if handler is None:
            continue
        if not el.get("ratingKey"):
            batch.failed += 1
            continue
        handler(batch, el)


def parse_batch(elements: Iterable[Element]) -> LibraryBatch:
    """A batch holding the records of ``elements``."""
    batch = LibraryBatch()
    add_elements(batch, elements)
    return batch
