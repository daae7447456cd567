"""The filesystem client ("standalone"): one or more folders of media as a server.

Listing is a walk of ``stat`` calls; a file whose size and mtime are unchanged is not
opened again, and a file that moved keeps its id (:mod:`.moves`). Operations a folder
cannot do (scans, playlists, history, writeback) answer "unsupported". Contract reads
that a real server answers from its index (artists, search) read every file here: the
warehouse is the fast path for those questions.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator

from connectors.errors import LibraryUnavailable
from connectors.media_input import inside_roots
from connectors.media_servers.base import (
    Known,
    MediaServerClient,
    ServerConfig,
    SyncMode,
)
from connectors.media_servers.filesystem import pool
from connectors.media_servers.filesystem.moves import (
    dump_cursor,
    keep_identities,
    split_known,
)
from connectors.media_servers.filesystem.reader import read_entries
from connectors.media_servers.filesystem.scan import ScanEntry, walk_roots
from connectors.media_servers.records import LibraryBatch, SyncPlan
from connectors.media_servers.registry import register

if TYPE_CHECKING:
    from connectors.media_servers.records import AlbumRecord, ArtistRecord, TrackRecord


# A large read is cut into about this many units, each at most this many batches:
# every unit's write has a fixed cost (a statement per table, a commit), a tenth of a
# second or more, which 20 units of 1,000 files paid 20 times in a first scan.
UNITS = 4
MAX_BATCHES_PER_UNIT = 5


def unit_size(files: int, batch_size: int) -> int:
    """Files per unit for a read of ``files`` files: ``batch_size``, grown to a
    quarter of a large read (at most 5 batches)."""
    share = -(-files // UNITS)
    return max(batch_size, min(share, MAX_BATCHES_PER_UNIT * batch_size))


class FilesystemConfig(ServerConfig):
    """``[servers.NAME]`` with ``kind = "filesystem"``."""

    kind: Literal["filesystem"] = "filesystem"
    roots: list[Path] = Field(min_length=1)

    @field_validator("roots", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):  # from the environment: "a,b"
            return [part for part in value.split(",") if part.strip()]
        return value


@register
class FilesystemClient(MediaServerClient):
    """Folders of media files behind the media-server contract."""

    kind = "filesystem"
    config_model = FilesystemConfig
    lists_each_item_once = True  # one entry per path (walk_roots)
    config: FilesystemConfig

    @property
    def roots(self) -> list[Path]:
        """The configured library roots."""
        return list(self.config.roots)

    def public_location(self) -> str:
        return ", ".join(str(root) for root in self.roots)

    def local_path(self, path: str) -> Path | None:
        """The file behind a library path, only when its real path (symlinks
        resolved) lies inside one of the roots."""
        for root in self.roots:
            candidate = inside_roots(root / path, self.roots)
            if candidate is not None and candidate.is_file():
                return candidate
        return None

    def is_connected(self) -> bool:
        try:
            self.ensure_connection()
        except LibraryUnavailable:
            return False
        return True

    def ensure_connection(self) -> None:
        for index, root in enumerate(self.roots):
            if not root.is_dir():
                raise LibraryUnavailable(
                    self.name,
                    f"library root {index + 1} ({root}) is missing or not a folder",
                )

    def plan_sync(
        self, mode: SyncMode, known: Known, cursor: str | None, batch_size: int
    ) -> SyncPlan:
        self.ensure_connection()
        if not known:  # a first scan reads every file: start the readers now
            pool.start()
        entries = list(walk_roots(self.roots))
        if not entries:
            raise LibraryUnavailable(self.name, "the library roots hold no media files")
        entries, moved = keep_identities(entries, known, cursor, self.roots)
        if mode is SyncMode.DEEP:
            todo = entries
            unchanged: list[str] = []
        else:
            todo, unchanged = [], []
            for e in entries:
                stored = split_known(known.get(e.native_id))[0]
                same = e.fingerprint is not None and stored == e.fingerprint
                if same and e.native_id not in moved:
                    unchanged.append(e.native_id)
                else:
                    todo.append(e)
        if known and len(todo) >= pool.IN_PLACE_BELOW:
            pool.start()
        size = unit_size(len(todo), batch_size)
        units = [todo[i : i + size] for i in range(0, len(todo), size)]
        return SyncPlan(
            units=units,
            unchanged=unchanged,
            complete=mode is SyncMode.FULL,
            cursor=dump_cursor(entries),
            total_items=len(entries),
        )

    def read_unit(self, unit: list[ScanEntry]) -> LibraryBatch:
        return pool.read_parallel(self.roots, unit)

    def _read_all(self) -> LibraryBatch:
        self.ensure_connection()
        return read_entries(
            self.roots, [e for e in walk_roots(self.roots) if e.media_kind == "audio"]
        )

    def get_all_artists(self) -> list[ArtistRecord]:
        return list({a.native_id: a for a in self._read_all().artists}.values())

    def get_all_album_ids(self) -> list[str]:
        return list(dict.fromkeys(a.native_id for a in self._read_all().albums))

    def search_tracks(
        self, title: str, artist: str = "", limit: int = 20
    ) -> list[TrackRecord]:
        want_title, want_artist = title.casefold(), artist.casefold()
        hits = [
            t
            for t in self._read_all().tracks
            if want_title in t.title.casefold()
            and (not want_artist or want_artist in (t.artist or "").casefold())
        ]
        hits.sort(key=lambda t: (t.title.casefold() != want_title, t.title.casefold()))
        return hits[:limit]

    def get_recently_added_albums(self, limit: int = 50) -> list[AlbumRecord]:
        batch = self._read_all()
        newest: dict[str, float] = {}
        for track in batch.tracks:
            stamp = track.added_at.timestamp() if track.added_at else 0.0
            key = track.album_native_id or ""
            newest[key] = max(newest.get(key, 0.0), stamp)
        albums = {a.native_id: a for a in batch.albums}
        order = sorted(albums, key=lambda a: newest.get(a, 0.0), reverse=True)
        return [albums[a] for a in order[:limit]]

    def trigger_library_scan(self) -> bool | Any:
        return self.unsupported(
            "trigger_library_scan", "a folder has no server to rescan; run a sync"
        )

    def is_library_scanning(self) -> bool | Any:
        return self.unsupported(
            "is_library_scanning", "a folder has no server-side scanner"
        )
