"""The library a fake Plex Media Server holds: sections, items, files, history,
playlists, and the mutations tests make (edit, add, remove, play).

Items get ratingKeys from one counter, as in PMS, so a key is unique across artists,
albums, tracks, movies, shows, seasons and episodes; Part ids come from another
counter (another id space, as in PMS). Timestamps are epoch seconds.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

MOVIES, TV, MUSIC = 1, 2, 3  # section keys as in the recorded library_sections.xml
SECTION_TYPES = {MOVIES: "movie", TV: "show", MUSIC: "artist"}
SECTION_TITLES = {MOVIES: "Movies", TV: "TV Shows", MUSIC: "Music"}
TYPE_NUMBERS = {
    "movie": 1, "show": 2, "season": 3, "episode": 4,
    "artist": 8, "album": 9, "track": 10,
}  # fmt: skip
ACCOUNTS = {1: "owner", 2: "guest"}


@dataclass(slots=True)
class Part:
    id: int
    file: str
    size: int
    duration_ms: int
    container: str


@dataclass(slots=True)
class Media:
    id: int
    container: str
    bitrate: int
    duration_ms: int
    parts: list[Part]
    video: bool = False


@dataclass(slots=True)
class Item:
    """One metadata item (artist, album, track, movie, show, season, episode)."""

    key: int
    type: str
    section: int
    title: str
    added_at: int
    updated_at: int
    parent: int | None = None
    index: int | None = None
    disc: int | None = None  # a track's parentIndex
    year: int | None = None
    original_title: str | None = None  # a track's own artist
    genres: list[str] = field(default_factory=list)
    mbid: str | None = None
    summary: str = ""
    thumb: str | None = None
    edition: str | None = None
    duration_ms: int | None = None
    view_count: int = 0
    last_viewed_at: int | None = None
    view_offset_ms: int | None = None  # the token owner's resume position
    media: list[Media] = field(default_factory=list)


@dataclass(slots=True)
class PlayEvent:
    id: int
    key: int
    account: int
    viewed_at: int
    device: int = 1


@dataclass(slots=True)
class FakePlaylist:
    key: int
    title: str
    playlist_type: str
    added_at: int
    updated_at: int
    entries: list[tuple[int, int]] = field(default_factory=list)  # (itemID, ratingKey)
    smart: bool = False


class FakeLibrary:
    """Everything the fake server knows; every method is thread-safe."""

    def __init__(self, start: int | None = None) -> None:
        self.lock = threading.RLock()
        self.items: dict[int, Item] = {}
        self.children: dict[int, list[int]] = defaultdict(list)
        self.history: list[PlayEvent] = []
        self.playlists: dict[int, FakePlaylist] = {}
        self.posters: dict[int, bytes] = {}
        self.version = 0  # bumped by every change (for cached listings)
        self._index: dict[tuple[int, str], list[Item]] = {}
        self._index_version = -1
        self._next_key = 100
        self._next_id = 380_000
        self._stamp = start or int(time.time()) - 400 * 86_400

    # -- ids and clock ------------------------------------------------------------
    def new_key(self) -> int:
        with self.lock:
            self._next_key += 1
            return self._next_key

    def new_id(self) -> int:
        with self.lock:
            self._next_id += 1
            return self._next_id

    def generated_stamp(self) -> int:
        """A past time, later than every one handed out before (for generation)."""
        with self.lock:
            self._stamp += 60
            return self._stamp

    @staticmethod
    def now() -> int:
        return int(time.time())

    # -- building -------------------------------------------------------------------
    def add(
        self,
        type_: str,
        section: int,
        title: str,
        parent: int | None = None,
        **fields: Any,
    ) -> Item:
        """Add an item (now, unless ``added_at`` is given)."""
        with self.lock:
            stamp = int(fields.pop("added_at", 0) or self.now())
            item = Item(
                self.new_key(),
                type_,
                section,
                title,
                stamp,
                stamp + 30,
                parent=parent,
                **fields,
            )
            self.items[item.key] = item
            if parent is not None:
                self.children[parent].append(item.key)
            self.version += 1
            return item

    def media_for(
        self,
        path: str,
        container: str,
        seconds: float,
        *,
        video: bool = False,
        bitrate: int = 256,
    ) -> list[Media]:
        """One Media with one Part for ``path``."""
        ms = int(seconds * 1000)
        size = int(bitrate * 125 * max(seconds, 1)) + self._next_id % 997
        part = Part(self.new_id(), path, size, ms, container)
        return [Media(self.new_id(), container, bitrate, ms, [part], video)]

    # -- queries ------------------------------------------------------------------
    def of_type(self, section: int, type_: str) -> list[Item]:
        """A section's items of one type (indexed once per library version)."""
        with self.lock:
            if self._index_version != self.version:
                index: dict[tuple[int, str], list[Item]] = defaultdict(list)
                for item in self.items.values():
                    index[item.section, item.type].append(item)
                self._index, self._index_version = index, self.version
            return list(self._index.get((section, type_), []))

    def get(self, key: int) -> Item | None:
        return self.items.get(key)

    def kids(self, key: int) -> list[Item]:
        with self.lock:
            return [
                self.items[k] for k in self.children.get(key, []) if k in self.items
            ]

    def leaves(self, key: int) -> list[Item]:
        """Playable descendants (an album's or artist's tracks, a show's episodes)."""
        found: list[Item] = []
        for kid in self.kids(key):
            found.extend([kid] if kid.media else self.leaves(kid.key))
        return found

    def counts(self) -> dict[str, int]:
        """Items by type, e.g. ``{"track": 208, ...}``."""
        with self.lock:
            out: dict[str, int] = defaultdict(int)
            for item in self.items.values():
                out[item.type] += 1
            return dict(out)

    # -- mutations tests make -------------------------------------------------------
    def touch(self, key: int, **changes: object) -> Item:
        """Edit an item as PMS would: set fields and bump ``updatedAt``."""
        with self.lock:
            item = self.items[key]
            for name, value in changes.items():
                setattr(item, name, value)
            item.updated_at = max(self.now(), item.updated_at + 1)
            self.version += 1
            return item

    def remove(self, key: int) -> None:
        """Delete an item and its descendants."""
        with self.lock:
            for kid in list(self.children.get(key, [])):
                self.remove(kid)
            item = self.items.pop(key, None)
            if item is not None and item.parent is not None:
                self.children[item.parent].remove(key)
            self.children.pop(key, None)
            self.version += 1

    def play(self, key: int, account: int = 1, at: int | None = None) -> PlayEvent:
        """Record a play (as ``/:/scrobble`` does): history, viewCount, lastViewedAt."""
        with self.lock:
            item = self.items[key]
            when = at or self.now()
            item.view_count += 1
            item.last_viewed_at = max(item.last_viewed_at or 0, when)
            event = PlayEvent(len(self.history) + 1, key, account, when)
            self.history.append(event)
            self.version += 1
            return event
