"""The Jellyfin client: Jellyfin's REST API (10.11 and 12.0) behind the contract.

Library reads page ``/Items`` and ``/Artists``; extraction for ``library_sync`` is in
:mod:`.extract`, playlists, play data and writeback in :mod:`.extras`. Every optional
operation of the contract is supported, given the right rights: scans, task state and
metadata writeback need an administrator (an API key is one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from connectors.errors import ConnectorError
from connectors.media_servers import art
from connectors.media_servers.base import (
    Known,
    MediaServerClient,
    SyncMode,
    Unsupported,
)
from connectors.media_servers.jellyfin import extract, extras
from connectors.media_servers.jellyfin.config import JellyfinConfig
from connectors.media_servers.jellyfin.convert import (
    album_record,
    artist_record,
    track_record,
)
from connectors.media_servers.jellyfin.session import JellyfinSession, JellyfinUser
from connectors.media_servers.registry import register

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

    from connectors.media_servers.records import (
        AlbumRecord,
        ArtistRecord,
        LibraryBatch,
        PlayEventRecord,
        PlaylistRecord,
        SyncPlan,
        TrackRecord,
    )

SCAN_TASK_KEY = "RefreshLibrary"
"""``TaskInfo.Key`` of Jellyfin's "Scan Media Library" scheduled task."""
BUSY_STATES = ("Running", "Cancelling")


