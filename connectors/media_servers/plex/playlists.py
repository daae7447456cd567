"""Plex playlists through plexapi's ``Playlist``: list, create, replace items, copy.

Only audio playlists are read (the warehouse's playlist items are tracks). Plex cannot
hold an empty regular playlist, so creating one without tracks is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from plexapi.playlist import Playlist

from connectors.errors import NotFound, RequestRejected
from connectors.media_servers.plex.parse import stamp
from connectors.media_servers.records import PlaylistRecord

if TYPE_CHECKING:
    from collections.abc import Sequence

    from connectors.media_servers.plex.transport import PlexConnection

KEYS_PER_REQUEST = 100


def _record(playlist: Playlist, track_ids: list[str]) -> PlaylistRecord:
    return PlaylistRecord(
        native_id=str(playlist.ratingKey),
        name=playlist.title or "",
        track_native_ids=track_ids,
        updated_at=stamp(playlist._data, "updatedAt"),
    )


def _item_ids(playlist: Playlist) -> list[str]:
    return [str(item.ratingKey) for item in playlist.items()]


def get_playlists(conn: PlexConnection) -> list[PlaylistRecord]:
    """Every audio playlist with its track ids in order."""
    server = conn.server
    with conn.errors("GET", "/playlists"):
        return [
            _record(playlist, _item_ids(playlist))
            for playlist in server.playlists(playlistType="audio")
        ]


def _playlist(conn: PlexConnection, playlist_id: str) -> Playlist:
    server = conn.server
    if not playlist_id.isdigit():
        raise NotFound(conn.name, f"playlist {playlist_id!r} does not exist")
    with conn.errors("GET", f"/playlists/{playlist_id}"):
        return server.fetchItem(f"/playlists/{playlist_id}", cls=Playlist)


def _tracks(conn: PlexConnection, track_ids: Sequence[str]) -> list[Any]:
    """The plexapi items for ``track_ids``, in that order.

    Raises:
        NotFound: an id is not a track of this server.
    """
    server = conn.server
    wanted = [int(k) for k in track_ids if str(k).isdigit()]
    found: dict[str, Any] = {}
    for i in range(0, len(wanted), KEYS_PER_REQUEST):
        chunk = wanted[i : i + KEYS_PER_REQUEST]
        with conn.errors("GET", "/library/metadata"):
            for item in server.fetchItems(chunk):
                found[str(item.ratingKey)] = item
    missing = [k for k in track_ids if str(k) not in found]
    if missing:
        raise NotFound(
            conn.name, f"no such track(s): {', '.join(map(str, missing[:5]))}"
        )
    return [found[str(k)] for k in track_ids]


def create_playlist(
    conn: PlexConnection, name: str, track_ids: Sequence[str]
) -> PlaylistRecord:
    """Create a regular audio playlist holding ``track_ids`` in order."""
    if not track_ids:
        raise RequestRejected(conn.name, "Plex cannot create an empty playlist")
    items = _tracks(conn, track_ids)
    with conn.errors("POST", "/playlists"):
        playlist = Playlist.create(conn.server, name, items=items)
    return _record(playlist, [str(k) for k in track_ids])


def update_playlist(
    conn: PlexConnection, playlist_id: str, track_ids: Sequence[str]
) -> PlaylistRecord:
    """Replace a playlist's tracks: clear it, add the new ones, read it back."""
    playlist = _playlist(conn, playlist_id)
    items = _tracks(conn, track_ids)
    conn.query(f"/playlists/{playlist_id}/items", method="delete")
    with conn.errors("PUT", f"/playlists/{playlist_id}/items"):
        if items:
            playlist.addItems(items)
        playlist = conn.server.fetchItem(f"/playlists/{playlist_id}", cls=Playlist)
        return _record(playlist, _item_ids(playlist))


def copy_playlist(
    conn: PlexConnection, playlist_id: str, new_name: str
) -> PlaylistRecord:
    """Create ``new_name`` with the same tracks as ``playlist_id``."""
    source = _playlist(conn, playlist_id)
    with conn.errors("GET", f"/playlists/{playlist_id}/items"):
        items = source.items()
    if not items:
        raise RequestRejected(conn.name, "Plex cannot create an empty playlist")
    with conn.errors("POST", "/playlists"):
        playlist = Playlist.create(conn.server, new_name, items=items)
    return _record(playlist, [str(item.ratingKey) for item in items])
