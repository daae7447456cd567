"""Listing a Plex library: sections, paged ``/all`` reads (pages fetched concurrently),
metadata by ratingKey, and the cheap probes (counts and newest stamps) a plan needs.

Paging uses the ``X-Plex-Container-Start``/``X-Plex-Container-Size`` headers that
plexapi sends too; PMS answers ``totalSize`` and ``offset`` on the ``MediaContainer``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.errors import LibraryUnavailable, NotFound
from connectors.media_servers.plex.parse import number

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from xml.etree.ElementTree import Element

    from connectors.media_servers.plex.transport import PlexConnection

ARTIST, ALBUM, TRACK, MOVIE, SHOW, EPISODE = 8, 9, 10, 1, 2, 4
TYPES_BY_SECTION = {
    "artist": (ARTIST, ALBUM, TRACK),
    "movie": (MOVIE,),
    "show": (SHOW, EPISODE),
}
LEAF_TYPES = frozenset({TRACK, MOVIE, EPISODE})
KEYS_PER_REQUEST = 100  # ratingKeys in one /library/metadata/k1,k2,... request


@dataclass(frozen=True, slots=True)
class Section:
    """A library section the client reads."""

    key: str
    type: str  # artist, movie or show
    title: str
    refreshing: bool = False

    @property
    def types(self) -> tuple[int, ...]:
        """The Plex item types this section lists, parents first."""
        return TYPES_BY_SECTION[self.type]


@dataclass(frozen=True, slots=True)
class Probe:
    """How many items one listing holds and its newest ``updatedAt``."""

    total: int
    newest: int | None


class Lister:
    """Reads listings of one server through a :class:`PlexConnection`."""

    def __init__(self, conn: PlexConnection) -> None:
        self.conn = conn
        self.page_size = conn.config.page_size
        self.workers = conn.config.page_workers

    def sections(self) -> list[Section]:
        """The configured music and video sections (every one when none is named).

        Raises:
            NotFound: a configured section title does not exist.
            LibraryUnavailable: the server has no music or video section at all.
        """
        found = [
            Section(
                el.get("key", ""),
                el.get("type", ""),
                el.get("title", ""),
                el.get("refreshing") == "1",
            )
            for el in self.conn.query("/library/sections") or []
            if el.get("type") in TYPES_BY_SECTION
        ]
        config = self.conn.config
        music = _pick([s for s in found if s.type == "artist"], config.music_sections)
        video = _pick([s for s in found if s.type != "artist"], config.video_sections)
        if isinstance(music, str) or isinstance(video, str):
            missing = music if isinstance(music, str) else video
            titles = ", ".join(s.title for s in found) or "none"
            raise NotFound(
                self.conn.name,
                f"no library section titled {missing!r} (sections: {titles})",
            )
        if not music and not video:
            raise LibraryUnavailable(
                self.conn.name, "the server has no music or video sections"
            )
        return [*music, *video]

    def page(
        self,
        section: str,
        libtype: int,
        start: int,
        size: int,
        params: Sequence[tuple[str, str]] = (),
    ) -> list[Element]:
        """One page of ``/library/sections/{section}/all?type={libtype}``."""
        query: dict[str, Any] = {"type": libtype, "includeGuids": 1, **dict(params)}
        container = self.conn.query(
            f"/library/sections/{section}/all", query, start=start, size=size
        )
        return list(container) if container is not None else []

    def range(
        self,
        section: str,
        libtype: int,
        start: int,
        count: int,
        params: Sequence[tuple[str, str]] = (),
    ) -> list[Element]:
        """``count`` items from ``start``, in pages fetched concurrently, in order."""
        spans = [
            (start + offset, min(self.page_size, count - offset))
            for offset in range(0, count, self.page_size)
        ]
        pages = self._parallel(
            lambda s: self.page(section, libtype, s[0], s[1], params), spans
        )
        return [el for page in pages for el in page]

    def walk(
        self,
        section: str,
        libtype: int,
        params: Sequence[tuple[str, str]] = (),
        page_size: int | None = None,
    ) -> Iterator[Element]:
        """Every item of a listing, one page after the other (stop whenever)."""
        size = page_size or self.page_size
        start = 0
        while True:
            items = self.page(section, libtype, start, size, params)
            yield from items
            if len(items) < size:
                return
            start += size

    def probe(
        self,
        section: str,
        libtype: int,
        params: Sequence[tuple[str, str]] = (),
        stamp: str = "updatedAt",
    ) -> Probe:
        """The size of a listing and its newest ``stamp``, in one small request."""
        query: dict[str, Any] = {
            "type": libtype,
            "sort": f"{stamp}:desc",
            **dict(params),
        }
        container = self.conn.query(
            f"/library/sections/{section}/all", query, start=0, size=1
        )
        if container is None:
            return Probe(0, None)
        total = number(container, "totalSize")
        first = next(iter(container), None)
        return Probe(
            total if total is not None else len(container),
            number(first, stamp) if first is not None else None,
        )

    def metadata(self, keys: Sequence[str]) -> list[Element]:
        """Items by ratingKey (``/library/metadata/k1,k2,...``), in chunks."""
        chunks = [
            keys[i : i + KEYS_PER_REQUEST]
            for i in range(0, len(keys), KEYS_PER_REQUEST)
        ]
        pages = self._parallel(
            lambda chunk: self._list(
                f"/library/metadata/{','.join(chunk)}", {"includeGuids": 1}
            ),
            chunks,
        )
        return [el for page in pages for el in page]

    def children(self, keys: Sequence[str]) -> list[Element]:
        """The children of each item (an album's tracks), fetched concurrently."""
        pages = self._parallel(
            lambda key: self._list(
                f"/library/metadata/{key}/children", {"includeGuids": 1}
            ),
            list(keys),
        )
        return [el for page in pages for el in page]

    def _list(self, path: str, params: dict[str, Any]) -> list[Element]:
        try:
            container = self.conn.query(path, params)
        except NotFound:  # removed since it was listed: nothing to read
            return []
        return list(container) if container is not None else []

    def _parallel(self, fetch: Any, args: list[Any]) -> list[Any]:
        if len(args) <= 1 or self.workers <= 1:
            return [fetch(arg) for arg in args]
        with ThreadPoolExecutor(min(self.workers, len(args)), "plex-page") as pool:
            return list(pool.map(fetch, args))


def _pick(sections: list[Section], titles: list[str]) -> list[Section] | str:
    """The sections named in ``titles`` (all when empty), or the first missing title."""
    if not titles:
        return sections
    by_title = {s.title.casefold(): s for s in sections}
    for title in titles:
        if title.casefold() not in by_title:
            return title
    return [by_title[t.casefold()] for t in titles]
