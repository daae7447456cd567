"""Typed records that media-server clients produce, one dataclass per warehouse table.

Every record carries the server's own ``native_id``; the warehouse adds ``server_id``.
``fingerprint`` is an opaque change marker (size and mtime for files, an update stamp
for servers): when it is unchanged the item is not read again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime


@dataclass(slots=True)
class ArtistRecord:
    native_id: str
    name: str
    sort_name: str | None = None
    mbid: str | None = None
    genres: list[str] = field(default_factory=list)
    fingerprint: str | None = None


@dataclass(slots=True)
class AlbumRecord:
    native_id: str
    title: str
    artist_native_id: str | None = None
    album_artist: str | None = None
    year: int | None = None
    genre: str | None = None
    mbid: str | None = None
    is_compilation: bool = False
    track_count: int | None = None
    disc_count: int | None = None
    added_at: datetime | None = None
    fingerprint: str | None = None


@dataclass(slots=True)
class TrackRecord:
    native_id: str
    title: str
    album_native_id: str | None = None
    artist_native_id: str | None = None
    artist: str | None = None
    album_artist: str | None = None
    album: str | None = None
    track_no: int | None = None
    disc_no: int | None = None
    year: int | None = None
    genre: str | None = None
    duration_s: float | None = None
    mb_recording_id: str | None = None
    mb_release_id: str | None = None
    mb_artist_id: str | None = None
    replaygain_track_db: float | None = None
    replaygain_album_db: float | None = None
    file_native_id: str | None = None
    play_count: int | None = None
    last_played_at: datetime | None = None
    added_at: datetime | None = None
    fingerprint: str | None = None


@dataclass(slots=True)
class MovieRecord:
    native_id: str
    title: str
    year: int | None = None
    edition: str | None = None
    duration_s: float | None = None
    file_native_id: str | None = None
    added_at: datetime | None = None
    fingerprint: str | None = None


@dataclass(slots=True)
class ShowRecord:
    native_id: str
    title: str
    year: int | None = None
    fingerprint: str | None = None


@dataclass(slots=True)
class EpisodeRecord:
    native_id: str
    title: str | None
    show_native_id: str | None = None
    show_title: str | None = None
    season: int | None = None
    episode: int | None = None
    duration_s: float | None = None
    file_native_id: str | None = None
    added_at: datetime | None = None
    fingerprint: str | None = None


@dataclass(slots=True)
class MediaFileRecord:
    """One file as the server sees it; ``error`` says why it could not be read."""

    native_id: str
    path: str
    media_kind: str  # audio, video or other
    size: int | None = None
    mtime: datetime | None = None
    container: str | None = None
    bitrate: int | None = None
    duration_s: float | None = None
    codec: str | None = None
    sample_rate: int | None = None
    bit_depth: int | None = None
    channels: int | None = None
    content_key: str | None = None
    item_table: str | None = None
    item_native_id: str | None = None
    error: str | None = None
    fingerprint: str | None = None


@dataclass(slots=True)
class PlayEventRecord:
    user: str
    item_native_id: str
    played_at: datetime


@dataclass(slots=True)
class ProgressRecord:
    """Where the server's user left a movie or episode: a resume position (0: none)
    and whether it was watched to the end, as of ``last_played_at`` (None: the
    server gives no date)."""

    item_table: str  # movies, episodes
    item_native_id: str
    position_s: float
    played: bool = False
    duration_s: float | None = None
    last_played_at: datetime | None = None


@dataclass(slots=True)
class PlaylistRecord:
    native_id: str
    name: str
    owner: str | None = None
    track_native_ids: list[str] = field(default_factory=list)
    updated_at: datetime | None = None


LIBRARY_TABLES = (
    "artists",
    "albums",
    "tracks",
    "shows",
    "movies",
    "episodes",
    "media_files",
)
# Tables whose native ids must be unique within one extraction (parents may repeat).
LEAF_TABLES = ("tracks", "movies", "episodes", "media_files")


@dataclass(slots=True)
class LibraryBatch:
    """What one unit of work read: records per table, the play state the server
    reports for its user (``progress``, not a table of its own), and how many items
    failed."""

    artists: list[ArtistRecord] = field(default_factory=list)
    albums: list[AlbumRecord] = field(default_factory=list)
    tracks: list[TrackRecord] = field(default_factory=list)
    shows: list[ShowRecord] = field(default_factory=list)
    movies: list[MovieRecord] = field(default_factory=list)
    episodes: list[EpisodeRecord] = field(default_factory=list)
    media_files: list[MediaFileRecord] = field(default_factory=list)
    progress: list[ProgressRecord] = field(default_factory=list)
    failed: int = 0
    # Rows already in columns (table -> polars frame of that table's records, without
    # ``server_id``), as a reader in another process sends them: far cheaper to pass
    # between processes than records. A table is in the records or here, not both.
    frames: dict[str, Any] = field(default_factory=dict)

    def tables(self) -> dict[str, list[Any]]:
        """The records by warehouse table name."""
        return {name: getattr(self, name) for name in LIBRARY_TABLES}

    def native_ids(self) -> set[str]:
        """Every native id this batch saw, over all tables."""
        ids = {rec.native_id for recs in self.tables().values() for rec in recs}
        for frame in self.frames.values():
            ids.update(frame.get_column("native_id").to_list())
        return ids

    def files(self) -> int:
        """How many file rows the batch holds."""
        frame = self.frames.get("media_files")
        return len(self.media_files) + (frame.height if frame is not None else 0)


@dataclass(slots=True)
class SyncPlan:
    """What a sync will read.

    Attributes:
        units: opaque, picklable work units; each becomes one batch task.
        unchanged: native ids seen but unchanged since the last run (not read again).
        complete: the listing covers the whole library, so what it lacks was removed.
        cursor: the cursor to store once the run succeeds (incremental resumption).
        total_items: items listed, for progress.
        fresh: the warehouse held no row of the server when the plan was made (a
            first scan: its rows are appended, and nothing can have been removed).
    """

    units: list[Any]
    unchanged: list[str] = field(default_factory=list)
    complete: bool = False
    cursor: str | None = None
    total_items: int = 0
    fresh: bool = False
