"""Playlists, play counts and last-played times over the Subsonic API.

Playlists: ``getPlaylists`` lists them, ``getPlaylist`` gives each one's songs.
``createPlaylist`` creates one (API 1.14+ answers with it; older servers such as
supysonic answer an empty body, so the new id is found by listing again), and with a
``playlistId`` it replaces a playlist's songs, which is how "update" works. Song ids
travel in the request, so long lists go in chunks: the first chunk with
``createPlaylist``, the rest appended with ``updatePlaylist songIdToAdd``.

Plays: the Subsonic API keeps no history of plays. What a server can tell is, per song,
``playCount`` (API 1.14+) and ``played``, the last time it was played (OpenSubsonic).
So :func:`play_counts` needs one of those, and :func:`last_plays` gives one event per
song at its last play time: a song played twice between two reads shows only the later
play. OpenSubsonic servers list every song with an empty ``search3`` query (an
OpenSubsonic clarification that Navidrome, gonic, Ampache and others implement); the
others are read album by album.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from connectors.errors import RequestRejected
from connectors.media_servers.records import PlayEventRecord, PlaylistRecord
from connectors.media_servers.subsonic.listing import album_page, list_all
from connectors.media_servers.subsonic.mapping import as_list, parse_time
from connectors.media_servers.subsonic.reader import iter_albums, songs_of

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from datetime import datetime

    from connectors.media_servers.subsonic.api import SubsonicApi

SONG_IDS_PER_REQUEST = 200


# -- playlists ------------------------------------------------------------------------
def playlist_record(entry: dict[str, Any]) -> PlaylistRecord:
    """A ``getPlaylist`` answer as a record (song ids in playlist order)."""
    songs = as_list(entry.get("entry"))
    return PlaylistRecord(
        native_id=str(entry["id"]),
        name=str(entry.get("name") or ""),
        owner=entry.get("owner") or None,
        track_native_ids=[
            str(s["id"]) for s in songs if isinstance(s, dict) and "id" in s
        ],
        updated_at=parse_time(entry.get("changed") or entry.get("created")),
    )


def list_playlists(api: SubsonicApi) -> list[dict[str, Any]]:
    """The ``getPlaylists`` entries (no songs)."""
    body = api.call("getPlaylists")
    return [
        p for p in as_list((body.get("playlists") or {}).get("playlist")) if "id" in p
    ]


def get_playlist(api: SubsonicApi, playlist_id: str) -> PlaylistRecord:
    """One playlist with its songs (raises ``NotFound`` when there is none)."""
    body = api.call("getPlaylist", {"id": playlist_id})
    return playlist_record(body.get("playlist") or {"id": playlist_id})


def get_playlists(api: SubsonicApi, workers: int) -> list[PlaylistRecord]:
    """Every playlist the user can see, with its songs."""
    ids = [str(p["id"]) for p in list_playlists(api)]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(lambda pid: get_playlist(api, pid), ids))


def create_playlist(
    api: SubsonicApi, name: str, track_ids: Sequence[str]
) -> PlaylistRecord:
    """Create a playlist holding ``track_ids`` in order; return it as stored."""
    before = {str(p["id"]) for p in list_playlists(api)}
    ids = list(track_ids)
    body = api.call("createPlaylist", {"name": name, "songId": _chunk(ids, 0)})
    made = body.get("playlist")
    if isinstance(made, dict) and made.get("id"):
        playlist_id = str(made["id"])
    else:  # API < 1.14 answers an empty body: find the playlist that appeared
        new = [p for p in list_playlists(api) if str(p["id"]) not in before]
        named = [p for p in new if p.get("name") == name] or new
        if not named:
            raise RequestRejected(
                api.server, f"createPlaylist: {name!r} was not created"
            )
        playlist_id = str(named[0]["id"])
    _append(api, playlist_id, ids)
    return get_playlist(api, playlist_id)


def replace_tracks(
    api: SubsonicApi, playlist_id: str, track_ids: Sequence[str]
) -> PlaylistRecord:
    """Replace a playlist's songs with ``track_ids``; return it as stored."""
    get_playlist(api, playlist_id)  # NotFound before anything is changed
    ids = list(track_ids)
    api.call("createPlaylist", {"playlistId": playlist_id, "songId": _chunk(ids, 0)})
    _append(api, playlist_id, ids)
    return get_playlist(api, playlist_id)


def _chunk(ids: list[str], index: int) -> list[str]:
    start = index * SONG_IDS_PER_REQUEST
    return ids[start : start + SONG_IDS_PER_REQUEST]


def _append(api: SubsonicApi, playlist_id: str, ids: list[str]) -> None:
    """Append every chunk after the first with ``updatePlaylist``."""
    for start in range(SONG_IDS_PER_REQUEST, len(ids), SONG_IDS_PER_REQUEST):
        chunk = ids[start : start + SONG_IDS_PER_REQUEST]
        api.call("updatePlaylist", {"playlistId": playlist_id, "songIdToAdd": chunk})


# -- plays ----------------------------------------------------------------------------
def iter_all_songs(
    api: SubsonicApi, page_size: int, workers: int
) -> Iterator[dict[str, Any]]:
    """Every song entry: by empty ``search3`` on OpenSubsonic, else album by album."""
    if api.info.open_subsonic:
        yield from _search_all(api, page_size)
        return
    albums = [a.raw_id for a in list_all(api, page_size, workers)]
    for album in iter_albums(api, albums, workers):
        yield from songs_of(album)


def _search_all(api: SubsonicApi, page_size: int) -> Iterator[dict[str, Any]]:
    offset, seen = 0, set[Any]()
    while True:
        params = {"query": "", "artistCount": 0, "albumCount": 0}
        params.update(songCount=page_size, songOffset=offset)
        body = api.call("search3", params)
        songs = as_list((body.get("searchResult3") or {}).get("song"))
        fresh = [s for s in songs if isinstance(s, dict) and s.get("id") not in seen]
        if not fresh:
            return
        seen.update(s["id"] for s in fresh)
        yield from fresh
        offset += len(songs)


def play_counts(api: SubsonicApi, page_size: int, workers: int) -> dict[str, int]:
    """Play count per song id (a song without ``playCount`` has not been played)."""
    return {
        str(song["id"]): int(song.get("playCount") or 0)
        for song in iter_all_songs(api, page_size, workers)
        if "id" in song
    }


def last_plays(
    api: SubsonicApi, user: str, since: datetime | None, page_size: int, workers: int
) -> list[PlayEventRecord]:
    """One event per song at its last play (``played``) since ``since``, oldest first.

    Albums come from ``getAlbumList2 type=recent`` (most recently played first); the
    walk stops at the first album whose own ``played`` is older than ``since``.
    """
    album_ids = _recent_album_ids(api, since, page_size)
    events = []
    for album in iter_albums(api, album_ids, workers):
        for song in songs_of(album):
            played = parse_time(song.get("played"))
            if played is not None and (since is None or played >= since):
                events.append(PlayEventRecord(user, str(song["id"]), played))
    return sorted(events, key=lambda e: e.played_at)


def _recent_album_ids(
    api: SubsonicApi, since: datetime | None, page_size: int
) -> list[str]:
    """Played albums, most recent first, down to the first played before ``since``."""
    found: dict[str, None] = {}
    offset = 0
    while True:
        page = album_page(api, "recent", offset, page_size)
        before = len(found)
        for entry in page:
            played = parse_time(entry.get("played"))
            if since is not None and played is not None and played < since:
                return list(found)
            found[str(entry["id"])] = None
        if not page or len(found) == before:  # the end, or a server ignoring offset
            return list(found)
        offset += len(page)
