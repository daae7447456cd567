"""The Plex client: a Plex Media Server behind the media-server contract, via plexapi.

plexapi carries every request (its ``PlexServer`` over our retrying session, see
:mod:`.transport`); library listings are read from the XML it returns by our own parser
(:mod:`.parse`), which is many times faster than building a plexapi object per track
and reads both ``Media > Part`` layouts. Playlists, history, scans and writeback use
plexapi's objects. What Plex can do is implemented; nothing here answers "unsupported".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from connectors.errors import ConnectorError, NotFound
from connectors.media_servers import art
from connectors.media_servers.base import (
    Known,
    MediaServerClient,
    SyncMode,
    Unsupported,
)
from connectors.media_servers.plex import activity, playlists
from connectors.media_servers.plex.config import PlexConfig
from connectors.media_servers.plex.extract import (
    FULL_SORT,
    NEWEST_FIRST,
    KeysUnit,
    PageUnit,
    Planner,
)
from connectors.media_servers.plex.listing import ALBUM, ARTIST, TRACK, Lister
from connectors.media_servers.plex.parse import parse_batch
from connectors.media_servers.plex.transport import PlexConnection
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

SEARCH_WINDOW = 200  # title matches fetched per section before ranking


@register
class PlexClient(MediaServerClient):
    """One Plex Media Server."""

    kind = "plex"
    config_model = PlexConfig
    config: PlexConfig

    def __init__(self, name: str, config: PlexConfig) -> None:
        super().__init__(name, config)
        self.conn = PlexConnection(name, config)
        self.lister = Lister(self.conn)
        self.planner = Planner(self.lister, name)

    def public_location(self) -> str:
        parts = urlsplit(self.config.url)
        return f"{parts.scheme}://{parts.hostname}" + (
            f":{parts.port}" if parts.port else ""
        )

    # -- connection -------------------------------------------------------------
    def is_connected(self) -> bool:
        try:
            self.ensure_connection()
        except ConnectorError:
            return False
        return True

    def ensure_connection(self) -> None:
        self.conn.disconnect()
        _ = self.conn.server

    # -- library reads ------------------------------------------------------------
    def _music(self) -> list[str]:
        return [s.key for s in self.lister.sections() if s.type == "artist"]

    def get_all_artists(self) -> list[ArtistRecord]:
        elements = [
            el
            for key in self._music()
            for el in self.lister.walk(key, ARTIST, FULL_SORT)
        ]
        return parse_batch(elements).artists

    def get_all_album_ids(self) -> list[str]:
        ids = (
            el.get("ratingKey", "")
            for key in self._music()
            for el in self.lister.walk(key, ALBUM, FULL_SORT)
        )
        return [i for i in dict.fromkeys(ids) if i]

    def search_tracks(
        self, title: str, artist: str = "", limit: int = 20
    ) -> list[TrackRecord]:
        want_title, want_artist = title.casefold(), artist.casefold()
        found = [
            el
            for key in self._music()
            for el in self.lister.page(
                key, TRACK, 0, SEARCH_WINDOW, (("title", title),)
            )
        ]
        hits = [
            t
            for t in parse_batch(found).tracks
            if want_title in t.title.casefold()
            and (
                not want_artist
                or want_artist in (t.artist or "").casefold()
                or want_artist in (t.album_artist or "").casefold()
            )
        ]
        hits.sort(key=lambda t: (t.title.casefold() != want_title, t.title.casefold()))
        return hits[:limit]

    def get_recently_added_albums(self, limit: int = 50) -> list[AlbumRecord]:
        found = [
            el
            for key in self._music()
            for el in self.lister.page(key, ALBUM, 0, limit, NEWEST_FIRST)
        ]
        albums = parse_batch(found).albums
        albums.sort(
            key=lambda a: a.added_at.timestamp() if a.added_at else 0, reverse=True
        )
        return albums[:limit]

    # -- extraction for library_sync --------------------------------------------
    def plan_sync(
        self, mode: SyncMode, known: Known, cursor: str | None, batch_size: int
    ) -> SyncPlan:
        return self.planner.plan(mode, known, cursor, batch_size)

    def read_unit(self, unit: Any) -> LibraryBatch:
        if not isinstance(unit, PageUnit | KeysUnit):
            raise TypeError(f"not a Plex sync unit: {unit!r}")
        return self.planner.read(unit)

    # -- scans ------------------------------------------------------------------------
    def trigger_library_scan(self) -> bool:
        """Ask every configured section to scan for new and changed files."""
        sections = self.lister.sections()
        library = self.conn.server.library
        for section in sections:
            with self.conn.errors("GET", f"/library/sections/{section.key}/refresh"):
                library.sectionByID(int(section.key)).update()
        return True

    def is_library_scanning(self) -> bool:
        """Whether any configured section is being scanned (its ``refreshing`` flag)."""
        return any(section.refreshing for section in self.lister.sections())

    # -- playlists ------------------------------------------------------------------
    def get_playlists(self) -> list[PlaylistRecord]:
        return playlists.get_playlists(self.conn)

    def create_playlist(self, name: str, track_ids: Sequence[str]) -> PlaylistRecord:
        return playlists.create_playlist(self.conn, name, track_ids)

    def update_playlist(
        self, playlist_id: str, track_ids: Sequence[str]
    ) -> PlaylistRecord:
        return playlists.update_playlist(self.conn, playlist_id, track_ids)

    def copy_playlist(self, playlist_id: str, new_name: str) -> PlaylistRecord:
        return playlists.copy_playlist(self.conn, playlist_id, new_name)

    # -- play history -------------------------------------------------------------
    def get_play_history(self, since: datetime | None = None) -> list[PlayEventRecord]:
        return activity.play_history(self.conn, since)

    def get_track_play_counts(self) -> Mapping[str, int]:
        return activity.play_counts(self.conn, self.lister)

    # -- metadata writeback -------------------------------------------------------
    def set_artist_genres(self, artist_id: str, genres: Sequence[str]) -> bool:
        return activity.set_genres(self.conn, artist_id, genres)

    def set_artist_poster(self, artist_id: str, image: bytes) -> bool:
        return activity.upload_poster(self.conn, artist_id, "artist", image)

    def set_album_poster(self, album_id: str, image: bytes) -> bool:
        return activity.upload_poster(self.conn, album_id, "album", image)

    def set_artist_biography(self, artist_id: str, text: str) -> bool:
        return activity.set_summary(self.conn, artist_id, text)

    # -- artwork ------------------------------------------------------------------
    def artwork(
        self, entity: str, native_id: str, max_bytes: int
    ) -> bytes | Unsupported:
        """The item's ``thumb`` (its poster or cover), read from its metadata and
        fetched from this server only."""
        if entity not in art.ENTITIES:
            return self.unsupported("artwork", f"no picture of its own for a {entity}")
        root = self.conn.query(f"/library/metadata/{quote(native_id, safe='')}")
        item = next(iter(root), None) if root is not None else None
        ref = item.get("thumb") if item is not None else None
        if not ref:
            raise NotFound(self.name, f"{entity} {native_id} has no picture")
        url = art.same_origin_url(self.name, self.config.url, ref)
        return self.conn.fetch_bytes(url, max_bytes)
