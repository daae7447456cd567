"""Sync planning rules on their own: the incremental stop rule and watermark, units,
and a complete listing that a server's page cap cannot cut short."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.media_servers.subsonic.listing import (
    ListedAlbum,
    list_all,
    make_units,
    select_incremental,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def album(n: int, minutes: int, songs: int = 10) -> dict[str, Any]:
    """A listing entry created ``minutes`` after T0."""
    created = (T0 + timedelta(minutes=minutes)).isoformat()
    entry = {"id": f"a{n}", "name": f"Album {n}", "artistId": "r1", "songCount": songs}
    return {**entry, "created": created}


def library(count: int) -> list[dict[str, Any]]:
    """``count`` albums, newest first (album 0 is the newest)."""
    return [album(n, count - n) for n in range(count)]


def known_of(entries: list[dict[str, Any]]) -> dict[str, str | None]:
    return {ListedAlbum.of(e).native_id: ListedAlbum.of(e).fingerprint for e in entries}


def ids(albums: list[ListedAlbum]) -> list[str]:
    return [a.raw_id for a in albums]


def test_incremental_stops_after_a_run_of_unchanged_albums() -> None:
    entries = library(100)
    known = known_of(entries[3:])  # the three newest are new
    watermark = ListedAlbum.of(entries[3]).created
    choice = select_incremental(iter(entries), known, watermark, stop_after=25)
    assert ids(choice.to_read) == ["a0", "a1", "a2"]
    assert choice.examined == 3 + 1 + 25  # the album at the watermark does not count
    assert choice.newest == ListedAlbum.of(entries[0]).created


def test_a_changed_album_inside_the_window_restarts_the_run() -> None:
    entries = library(100)
    known = known_of(entries)
    known["al:a20"] = "an older fingerprint"
    choice = select_incremental(iter(entries), known, T0 + timedelta(days=1), 25)
    assert ids(choice.to_read) == ["a20"]
    assert choice.examined == 21 + 25


def test_everything_after_the_watermark_is_examined_whatever_the_stop_rule() -> None:
    entries = library(60)
    known = known_of(entries)
    for n in (40, 45):  # a crashed run stored the 40 newest; two older ones are missing
        del known[f"al:a{n}"]
    watermark = ListedAlbum.of(entries[50]).created  # the last successful run's newest
    choice = select_incremental(iter(entries), known, watermark, stop_after=5)
    assert ids(choice.to_read) == ["a40", "a45"]
    assert choice.examined == 51 + 5


def test_without_a_watermark_the_whole_list_is_examined() -> None:
    entries = library(60)
    known = known_of(entries)
    del known["al:a59"]
    choice = select_incremental(iter(entries), known, None, stop_after=5)
    assert ids(choice.to_read) == ["a59"]
    assert choice.examined == 60


def test_units_hold_about_one_batch_of_songs() -> None:
    albums = [ListedAlbum.of(album(n, n, songs=n % 7 + 1)) for n in range(50)]
    units = make_units(albums, batch_size=20)
    assert [i for u in units for i in u.album_ids] == ids(albums)
    assert all(u.songs >= 20 for u in units[:-1])
    assert all(u.songs < 20 + 7 for u in units)  # overshoot: less than one album


class CappedApi:
    """A server that returns at most ``cap`` albums a page, whatever ``size`` asks."""

    server = "capped"

    def __init__(self, count: int, cap: int) -> None:
        self.entries = library(count)
        self.cap = cap
        self.calls: list[dict[str, Any]] = []

    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(params)
        start = int(params["offset"])
        page = self.entries[start : start + min(int(params["size"]), self.cap)]
        return {"albumList2": {"album": page} if page else {}}


def test_a_page_cap_does_not_end_a_complete_listing_early() -> None:
    api = CappedApi(count=1234, cap=100)
    found = list_all(api, page_size=500, workers=4)  # type: ignore[arg-type]
    assert len(found) == 1234
    assert len({a.raw_id for a in found}) == 1234


def test_a_small_library_costs_two_requests() -> None:
    api = CappedApi(count=17, cap=500)
    assert len(list_all(api, page_size=500, workers=4)) == 17  # type: ignore[arg-type]
    assert len(api.calls) == 2
