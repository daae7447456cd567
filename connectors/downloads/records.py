"""The records that flow between download sources, the engine and the job store.

A :class:`Request` is what the user wants (a track, album, episode, video or file, by
query, URL or ids). A source answers a search with :class:`Candidate` records and a
download with :class:`Fetched`. None of these hold secrets.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from pathlib import Path


class Kind(StrEnum):
    """What a request asks for."""

    TRACK = "track"
    ALBUM = "album"
    EPISODE = "episode"
    VIDEO = "video"
    FILE = "file"
    ARTICLE = "article"


AUDIO_KINDS = frozenset({Kind.TRACK, Kind.ALBUM, Kind.EPISODE})


class JobState(StrEnum):
    """The states of one download job (a job starts searching when it is claimed; an
    item waiting for its turn is a wanted item without a job); the last three are
    final."""

    SEARCHING = "searching"
    DOWNLOADING = "downloading"
    VERIFYING = "verifying"
    IMPORTED = "imported"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL_STATES = frozenset({JobState.IMPORTED, JobState.FAILED, JobState.CANCELLED})

_SPACES = re.compile(r"\s+")


def is_url(text: str | None) -> bool:
    """Whether ``text`` is an http(s) URL."""
    return bool(text) and urlsplit(str(text)).scheme in ("http", "https")


_AUDIO_SUFFIXES = frozenset(
    ".mp3 .flac .ogg .oga .opus .m4a .m4b .aac .wav .aif .aiff .wma .ape .wv".split()
)


def _audio_url(url: str) -> bool:
    """Whether a URL names an audio file by its extension (``.../song.mp3?x=1``)."""
    path = urlsplit(url).path.lower()
    return any(path.endswith(suffix) for suffix in _AUDIO_SUFFIXES)


@dataclass(frozen=True, slots=True)
class Request:
    """One wanted item. ``query`` is free text or a URL; ids make dedup exact."""

    kind: Kind
    query: str = ""
    url: str | None = None
    artist: str | None = None
    title: str | None = None
    album: str | None = None
    duration_s: float | None = None
    mb_recording_id: str | None = None
    feed_url: str | None = None
    episode_guid: str | None = None
    published: str | None = None
    source: str | None = None

    @classmethod
    def parse(cls, text: str, kind: Kind | None = None, **fields: Any) -> Request:
        """A request from what a user typed: a URL, or ``Artist - Title`` text."""
        text = text.strip()
        if is_url(text):
            kind = kind or (Kind.TRACK if _audio_url(text) else Kind.VIDEO)
            return cls(kind=kind, query=text, url=text, **fields)
        kind = kind or Kind.TRACK
        artist, sep, title = text.partition(" - ")
        name = "album" if kind is Kind.ALBUM else "title"
        if sep and "artist" not in fields and name not in fields:
            fields = {"artist": artist.strip(), name: title.strip(), **fields}
        return cls(kind=kind, query=text, **fields)

    @property
    def text(self) -> str:
        """What a search engine should be asked."""
        if self.query and not is_url(self.query):
            return self.query
        parts = [self.artist, self.album if self.kind is Kind.ALBUM else self.title]
        return " - ".join(p for p in parts if p)

    def key(self) -> str:
        """The request key: the same request twice has the same key."""
        if self.episode_guid:
            basis = f"episode|{self.feed_url}|{self.episode_guid}"
        elif self.url:
            basis = f"{self.kind}|{_canonical_url(self.url)}"
        elif self.mb_recording_id:
            basis = f"{self.kind}|mbid|{self.mb_recording_id.lower()}"
        else:
            basis = f"{self.kind}|{_fold(self.text)}|{_fold(self.album or '')}"
        return hashlib.sha1(basis.encode()).hexdigest()[:20]

    def as_row(self) -> dict[str, Any]:
        """The request as a row of ``wanted_items`` columns."""
        row = asdict(self)
        row["kind"] = str(self.kind)
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Request:
        """The request stored in a ``wanted_items`` row."""
        names = set(cls.__dataclass_fields__)
        values = {k: v for k, v in row.items() if k in names}
        values["kind"] = Kind(values["kind"])
        values["query"] = values.get("query") or ""
        return cls(**values)


def _fold(text: str) -> str:
    return _SPACES.sub(" ", text.casefold()).strip()


def _canonical_url(url: str) -> str:
    parts = urlsplit(url.strip())
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, "")
    )


@dataclass(frozen=True, slots=True)
class Candidate:
    """One search result of one source.

    ``key`` identifies the result within its source (slskd ``user|path``, a URL, a
    Lidarr album id): the blocklist and dedup use it. ``size`` is what the source
    announced, ``None`` when it did not say.
    """

    source: str
    key: str
    title: str
    url: str | None = None
    artist: str | None = None
    album: str | None = None
    extension: str | None = None
    bitrate_kbps: int | None = None
    sample_rate_hz: int | None = None
    size: int | None = None
    duration_s: float | None = None
    user: str | None = None
    queue_length: int | None = None
    free_slot: bool | None = None
    published: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(slots=True)
class Fetched:
    """What a download produced.

    ``path`` is the finished file in the staging folder. A source that imports into
    its own library (Lidarr) returns ``path=None`` and the files it placed in
    ``imported_paths``. ``metadata`` carries what the source knows (title, artist...).
    """

    path: Path | None
    announced_size: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    imported_paths: list[Path] = field(default_factory=list)
