"""The Subsonic client (``kind = "subsonic"``): Navidrome, any OpenSubsonic server,
supysonic, Airsonic and the original Subsonic, over the Subsonic REST API.

Reads: ``getArtists``, ``getAlbumList2`` (paged, at most 500 a page), ``getAlbum``,
``search3``. Sync plans and units are built in :mod:`.listing` and read in
:mod:`.reader`; playlists and plays live in :mod:`.extras`; authentication and error
mapping in :mod:`.api`. Scans go through ``startScan``/``getScanStatus`` (an admin user
is needed). The API cannot write metadata, so writeback answers "unsupported".
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, field_validator

from connectors.errors import (
    ConnectorError,
    LibraryUnavailable,
    NotFound,
    RequestRejected,
)
from connectors.media_servers.base import (
    Known,
    MediaServerClient,
    ServerConfig,
    SyncMode,
    Unsupported,
)
from connectors.media_servers.records import SyncPlan
from connectors.media_servers.registry import register
from connectors.media_servers.subsonic import extras
from connectors.media_servers.subsonic.api import ServerInfo, SubsonicApi
from connectors.media_servers.subsonic.listing import (
    STOP_AFTER,
    AlbumUnit,
    iter_newest,
    list_all,
    make_units,
    newer,
    select_incremental,
)
from connectors.media_servers.subsonic.mapping import (
    ALBUM_PREFIX,
    album_record,
    artist_from_index,
    as_list,
    parse_time,
    track_record,
)
from connectors.media_servers.subsonic.reader import read_albums

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

    from connectors.media_servers.records import (
        AlbumRecord,
        ArtistRecord,
        LibraryBatch,
        PlayEventRecord,
        PlaylistRecord,
        TrackRecord,
    )

SEARCH_PAGES = 5
NO_WRITEBACK = (
    "the Subsonic API has no endpoint that writes {what}; edit the tags and rescan"
)


class SubsonicConfig(ServerConfig):
    """``[servers.NAME]`` with ``kind = "subsonic"``.

    Attributes:
        url: the server's base URL (``http://host:4533``; a ``/rest`` suffix is fine).
        username, password: the API user (an admin for scans).
        auth: ``auto`` tries token auth and falls back to password auth.
        timeout: seconds per request.
        page_size: albums or songs per listing request (servers cap it at 500).
        concurrency: requests in flight at once within one unit of work.
        retries, retry_backoff_s: retries of 5xx/429/timeouts, first delay.
        incremental_stop_after: the incremental stop rule's run of unchanged albums.
        verify_tls: check the server's TLS certificate.
        local_root: where the server's music folder is mounted on this machine, if it
            is: a song's ``path`` (relative to that folder) is looked up under it.
    """

    kind: Literal["subsonic"] = "subsonic"
    url: str
    username: str = Field(min_length=1)
    password: SecretStr
    auth: Literal["auto", "token", "password"] = "auto"
    timeout: float = Field(default=15.0, gt=0, le=600)
    page_size: int = Field(default=500, ge=1, le=500)
    concurrency: int = Field(default=4, ge=1, le=16)
    retries: int = Field(default=3, ge=0, le=10)
    retry_backoff_s: float = Field(default=0.5, ge=0, le=60)
    incremental_stop_after: int = Field(default=STOP_AFTER, ge=1, le=10_000)
    verify_tls: bool = True
    local_root: Path | None = None

    @field_validator("username", "password", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        """An all-digit value from the environment parses as a number: keep text."""
        return str(value) if isinstance(value, int | float) else value

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL")
        if parts.query or parts.username or parts.password:
            raise ValueError("must hold no query and no credentials")
        return value.strip()


@register
class SubsonicClient(MediaServerClient):
    """A Subsonic-API server behind the media-server contract."""

    kind = "subsonic"
    config_model = SubsonicConfig
    config: SubsonicConfig

    def __init__(self, name: str, config: ServerConfig) -> None:
        if not isinstance(config, SubsonicConfig):
            raise TypeError("a subsonic server needs a SubsonicConfig")
        super().__init__(name, config)
        self.api = SubsonicApi(
            name,
            config.url,
            config.username,
            config.password.get_secret_value(),
            auth=config.auth,
            timeout=config.timeout,
            retries=config.retries,
            backoff=config.retry_backoff_s,
            verify=config.verify_tls,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self.api.close()

    def public_location(self) -> str:
        parts = urlsplit(self.config.url)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))

    def local_path(self, path: str) -> Path | None:
        """The song file on this machine, under ``local_root`` (None without it)."""
        if self.config.local_root is None or not path:
            return None
        candidate = self.config.local_root / path.lstrip("/")
        return candidate if candidate.is_file() else None

    def server_info(self) -> ServerInfo:
        """What the server said about itself (version, OpenSubsonic, auth in use)."""
        return self.api.info

    # -- connection -----------------------------------------------------------------
    def is_connected(self) -> bool:
        try:
            self.ensure_connection()
        except ConnectorError:
            return False
        return True

    def ensure_connection(self) -> None:
        self.api.ping()

    # -- library reads --------------------------------------------------------------
    def get_all_artists(self) -> list[ArtistRecord]:
        body = self.api.call("getArtists")
        indexes = as_list((body.get("artists") or {}).get("index"))
        entries = [a for index in indexes for a in as_list(index.get("artist"))]
        found = {a.native_id: a for a in map(artist_from_index, entries)}
        return list(found.values())

    def get_all_album_ids(self) -> list[str]:
        albums = list_all(self.api, self.config.page_size, self.config.concurrency)
        return [a.native_id for a in albums]

    def get_recently_added_albums(self, limit: int = 50) -> list[AlbumRecord]:
        records: list[AlbumRecord] = []
        for entry in iter_newest(self.api, self.config.page_size):
            if len(records) >= limit:
                break
            records.append(album_record(entry))
        return records

    def search_tracks(
        self, title: str, artist: str = "", limit: int = 20
    ) -> list[TrackRecord]:
        words, want_artist = _fold(title).split(), _fold(artist)
        if not words or limit <= 0:
            return []
        hits: list[dict[str, Any]] = []
        count = min(max(limit * 5, 50), self.config.page_size)
        for page in range(SEARCH_PAGES):
            params = {"query": title, "songCount": count, "songOffset": page * count}
            body = self.api.call(
                "search3", {**params, "artistCount": 0, "albumCount": 0}
            )
            songs = as_list((body.get("searchResult3") or {}).get("song"))
            hits += [s for s in songs if _matches(s, words, want_artist)]
            if len(hits) >= limit or len(songs) < count:
                break
        unique = list({str(s["id"]): s for s in hits if "id" in s}.values())
        unique.sort(key=lambda s: _rank(s, title, artist))
        return [track_record(s) for s in unique[:limit]]

    # -- extraction for library_sync ----------------------------------------------
    def plan_sync(
        self, mode: SyncMode, known: Known, cursor: str | None, batch_size: int
    ) -> SyncPlan:
        watermark = parse_time(cursor)
        if mode is SyncMode.INCREMENTAL:
            newest_first = iter_newest(self.api, self.config.page_size)
            stop_after = self.config.incremental_stop_after
            choice = select_incremental(newest_first, known, watermark, stop_after)
            listed, albums, newest = choice.examined, choice.to_read, choice.newest
        else:
            albums = list_all(self.api, self.config.page_size, self.config.concurrency)
            listed = len(albums)
            newest = max((a.created for a in albums if a.created), default=None)
        if not listed:
            raise LibraryUnavailable(
                self.name, "the server lists no albums (empty or not scanned yet)"
            )
        stamp = newer(watermark, newest)
        return SyncPlan(
            units=make_units(albums, batch_size),
            complete=mode is SyncMode.FULL,
            cursor=stamp.isoformat() if stamp else cursor,
            total_items=sum(a.songs for a in albums),
        )

    def read_unit(self, unit: AlbumUnit) -> LibraryBatch:
        return read_albums(self.api, unit.album_ids, self.config.concurrency)

    # -- scans --------------------------------------------------------------------
    def trigger_library_scan(self) -> bool | Unsupported:
        try:
            self.api.call("startScan")
        except (NotFound, RequestRejected) as exc:
            return self.unsupported("trigger_library_scan", exc.detail)
        return True

    def is_library_scanning(self) -> bool | Unsupported:
        try:
            body = self.api.call("getScanStatus")
        except (NotFound, RequestRejected) as exc:
            return self.unsupported("is_library_scanning", exc.detail)
        return bool((body.get("scanStatus") or {}).get("scanning"))

    # -- playlists ------------------------------------------------------------------
    def get_playlists(self) -> list[PlaylistRecord] | Unsupported:
        return extras.get_playlists(self.api, self.config.concurrency)

    def create_playlist(
        self, name: str, track_ids: Sequence[str]
    ) -> PlaylistRecord | Unsupported:
        return extras.create_playlist(self.api, name, track_ids)

    def update_playlist(
        self, playlist_id: str, track_ids: Sequence[str]
    ) -> PlaylistRecord | Unsupported:
        return extras.replace_tracks(self.api, playlist_id, track_ids)

    def copy_playlist(
        self, playlist_id: str, new_name: str
    ) -> PlaylistRecord | Unsupported:
        source = extras.get_playlist(self.api, playlist_id)
        return extras.create_playlist(self.api, new_name, source.track_native_ids)

    # -- plays ----------------------------------------------------------------------
    def get_play_history(
        self, since: datetime | None = None
    ) -> list[PlayEventRecord] | Unsupported:
        info = self.api.info
        if not info.open_subsonic:
            return self.unsupported(
                "get_play_history",
                "the Subsonic API keeps no play history and this server's songs carry"
                f" no last-played time (API {info.version}, not OpenSubsonic)",
            )
        size, workers = self.config.page_size, self.config.concurrency
        return extras.last_plays(self.api, self.config.username, since, size, workers)

    def get_track_play_counts(self) -> Mapping[str, int] | Unsupported:
        info = self.api.info
        if not (info.open_subsonic or info.at_least("1.14.0")):
            return self.unsupported(
                "get_track_play_counts",
                f"this server's songs carry no playCount (API {info.version};"
                " it needs 1.14 or OpenSubsonic)",
            )
        size, workers = self.config.page_size, self.config.concurrency
        return extras.play_counts(self.api, size, workers)

    # -- metadata writeback: the API has none ---------------------------------------
    def set_artist_genres(
        self, artist_id: str, genres: Sequence[str]
    ) -> bool | Unsupported:
        reason = NO_WRITEBACK.format(what="genres")
        return self.unsupported("set_artist_genres", reason)

    def set_artist_poster(self, artist_id: str, image: bytes) -> bool | Unsupported:
        reason = NO_WRITEBACK.format(what="artist images")
        return self.unsupported("set_artist_poster", reason)

    def set_album_poster(self, album_id: str, image: bytes) -> bool | Unsupported:
        reason = NO_WRITEBACK.format(what="cover art")
        return self.unsupported("set_album_poster", reason)

    def set_artist_biography(self, artist_id: str, text: str) -> bool | Unsupported:
        reason = NO_WRITEBACK.format(what="biographies")
        return self.unsupported("set_artist_biography", reason)

    # -- artwork --------------------------------------------------------------------
    def artwork(
        self, entity: str, native_id: str, max_bytes: int
    ) -> bytes | Unsupported:
        """An album's cover: the ``coverArt`` id of ``getAlbum``, then
        ``getCoverArt`` (the only pictures the API has are music's)."""
        if entity != "album" or not native_id.startswith(ALBUM_PREFIX):
            return self.unsupported("artwork", f"no pictures of a {entity}")
        body = self.api.call("getAlbum", {"id": native_id.removeprefix(ALBUM_PREFIX)})
        cover = (body.get("album") or {}).get("coverArt")
        if not cover:
            raise NotFound(self.name, f"album {native_id} has no cover art")
        return self.api.binary("getCoverArt", {"id": str(cover)}, max_bytes)


def _fold(text: str | None) -> str:
    """Casefolded, accents stripped (servers match "cafe" to "Café" too)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _matches(song: dict[str, Any], words: list[str], artist: str) -> bool:
    title = _fold(song.get("title"))
    if not all(word in title for word in words):
        return False
    return not artist or artist in _fold(song.get("artist"))


def _rank(song: dict[str, Any], title: str, artist: str) -> tuple[bool, bool, str]:
    exact_title = _fold(song.get("title")) == _fold(title)
    exact_artist = not artist or _fold(song.get("artist")) == _fold(artist)
    return (not exact_title, not exact_artist, _fold(song.get("title")))
