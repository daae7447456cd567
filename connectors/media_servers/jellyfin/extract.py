"""Library extraction for ``library_sync``: plans of paged reads, and reading a unit.

Two listings make up a library: ``/Items`` (albums, tracks, movies, series, episodes,
recursively) and ``/Artists``. Both are read in ``DateCreated`` order, so items added
during a run land at the end of an ascending listing instead of shifting its pages.

- ``full``/``deep``: one count request per listing, then units of ``batch_size`` items
  (whole pages); a unit's pages are fetched by a small thread pool. ``full`` is a
  complete listing (removals are detected); ``deep`` is not.
- ``incremental``: (1) every item saved since the stored watermark
  (``minDateLastSaved``, both 10.11 and 12.0 have it), whatever the stop rule says, and
  (2) a newest-first scan (``DateCreated`` descending) that stops after
  :data:`STOP_AFTER` consecutive items already stored with the same fingerprint; items
  that (1) reads anyway neither count nor break that run (a re-tagged old track sits
  deep in ``DateCreated`` order, and 1% of changes spread evenly would otherwise break
  every run of 250).
  The watermark is the server's own clock (its ``Date`` header) when planning started;
  it is stored only when the run succeeds, so a crashed run is resumed, not lost.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from connectors.errors import LibraryUnavailable
from connectors.media_servers.base import Known, SyncMode
from connectors.media_servers.jellyfin.convert import fingerprint, to_batch
from connectors.media_servers.records import LibraryBatch, SyncPlan

if TYPE_CHECKING:
    from connectors.media_servers.jellyfin.session import JellyfinSession, Params

STOP_AFTER = 250
"""Consecutive stored-and-unchanged items after which the newest-first scan stops.

The scan is the safety net, not the main mechanism: everything Jellyfin saved since
the watermark is read anyway. It catches new items that a watermark cannot (no
watermark yet, or a server clock set back), and those sit at the top of the
``DateCreated`` order, in runs that a parallel library scan interleaves with older
items by at most a few albums. 250 items is about 20 albums: it steps over such
interleaving, and it is one default page of reading, about 0.25% of a 100,000-track
library per run. (SoulSync stops after 100 tracks; a page is fetched whole anyway, so
a larger run costs nothing extra.)"""
SCAN_BUDGET_PAGES = 20
"""Pages the planning scan may read; past them the rest is read in units like ``deep``,
so a first incremental run over a big library does not hold it all in the plan."""
WATERMARK_MARGIN = timedelta(minutes=10)
"""Read back this far before the watermark: items whose save straddled the last run."""
ITEM_TYPES = "MusicAlbum,Audio,Movie,Series,Episode"
ITEM_FIELDS = (
    "Path,MediaSources,DateCreated,Etag,Genres,ProviderIds,SortName,ChildCount"
)
ARTIST_FIELDS = "SortName,ProviderIds,Genres,Etag,DateCreated"
SOURCES = ("items", "artists")


@dataclass(frozen=True, slots=True)
class PageRange:
    """Items ``start`` to ``stop`` of one listing, in a fixed order."""

    source: str
    start: int
    stop: int
    descending: bool = False
    since: str | None = None


@dataclass(frozen=True, slots=True)
class Prefetched:
    """Items already read while planning (a JSON list, so the unit stays small)."""

    source: str
    payload: str
    count: int


def listing(
    session: JellyfinSession,
    source: str,
    *,
    descending: bool = False,
    since: str | None = None,
) -> tuple[str, Params]:
    """Path and query of one listing, with the acting user's play data for items."""
    params: Params = {
        "sortBy": "DateCreated",
        "sortOrder": "Descending" if descending else "Ascending",
        "enableImages": "false",
        "enableTotalRecordCount": "true",
    }
    if source == "artists":
        params["fields"] = ARTIST_FIELDS
        return "/Artists", params
    params.update(recursive="true", includeItemTypes=ITEM_TYPES, fields=ITEM_FIELDS)
    user = session.user()
    if user is not None:
        params.update(userId=user.id, enableUserData="true")
    if since:
        params["minDateLastSaved"] = since
    return "/Items", params


def _ranges(
    source: str, start: int, stop: int, size: int, **kw: Any
) -> list[PageRange]:
    return [
        PageRange(source, s, min(s + size, stop), **kw)
        for s in range(start, stop, size)
    ]


