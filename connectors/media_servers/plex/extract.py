"""Extraction for ``library_sync``: plan units of hundreds to thousands of items, and
read one unit into a :class:`LibraryBatch`.

- ``full``/``deep``: every page of every listing (artists, albums, tracks; movies;
  shows, episodes) cut into units of ``batch_size`` items; ``full`` is complete, so
  what it did not see was removed. Units are offset ranges, so an item deleted on the
  server while a full run reads can shift one item across a unit boundary: that item
  is unseen this run and marked removed, and the next run brings it back
  (``removed_at`` cleared); the removal limit bounds the effect.
- ``incremental``: newest first, stopping after :data:`STOP_AFTER` consecutive items
  that are stored and unchanged, plus everything updated or played since the stored
  watermark, which is read regardless of the stop rule; so a crashed run, whose
  watermark was never stored, is resumed by the next one rather than restarted.

The new watermark is the newest ``updatedAt``/``lastViewedAt`` the server reports when
the plan is made; items changed during the run are at least that new, and the
watermark query uses ``>=``, so none is missed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from connectors.errors import LibraryUnavailable
from connectors.media_servers.base import Known, SyncMode
from connectors.media_servers.plex.listing import (
    ALBUM,
    EPISODE,
    LEAF_TYPES,
    MOVIE,
    Lister,
    Probe,
    Section,
)
from connectors.media_servers.plex.parse import add_elements, fingerprint, number
from connectors.media_servers.records import LibraryBatch, SyncPlan

log = logging.getLogger(__name__)

STOP_AFTER = 25
"""Consecutive stored-and-unchanged items (albums; movies or episodes in video sections)
after which the newest-first walk stops. Justification: Plex lists albums newest-added
first, and an import adds a burst of albums at once; metadata agents then refresh them
in that same order, so changed albums cluster at the top. 25 albums (about 250-300
tracks) of nothing changed means the walk has left the recent burst; it is half of one
50-item walk page, so stopping later buys nothing measurable, and anything changed
further down is caught by the watermark query, not by walking further (SoulSync, which
has no watermark, uses the same 25 for Plex)."""
WALK_PAGE = 2 * STOP_AFTER
FULL_SORT = (("sort", "addedAt"),)
NEWEST_FIRST = (("sort", "addedAt:desc"),)
WALK_TYPE = {"artist": ALBUM, "movie": MOVIE, "show": EPISODE}


@dataclass(frozen=True, slots=True)
class PageUnit:
    """A range of one listing, ``/library/sections/{section}/all?type={libtype}``."""

    section: str
    libtype: int
    start: int
    count: int
    params: tuple[tuple[str, str], ...] = FULL_SORT
    parents: bool = False  # also read the parents (albums, artists, shows) it names


@dataclass(frozen=True, slots=True)
class KeysUnit:
    """Items by ratingKey, with their children (an album's tracks) and parents."""

    keys: tuple[str, ...]
    children: bool = False


def parse_cursor(cursor: str | None) -> int | None:
    """The watermark stored by the last successful run (None if absent or foreign)."""
    if not cursor:
        return None
    try:
        value = json.loads(cursor).get("watermark")
    except (ValueError, AttributeError):
        log.warning("ignoring an unreadable incremental cursor")
        return None
    return int(value) if isinstance(value, int | float) else None


class Planner:
    """Plans and reads sync units for one server."""

    def __init__(self, lister: Lister, name: str) -> None:
        self.lister = lister
        self.name = name

    def plan(
        self, mode: SyncMode, known: Known, cursor: str | None, batch_size: int
    ) -> SyncPlan:
        """The units a sync in ``mode`` reads (see the module docstring).

        Raises:
            LibraryUnavailable: the server lists no items at all (remove nothing).
        """
        sections = self.lister.sections()
        probes = {
            (s.key, t): self.lister.probe(s.key, t) for s in sections for t in s.types
        }
        leaves = sum(p.total for (_, t), p in probes.items() if t in LEAF_TYPES)
        if leaves == 0:
            titles = ", ".join(s.title for s in sections)
            raise LibraryUnavailable(
                self.name, f"the server lists no items in {titles}"
            )
        watermark = self._watermark(sections, probes)
        since = parse_cursor(cursor)
        if mode is SyncMode.INCREMENTAL and known:
            units, total = self._incremental(sections, known, since, batch_size)
        else:
            units, total = self._full(sections, probes, batch_size), leaves
        new_cursor = json.dumps({"watermark": max(watermark or 0, since or 0)})
        return SyncPlan(
            units=units,
            complete=mode is SyncMode.FULL,
            cursor=new_cursor if watermark or since else None,
            total_items=total,
        )

    def _watermark(
        self, sections: list[Section], probes: dict[tuple[str, int], Probe]
    ) -> int | None:
        stamps = [p.newest for p in probes.values() if p.newest]
        for section in sections:
            for libtype in section.types:
                if libtype in LEAF_TYPES:
                    played = self.lister.probe(
                        section.key, libtype, stamp="lastViewedAt"
                    )
                    stamps.append(played.newest or 0)
        return max(stamps, default=None) or None

    def _full(
        self,
        sections: list[Section],
        probes: dict[tuple[str, int], Probe],
        batch_size: int,
    ) -> list[Any]:
        units: list[Any] = []
        for section in sections:
            for libtype in section.types:
                units += _page_units(
                    section.key, libtype, probes[section.key, libtype].total, batch_size
                )
        return units

    def _incremental(
        self, sections: list[Section], known: Known, since: int | None, batch_size: int
    ) -> tuple[list[Any], int]:
        units: list[Any] = []
        total = 0
        for section in sections:
            walk_type = WALK_TYPE[section.type]
            changed = self._walk(section, walk_type, known)
            total += sum(size for _, size in changed)
            units += _keys_units(changed, walk_type == ALBUM, batch_size)
            if since is None:
                continue
            for libtype in section.types:
                filters = [("updatedAt>>", str(since - 1))]
                if libtype in LEAF_TYPES:
                    filters.append(("lastViewedAt>>", str(since - 1)))
                for field, value in filters:
                    params = ((field, value), *FULL_SORT)
                    count = self.lister.probe(section.key, libtype, params[:1]).total
                    total += count if libtype in LEAF_TYPES else 0
                    units += _page_units(
                        section.key, libtype, count, batch_size, params, parents=True
                    )
        return units, total

    def _walk(
        self, section: Section, libtype: int, known: Known
    ) -> list[tuple[str, int]]:
        """Newest first until STOP_AFTER stored-and-unchanged items in a row."""
        changed: list[tuple[str, int]] = []
        unchanged_run = 0
        for el in self.lister.walk(section.key, libtype, NEWEST_FIRST, WALK_PAGE):
            key = el.get("ratingKey", "")
            if known.get(key) == fingerprint(el):
                unchanged_run += 1
                if unchanged_run >= STOP_AFTER:
                    break
            else:
                unchanged_run = 0
                changed.append((key, number(el, "leafCount") or 1))
        return changed

    def read(self, unit: PageUnit | KeysUnit) -> LibraryBatch:
        """Read one unit; malformed items are counted as failed, not raised."""
        batch = LibraryBatch()
        if isinstance(unit, PageUnit):
            add_elements(
                batch,
                self.lister.range(
                    unit.section, unit.libtype, unit.start, unit.count, unit.params
                ),
            )
            parents = unit.parents
        else:
            add_elements(batch, self.lister.metadata(unit.keys))
            if unit.children:
                add_elements(batch, self.lister.children(unit.keys))
            parents = True
        if parents:
            add_elements(batch, self.lister.metadata(_missing_parents(batch)))
        return batch


def _page_units(
    section: str,
    libtype: int,
    total: int,
    batch_size: int,
    params: tuple[tuple[str, str], ...] = FULL_SORT,
    parents: bool = False,
) -> list[PageUnit]:
    units = []
    for start in range(0, total, batch_size):
        count = min(batch_size, total - start)
        units.append(PageUnit(section, libtype, start, count, params, parents))
    return units


def _keys_units(
    changed: list[tuple[str, int]], children: bool, batch_size: int
) -> list[KeysUnit]:
    """Group changed items so that each unit holds about ``batch_size`` leaf items."""
    units: list[KeysUnit] = []
    keys: list[str] = []
    size = 0
    for key, leaves in changed:
        if keys and size + leaves > batch_size:
            units.append(KeysUnit(tuple(keys), children))
            keys, size = [], 0
        keys.append(key)
        size += leaves
    if keys:
        units.append(KeysUnit(tuple(keys), children))
    return units


def _missing_parents(batch: LibraryBatch) -> list[str]:
    """Albums, artists and shows that the batch's items name but the batch lacks."""
    have = {
        *(r.native_id for r in batch.artists),
        *(r.native_id for r in batch.albums),
        *(r.native_id for r in batch.shows),
    }
    wanted = [
        *(t.album_native_id for t in batch.tracks),
        *(t.artist_native_id for t in batch.tracks),
        *(a.artist_native_id for a in batch.albums),
        *(e.show_native_id for e in batch.episodes),
    ]
    return [k for k in dict.fromkeys(wanted) if k and k not in have]