@register
class JellyfinClient(MediaServerClient):
    """One Jellyfin server."""

    kind = "jellyfin"
    config_model = JellyfinConfig
    config: JellyfinConfig

    def __init__(self, name: str, config: JellyfinConfig) -> None:
        super().__init__(name, config)
        self.session = JellyfinSession(name, config)

    def public_location(self) -> str:
        return self.config.base_url

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.session.close()

    # -- connection -------------------------------------------------------------
    def is_connected(self) -> bool:
        try:
            self.ensure_connection()
        except ConnectorError:
            return False
        return True

    def ensure_connection(self) -> None:
        self.session.get_json("/System/Info")

    # -- library reads ------------------------------------------------------------
    def get_all_artists(self) -> list[ArtistRecord]:
        dtos = self.session.iter_items(
            "/Artists",
            {
                "fields": extract.ARTIST_FIELDS,
                "sortBy": "SortName",
                "enableImages": "false",
            },
        )
        return list({d["Id"]: artist_record(d) for d in dtos}.values())

    def get_all_album_ids(self) -> list[str]:
        dtos = self.session.iter_items(
            "/Items",
            {
                "recursive": "true",
                "includeItemTypes": "MusicAlbum",
                "sortBy": "SortName",
                "enableImages": "false",
            },
        )
        return list(dict.fromkeys(d["Id"] for d in dtos))

    def search_tracks(
        self, title: str, artist: str = "", limit: int = 20
    ) -> list[TrackRecord]:
        if not title.strip():
            return []
        params: dict[str, str | int] = {
            "searchTerm": title,
            "recursive": "true",
            "includeItemTypes": "Audio",
            "fields": "ProviderIds,Genres,DateCreated,Etag",
            "enableImages": "false",
            "limit": max(limit * 5, 50),
        }
        dtos = self.session.get_json("/Items", params).get("Items") or []
        want_title, want_artist = title.casefold(), artist.casefold()
        hits = [
            track_record(d)
            for d in dtos
            if not want_artist or any(want_artist in a.casefold() for a in _names(d))
        ]
        hits.sort(key=lambda t: t.title.casefold() != want_title)
        return hits[:limit]

    def get_recently_added_albums(self, limit: int = 50) -> list[AlbumRecord]:
        params: dict[str, str | int] = {
            "recursive": "true",
            "includeItemTypes": "MusicAlbum",
            "sortBy": "DateCreated",
            "sortOrder": "Descending",
            "fields": "DateCreated,Genres,ProviderIds,ChildCount,Etag",
            "enableImages": "false",
            "limit": limit,
        }
        dtos = self.session.get_json("/Items", params).get("Items") or []
        return [album_record(d) for d in dtos]

    # -- extraction ---------------------------------------------------------------
    def plan_sync(
        self, mode: SyncMode, known: Known, cursor: str | None, batch_size: int
    ) -> SyncPlan:
        if mode is SyncMode.INCREMENTAL:
            return extract.plan_incremental(self.session, known, cursor, batch_size)
        return extract.plan_listing(self.session, mode, batch_size)

    def read_unit(self, unit: Any) -> LibraryBatch:
        return extract.read_unit(self.session, unit)

    # -- scans ----------------------------------------------------------------------
    def trigger_library_scan(self) -> bool | Unsupported:
        self.session.request("POST", "/Library/Refresh")
        return True

    def is_library_scanning(self) -> bool | Unsupported:
        tasks = self.session.get_json("/ScheduledTasks")
        scan = [t for t in tasks if t.get("Key") == SCAN_TASK_KEY]
        if not scan:
            return self.unsupported(
                "is_library_scanning", "the server lists no library scan task"
            )
        return scan[0].get("State") in BUSY_STATES

    # -- playlists and play data ----------------------------------------------------
    def _user(self, operation: str) -> JellyfinUser | Unsupported:
        user = self.session.user()
        if user is None:
            return self.unsupported(operation, "the server has no user to act for")
        return user

    def get_playlists(self) -> list[PlaylistRecord] | Unsupported:
        user = self._user("get_playlists")
        if isinstance(user, Unsupported):
            return user
        return extras.list_playlists(self.session, user)

    def create_playlist(
        self, name: str, track_ids: Sequence[str]
    ) -> PlaylistRecord | Unsupported:
        user = self._user("create_playlist")
        if isinstance(user, Unsupported):
            return user
        return extras.create_playlist(self.session, user, name, track_ids)

    def update_playlist(
        self, playlist_id: str, track_ids: Sequence[str]
    ) -> PlaylistRecord | Unsupported:
        user = self._user("update_playlist")
        if isinstance(user, Unsupported):
            return user
        return extras.replace_playlist_items(self.session, user, playlist_id, track_ids)

    def copy_playlist(
        self, playlist_id: str, new_name: str
    ) -> PlaylistRecord | Unsupported:
        user = self._user("copy_playlist")
        if isinstance(user, Unsupported):
            return user
        ids = extras.playlist_item_ids(self.session, playlist_id)
        return extras.create_playlist(self.session, user, new_name, ids)

    def get_play_history(
        self, since: datetime | None = None
    ) -> list[PlayEventRecord] | Unsupported:
        """Last-played events of the acting user (see :func:`.extras.play_history`:
        Jellyfin core keeps the last play of each item, not every play)."""
        user = self._user("get_play_history")
        if isinstance(user, Unsupported):
            return user
        return extras.play_history(self.session, user, since)

    def get_track_play_counts(self) -> Mapping[str, int] | Unsupported:
        user = self._user("get_track_play_counts")
        if isinstance(user, Unsupported):
            return user
        return extras.track_play_counts(self.session, user)

    # -- metadata writeback ---------------------------------------------------------
    def set_artist_genres(
        self, artist_id: str, genres: Sequence[str]
    ) -> bool | Unsupported:
        def change(item: dict[str, Any]) -> None:
            item["Genres"] = list(genres)

        return extras.update_item(self.session, self.session.user(), artist_id, change)

    def set_artist_biography(self, artist_id: str, text: str) -> bool | Unsupported:
        def change(item: dict[str, Any]) -> None:
            item["Overview"] = text

        return extras.update_item(self.session, self.session.user(), artist_id, change)

    def set_artist_poster(self, artist_id: str, image: bytes) -> bool | Unsupported:
        return extras.upload_primary_image(self.session, artist_id, image)

    def set_album_poster(self, album_id: str, image: bytes) -> bool | Unsupported:
        return extras.upload_primary_image(self.session, album_id, image)

    # -- artwork --------------------------------------------------------------------
    def artwork(
        self, entity: str, native_id: str, max_bytes: int
    ) -> bytes | Unsupported:
        """The item's ``Primary`` image (``/Items/{id}/Images/Primary``)."""
        if entity not in art.ENTITIES:
            return self.unsupported("artwork", f"no picture of its own for a {entity}")
        path = f"/Items/{quote(native_id, safe='')}/Images/Primary"
        return self.session.image(path, max_bytes)


def _names(dto: dict[str, Any]) -> list[str]:
    return [*(dto.get("Artists") or []), dto.get("AlbumArtist") or ""]