def _unit_size(session: JellyfinSession, batch_size: int) -> int:
    page = session.config.page_size
    return max(page, -(-batch_size // page) * page)


def _count(
    session: JellyfinSession, source: str, since: str | None = None
) -> tuple[int, datetime]:
    path, params = listing(session, source, since=since)
    page = session.page(path, params, 0, 1)
    return page.total, page.server_time


def _watermark(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def plan_listing(session: JellyfinSession, mode: SyncMode, batch_size: int) -> SyncPlan:
    """``full``/``deep``: every page of both listings, in units."""
    items, started = _count(session, "items")
    if items == 0:
        raise LibraryUnavailable(session.name, "the server lists no items")
    artists, _ = _count(session, "artists")
    size = _unit_size(session, batch_size)
    units = _ranges("items", 0, items, size) + _ranges("artists", 0, artists, size)
    return SyncPlan(
        units=list(units),
        complete=mode is SyncMode.FULL,
        cursor=_watermark(started),
        total_items=items + artists,
    )


def plan_incremental(
    session: JellyfinSession, known: Known, cursor: str | None, batch_size: int
) -> SyncPlan:
    """What changed: since the watermark, plus a newest-first scan with a stop rule."""
    size = _unit_size(session, batch_size)
    units: list[Any] = []
    unchanged: list[str] = []
    covered: set[str] = set()
    started: datetime | None = None
    if cursor:
        since = _watermark(datetime.fromisoformat(cursor) - WATERMARK_MARGIN)
        covered, started = _saved_since(session, since)
        units += _ranges("items", 0, len(covered), size, since=since)
    total = len(covered)
    for source in SOURCES:
        scan = _scan(session, source, known, covered, size)
        if source == "items" and scan.total == 0:
            raise LibraryUnavailable(session.name, "the server lists no items")
        started = started or scan.started
        units += scan.units
        unchanged += scan.unchanged
        total += scan.read + len(scan.unchanged)
    moment = started or datetime.now(UTC)
    return SyncPlan(
        units=units, unchanged=unchanged, cursor=_watermark(moment), total_items=total
    )


def _saved_since(session: JellyfinSession, since: str) -> tuple[set[str], datetime]:
    """Ids of the items saved since ``since`` (a light listing: ids only)."""
    path, params = listing(session, "items", since=since)
    params = {**params, "enableUserData": "false"}
    params.pop("fields")
    ids: set[str] = set()
    started: datetime | None = None
    while True:
        page = session.page(path, params, len(ids), session.config.page_size)
        started = started or page.server_time
        ids.update(dto["Id"] for dto in page.items)
        if not page.items or len(ids) >= page.total:
            return ids, started


@dataclass(slots=True)
class _Scan:
    units: list[Any]
    unchanged: list[str]
    read: int
    total: int
    started: datetime | None


def _scan(
    session: JellyfinSession, source: str, known: Known, covered: set[str], size: int
) -> _Scan:
    """Read newest first until STOP_AFTER stored-and-unchanged items in a row
    (skipping ``covered`` items, which are read by other units)."""
    path, params = listing(session, source, descending=True)
    page_size = session.config.page_size
    changed: list[dict[str, Any]] = []
    result = _Scan([], [], 0, 0, None)
    run = position = 0
    while position < SCAN_BUDGET_PAGES * page_size:
        page = session.page(path, params, position, page_size)
        result.total, result.started = page.total, result.started or page.server_time
        for dto in page.items:
            position += 1
            if dto["Id"] in covered:
                continue
            if known.get(dto["Id"], "") == fingerprint(dto):
                result.unchanged.append(dto["Id"])
                run += 1
                if run >= STOP_AFTER:
                    break
            else:
                changed.append(dto)
                run = 0
        if run >= STOP_AFTER or not page.items or position >= page.total:
            break
    else:  # budget spent: read the rest like a deep sync, newest first
        result.units += _ranges(source, position, result.total, size, descending=True)
        result.read += result.total - position
    for start in range(0, len(changed), size):
        chunk = changed[start : start + size]
        result.units.append(Prefetched(source, json.dumps(chunk), len(chunk)))
    result.read += len(changed)
    return result


def read_unit(session: JellyfinSession, unit: PageRange | Prefetched) -> LibraryBatch:
    """Read one unit: its pages concurrently (a small pool), then records."""
    if isinstance(unit, Prefetched):
        return to_batch(json.loads(unit.payload))
    path, params = listing(
        session, unit.source, descending=unit.descending, since=unit.since
    )
    page_size = session.config.page_size
    starts = list(range(unit.start, unit.stop, page_size))

    def fetch(start: int) -> list[dict[str, Any]]:
        limit = min(page_size, unit.stop - start)
        return session.page(path, params, start, limit).items

    workers = min(session.config.page_threads, len(starts)) or 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pages = list(pool.map(fetch, starts))
    return to_batch([dto for page in pages for dto in page])
