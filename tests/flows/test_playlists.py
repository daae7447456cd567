"""Playlists both ways, end to end: a 160-entry M3U (4 entries not in the library)
pushed to the Plex and Jellyfin fakes and to a real supysonic, the report in SQL, a
second push that changes nothing, a removal propagated by the mirror sync, a hand edit
reported and kept, and the M3U8 export of a folder server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flows.library_sync import library_sync
from flows.playlists import playlist_push, playlist_sync
from medialake.sample import SampleSummary, sample_tracks
from tasks.context import engine, warehouse
from tests.connectors.media_servers.jellyfin import library as jf_library
from tests.connectors.media_servers.jellyfin.fake_server import API_KEY, FakeJellyfin
from tests.connectors.media_servers.plex.fakes import from_sample, running
from tests.connectors.media_servers.subsonic.server import shared_server

pytestmark = pytest.mark.usefixtures("prefect_harness")
TARGETS = ["pms", "jf", "navi"]
ABSENT = [
    ("Nobody Here", "A Song That Was Never Recorded"),
    ("The Sine Waves", "Quiet Signal (Live at the Fake Arena)"),
    ("Ghost Band", "Vapour"),
    ("The Sine Waves", "Unreleased Demo Nine"),
]


def query(sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with warehouse().read() as con:
        return con.execute(sql, list(params)).fetchall()


@pytest.fixture
def servers(
    ml_home: Path,
    sample_library: SampleSummary,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[None]:
    """Plex and Jellyfin fakes and the session's supysonic, all holding the sample
    music, configured and synced into the warehouse."""
    from tasks.context import reset

    navi = shared_server(sample_library)
    served = jf_library.from_sample(sample_library.root, jf_library.guid("s", "pl"))
    with (
        running(from_sample(sample_library.root)) as plex,
        FakeJellyfin(served, version="12.0.0") as jf,
    ):
        tables = {
            "pms": {
                "kind": "plex",
                "url": plex.url,
                "token": plex.token,
                "retries": 2,
                "backoff": 0.01,
                "timeout": 5,
            },
            "jf": {
                "kind": "jellyfin",
                "url": jf.url,
                "api_key": API_KEY,
                "backoff_s": 0.01,
            },
            "navi": navi.config(),
        }
        for name, table in tables.items():
            for key, value in table.items():
                monkeypatch.setenv(
                    f"MEDIALAKE_SERVERS_{name.upper()}_{key.upper()}", str(value)
                )
        reset()
        for name in TARGETS:
            library_sync(server=name, mode="full")
        yield


def write_m3u(path: Path, skip: int | None = None) -> list[tuple[str, str]]:
    """160 entries: 156 sample tracks (EXTINF only, no usable path) and 4 absent
    ones at positions 10, 50, 90, 130; returns the (artist, title) in order."""
    wanted = [(t.tags.artist, t.tags.title) for t in sample_tracks()[:156]]
    for index, pair in zip((10, 50, 90, 130), ABSENT, strict=True):
        wanted.insert(index, pair)
    if skip is not None:
        del wanted[skip]
    lines = ["#EXTM3U"]
    for n, (artist, title) in enumerate(wanted):
        lines += [f"#EXTINF:-1,{artist} - {title}", f"elsewhere/{n:03d}.mp3"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return wanted


def on_server(server: str, name: str) -> list[tuple[str, str]]:
    """The (artist, title) of every track of the server's playlist ``name``."""
    found = engine().get(server).get_playlists()
    assert not isinstance(found, type(None))
    [playlist] = [p for p in found if p.name == name]  # type: ignore[union-attr]
    titles = dict(
        (
            (native, (artist, title))
            for native, artist, title in query(
                "SELECT native_id, artist, title FROM tracks WHERE server_id = ?",
                server,
            )
        )
    )
    return [titles[n] for n in playlist.track_native_ids]


def test_push_sync_and_report(servers: None, tmp_path: Path) -> None:
    name = f"Mix {uuid.uuid4().hex[:6]}"
    m3u = tmp_path / "mix.m3u8"
    wanted = write_m3u(m3u)
    present = [pair for pair in wanted if pair not in ABSENT]

    first = playlist_push(
        sources=[{"source": str(m3u), "name": name, "targets": TARGETS, "mirror": True}]
    )
    assert {s["server_id"]: s["status"] for s in first} == dict.fromkeys(
        TARGETS, "created"
    )
    for server in TARGETS:
        assert on_server(server, name) == present, server
    missing = query(
        "SELECT s.server_id, i.position, i.label, i.reason FROM playlist_sync_items i"
        " JOIN playlist_syncs s USING (sync_id) WHERE i.status = 'missing'"
        " ORDER BY s.server_id, i.position"
    )
    assert [(m[0], m[1]) for m in missing] == [
        (server, pos) for server in sorted(TARGETS) for pos in (10, 50, 90, 130)
    ]
    live = [m for m in missing if "Live" in m[2]]
    assert len(live) == 3
    assert all("live version" in m[3] for m in live)

    again = playlist_push(playlists=[name])
    assert {s["status"] for s in again} == {"unchanged"}
    assert all(s["added"] == 0 and s["removed"] == 0 for s in again)
    for server in TARGETS:
        assert on_server(server, name) == present

    write_m3u(m3u, skip=3)  # one entry removed from the source
    synced = playlist_sync()
    assert {s["status"] for s in synced} == {"updated"}
    assert all(s["removed"] == 1 for s in synced)
    for server in TARGETS:
        assert on_server(server, name) == [p for p in present if p != wanted[3]]


def test_hand_edit_is_reported_not_overwritten(servers: None, tmp_path: Path) -> None:
    name = f"Edited {uuid.uuid4().hex[:6]}"
    m3u = tmp_path / "edit.m3u"
    write_m3u(m3u)
    playlist_push(
        sources=[{"source": str(m3u), "name": name, "targets": ["jf"], "mirror": True}]
    )
    client = engine().get("jf")
    [made] = [p for p in client.get_playlists() if p.name == name]  # type: ignore[union-attr]
    by_hand = made.track_native_ids[:5]
    client.update_playlist(made.native_id, by_hand)
    write_m3u(m3u, skip=0)

    [held] = playlist_sync()
    assert held["status"] == "edited"
    [now] = [p for p in client.get_playlists() if p.name == name]  # type: ignore[union-attr]
    assert now.track_native_ids == by_hand
    [forced] = playlist_push(playlists=[name], force=True)
    assert forced["status"] == "updated"
