"""Playlists both ways, end to end: a 160-entry M3U (4 entries not in the library)
pushed to the Plex and Jellyfin fakes and to a real supysonic, the report in SQL, a
second push that changes nothing, a removal propagated by the mirror sync, a hand edit
reported and kept, and the M3U8 export of a folder server."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
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

    # A playlist of the same name that medialake did not make is not taken over.
    theirs = f"Theirs {uuid.uuid4().hex[:6]}"
    kept = client.create_playlist(theirs, by_hand[:2])
    other = tmp_path / "theirs.m3u"
    write_m3u(other)
    [refused] = playlist_push(
        sources=[{"source": str(other), "name": theirs, "targets": ["jf"]}]
    )
    assert refused["status"] == "edited"
    [now] = [p for p in client.get_playlists() if p.name == theirs]  # type: ignore[union-attr]
    assert now.track_native_ids == kept.track_native_ids  # type: ignore[union-attr]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A static web server on 127.0.0.1 serving a folder."""
    root = tmp_path / "www"
    root.mkdir()
    handler = partial(_Quiet, directory=str(root))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    httpd.shutdown()
    httpd.server_close()


def test_copy_server_playlist_remote_list_and_watch_folder(
    servers: None,
    tmp_path: Path,
    web: tuple[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tasks.context import reset

    # Plex -> Jellyfin and Navidrome: a server's own playlist as the source.
    plex = engine().get("pms")
    ids = [
        r[0]
        for r in query(
            "SELECT native_id FROM tracks WHERE server_id = 'pms'"
            " ORDER BY title LIMIT 20"
        )
    ]
    made = plex.create_playlist(f"Plex Picks {uuid.uuid4().hex[:4]}", ids)
    assert not isinstance(made, type(None))
    [copied, *_] = playlist_push(
        sources=[
            {
                "source": f"server:pms:{made.native_id}",  # type: ignore[union-attr]
                "targets": ["pms", "jf"],
            }
        ]
    )
    assert copied["server_id"] == "jf"  # the source server is never a target
    assert copied["added"] == 20
    expected = [
        (a, t)
        for _, a, t in sorted(
            query(
                "SELECT native_id, artist, title FROM tracks WHERE server_id ="
                " 'pms' ORDER BY title LIMIT 20"
            ),
            key=lambda r: ids.index(r[0]),
        )
    ]
    assert on_server("jf", made.name) == expected  # type: ignore[union-attr]

    # A remote list yt-dlp reads (an XSPF page served on 127.0.0.1, no suffix).
    url, root = web
    songs = sample_tracks()[:3]
    tracks = "".join(
        f"<track><location>{url}/{n}.mp3</location>"
        f"<title>{s.tags.artist} - {s.tags.title}</title></track>"
        for n, s in enumerate(songs)
    )
    (root / "weekly").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><playlist version="1" '
        f'xmlns="http://xspf.org/ns/0/"><trackList>{tracks}</trackList></playlist>'
    )
    [remote] = playlist_push(
        sources=[{"source": f"{url}/weekly", "name": "Weekly", "targets": ["navi"]}]
    )
    assert (remote["status"], remote["added"], remote["missing"]) == ("created", 3, 0)
    assert on_server("navi", "Weekly") == [(s.tags.artist, s.tags.title) for s in songs]

    # A watched folder: a new PLS file becomes a mirrored playlist on the targets.
    watch = tmp_path / "watch"
    watch.mkdir()
    song = sample_tracks()[7]
    (watch / "dropped.pls").write_text(
        f"[playlist]\nFile1=x.mp3\nTitle1={song.tags.artist} - {song.tags.title}\n"
    )
    monkeypatch.setenv("MEDIALAKE_PLAYLISTS_WATCH_DIR", str(watch))
    monkeypatch.setenv("MEDIALAKE_PLAYLISTS_TARGETS", '["jf"]')
    reset()
    pushed = [s for s in playlist_sync() if s["playlist"] == "dropped"]
    assert [(s["server_id"], s["status"], s["added"]) for s in pushed] == [
        ("jf", "created", 1)
    ]
    assert on_server("jf", "dropped") == [(song.tags.artist, song.tags.title)]


def test_a_track_the_server_refuses_is_reported_and_the_rest_pushed(
    servers: None, tmp_path: Path
) -> None:
    """The warehouse still lists a track Plex no longer has (a stale sync)."""
    import polars as pl

    from warehouse.upsert import merge_frame

    ghost = {
        "server_id": "pms",
        "native_id": "987654",
        "title": "Phantom Song",
        "artist": "The Sine Waves",
    }
    with warehouse().write() as con:
        merge_frame(con, "tracks", pl.DataFrame([ghost]))
    songs = sample_tracks()[:3]
    m3u = tmp_path / "ghost.m3u"
    lines = ["#EXTM3U", "#EXTINF:-1,The Sine Waves - Phantom Song", "a.mp3"]
    for s in songs:
        lines += [f"#EXTINF:-1,{s.tags.artist} - {s.tags.title}", "b.mp3"]
    m3u.write_text("\n".join(lines) + "\n")
    name = f"Ghost {uuid.uuid4().hex[:6]}"
    [pushed] = playlist_push(
        sources=[{"source": str(m3u), "name": name, "targets": ["pms"]}]
    )
    assert (pushed["status"], pushed["added"], pushed["refused"]) == ("created", 3, 1)
    assert on_server("pms", name) == [(s.tags.artist, s.tags.title) for s in songs]
    [(status, reason)] = query(
        "SELECT status, reason FROM playlist_sync_items WHERE sync_id = ?"
        " AND position = 0",
        pushed["sync_id"],
    )
    assert status == "refused"
    assert "987654" in reason
