"""The media-server contract: one ABC that every server kind implements.

Required operations are abstract. Optional ones (scans, playlists, play history,
metadata writeback) have defaults that answer :class:`Unsupported` explicitly, so a
caller can tell "this server cannot" from "this server did nothing".

Library extraction for ``library_sync`` is two calls: :meth:`plan_sync` lists what to
read (cheaply, given what the warehouse already knows) and :meth:`read_unit` reads one
unit of work (hundreds to thousands of items) into a :class:`LibraryBatch`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime
    from pathlib import Path

    from connectors.media_servers.records import (
        AlbumRecord,
        ArtistRecord,
        LibraryBatch,
        PlayEventRecord,
        PlaylistRecord,
        SyncPlan,
        TrackRecord,
    )

T = TypeVar("T")


class SyncMode(StrEnum):
    """How much a sync reads and whether it may detect removals."""

    INCREMENTAL = "incremental"  # only what changed since the last successful run
    FULL = (
        "full"  # everything listed; unchanged items are not re-read; removals detected
    )
    DEEP = "deep"  # everything re-read; nothing removed


@dataclass(frozen=True, slots=True)
class Unsupported:
    """The explicit answer of an optional operation a server kind cannot do."""

    operation: str
    kind: str
    reason: str = "not supported by this server kind"

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return f"{self.operation}: unsupported by {self.kind} ({self.reason})"


class ServerConfig(BaseModel):
    """Base of every client's settings model (a ``[servers.NAME]`` table).

    Attributes:
        kind: the client's kind (``plex``, ``jellyfin``, ...).
        progress_user: the medialake user whose resume points and watched state the
            server's own play state becomes (Plex: the token's owner; Jellyfin: the
            acting user); unset, a sync imports none.
    """

    model_config = ConfigDict(extra="forbid")
    kind: str
    progress_user: str | None = None


Known = dict[str, str | None]
"""Native id -> fingerprint of every active item the warehouse holds for a server (a
file's may end in ``#`` and its content key, for a client that recognises moves)."""


class MediaServerClient(ABC):
    """One configured media server. Subclasses set ``kind`` and ``config_model``."""

    kind: ClassVar[str]
    config_model: ClassVar[type[ServerConfig]] = ServerConfig
    # A listing never names an item twice (a folder walk; a paged listing may, when the
    # library changes under it): a first scan may then append its rows.
    lists_each_item_once: ClassVar[bool] = False

    def __init__(self, name: str, config: ServerConfig) -> None:
        self.name = name
        self.config = config

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    def unsupported(self, operation: str, reason: str | None = None) -> Unsupported:
        """Build the explicit "unsupported" answer for ``operation``."""
        if reason:
            return Unsupported(operation, self.kind, reason)
        return Unsupported(operation, self.kind)

    def public_location(self) -> str:
        """Where the server is, for tables and logs (never a credential)."""
        return ""

    def local_path(self, path: str) -> Path | None:
        """Where a file this server lists (``media_files.path``) can be read on this
        machine, or None when it cannot (enrichment probes only reachable files)."""
        from pathlib import Path

        candidate = Path(path)
        return candidate if candidate.is_absolute() and candidate.is_file() else None

    # -- connection -------------------------------------------------------------
    @abstractmethod
    def is_connected(self) -> bool:
        """Whether the server answers with the configured credentials, without
        raising."""

    @abstractmethod
    def ensure_connection(self) -> None:
        """Connect or raise ``AuthError``/``TransientError``/``LibraryUnavailable``."""

    # -- library reads ------------------------------------------------------------
    @abstractmethod
    def get_all_artists(self) -> list[ArtistRecord]:
        """Every artist of the music library."""

    @abstractmethod
    def get_all_album_ids(self) -> list[str]:
        """The native id of every album."""

    @abstractmethod
    def search_tracks(
        self, title: str, artist: str = "", limit: int = 20
    ) -> list[TrackRecord]:
        """Tracks whose title (and artist, when given) match, best first."""

    @abstractmethod
    def get_recently_added_albums(self, limit: int = 50) -> list[AlbumRecord]:
        """The newest albums first."""

    # -- extraction for library_sync --------------------------------------------
    @abstractmethod
    def plan_sync(
        self, mode: SyncMode, known: Known, cursor: str | None, batch_size: int
    ) -> SyncPlan:
        """List what a sync in ``mode`` must read, given what the warehouse knows."""

    @abstractmethod
    def read_unit(self, unit: Any) -> LibraryBatch:
        """Read one unit of a plan; item failures are records with an error, not
        raises."""

    # -- scans (optional) ---------------------------------------------------------
    def trigger_library_scan(self) -> bool | Unsupported:
        """Ask the server to rescan its library."""
        return self.unsupported("trigger_library_scan")

    def is_library_scanning(self) -> bool | Unsupported:
        """Whether a library scan is running."""
        return self.unsupported("is_library_scanning")

    # -- playlists (optional) -----------------------------------------------------
    def get_playlists(self) -> list[PlaylistRecord] | Unsupported:
        """Every playlist with its track ids."""
        return self.unsupported("get_playlists")

    def create_playlist(
        self, name: str, track_ids: Sequence[str]
    ) -> PlaylistRecord | Unsupported:
        """Create a playlist holding ``track_ids`` in order."""
        return self.unsupported("create_playlist")

    def update_playlist(
        self, playlist_id: str, track_ids: Sequence[str]
    ) -> PlaylistRecord | Unsupported:
        """Replace a playlist's tracks."""
        return self.unsupported("update_playlist")

    def copy_playlist(
        self, playlist_id: str, new_name: str
    ) -> PlaylistRecord | Unsupported:
        """Copy a playlist under a new name (default: read it, then create)."""
        playlists = self.get_playlists()
        if isinstance(playlists, Unsupported):
            return self.unsupported("copy_playlist", playlists.reason)
        source = next((p for p in playlists if p.native_id == playlist_id), None)
        if source is None:
            from connectors.errors import NotFound

            raise NotFound(self.name, f"playlist {playlist_id} does not exist")
        return self.create_playlist(new_name, source.track_native_ids)

    # -- play history (optional) --------------------------------------------------
    def get_play_history(
        self, since: datetime | None = None
    ) -> list[PlayEventRecord] | Unsupported:
        """Plays since ``since`` (all when None), oldest first."""
        return self.unsupported("get_play_history")

    def get_track_play_counts(self) -> Mapping[str, int] | Unsupported:
        """Play count per track native id."""
        return self.unsupported("get_track_play_counts")

    # -- metadata writeback (optional) ------------------------------------------
    def set_artist_genres(
        self, artist_id: str, genres: Sequence[str]
    ) -> bool | Unsupported:
        """Write an artist's genres back to the server."""
        return self.unsupported("set_artist_genres")

    def set_artist_poster(self, artist_id: str, image: bytes) -> bool | Unsupported:
        """Upload an artist image."""
        return self.unsupported("set_artist_poster")

    def set_album_poster(self, album_id: str, image: bytes) -> bool | Unsupported:
        """Upload an album cover."""
        return self.unsupported("set_album_poster")

    def set_artist_biography(self, artist_id: str, text: str) -> bool | Unsupported:
        """Write an artist biography."""
        return self.unsupported("set_artist_biography")

    # -- artwork (optional) -------------------------------------------------------
    def artwork(
        self, entity: str, native_id: str, max_bytes: int
    ) -> bytes | Unsupported:
        """The server's own picture of a movie, show or album (its poster or cover),
        fetched from the server's origin only (:mod:`.art`), at most ``max_bytes``.

        Raises:
            NotFound: the item has no picture on the server.
            RequestRejected: the picture is elsewhere, redirected or too large.
        """
        return self.unsupported("artwork")


OPTIONAL_OPERATIONS = (
    "trigger_library_scan",
    "is_library_scanning",
    "get_playlists",
    "create_playlist",
    "update_playlist",
    "copy_playlist",
    "get_play_history",
    "get_track_play_counts",
    "set_artist_genres",
    "set_artist_poster",
    "set_album_poster",
    "set_artist_biography",
    "artwork",
)
