"""Helpers of the Subsonic tests: files on the server's disk, scans, plays, counts."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import httpx
from mutagen.easyid3 import EasyID3

from connectors.media_servers.subsonic.client import SubsonicClient
from tests.connectors.media_servers.subsonic.server import PASSWORD, USER, Supysonic


def add_track(music: Path, artist: str, album: str, title: str) -> Path:
    """Put a new tagged mp3 on the server's disk (a copy of one of its files)."""
    source = sorted(music.rglob("*.mp3"))[0]
    target = music / artist / album / f"01 {title}.mp3"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    tags = EasyID3()
    tags.update(
        {
            "title": title,
            "artist": artist,
            "albumartist": artist,
            "album": album,
            "tracknumber": "1/1",
            "date": "2024",
        }
    )
    tags.save(target)
    return target


def scan_and_wait(client: SubsonicClient, timeout: float = 60.0) -> None:
    """Start a library scan and wait until the server says it is over."""
    assert client.trigger_library_scan() is True
    deadline = time.monotonic() + timeout
    while client.is_library_scanning():
        assert time.monotonic() < deadline, "the scan did not finish"
        time.sleep(0.2)


def stream(server: Supysonic, song_id: str) -> bytes:
    """Play a song the way a player does: download it through ``stream``."""
    params = {"id": song_id, "u": USER, "p": "enc:" + PASSWORD.encode().hex()}
    params.update(v="1.12.0", c="test-player")
    reply = httpx.get(f"{server.url}/rest/stream.view", params=params, timeout=30)
    reply.raise_for_status()
    return reply.content


def server_song_count(client: SubsonicClient) -> int:
    """How many songs the server says it has (the albums' ``songCount``)."""
    body = client.api.call("getAlbumList2", {"type": "alphabeticalByName", "size": 500})
    return sum(int(a["songCount"]) for a in body["albumList2"].get("album", []))


def active_counts(server: str) -> dict[str, int]:
    """Rows per library table that the warehouse holds as present for ``server``."""
    from tasks.context import warehouse

    tables = ("artists", "albums", "tracks", "media_files")
    sql = "SELECT count(*) FROM {} WHERE server_id = ? AND removed_at IS NULL"
    with warehouse().read() as con:
        return {
            t: con.execute(sql.format(t), [server]).fetchall()[0][0] for t in tables
        }


def query(sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows of one read-only warehouse query."""
    from tasks.context import warehouse

    with warehouse().read() as con:
        return con.execute(sql, list(params)).fetchall()
