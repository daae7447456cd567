"""The real ``library_sync`` flow over a real supysonic: what lands in the warehouse."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connectors.media_servers.subsonic.client import SubsonicClient
from flows.library_sync import SyncFailed, library_sync
from tests.connectors.media_servers.subsonic.helpers import (
    active_counts,
    add_track,
    query,
    scan_and_wait,
    server_song_count,
)
from tests.connectors.media_servers.subsonic.server import Supysonic, start_server

pytestmark = pytest.mark.usefixtures("prefect_harness")


def sync(mode: str) -> dict[str, Any]:
    (summary,) = library_sync(server="music", mode=mode)
    return summary


def test_full_sync_stores_what_the_server_has(
    supysonic: Supysonic, client: SubsonicClient, configure: Callable[..., None]
) -> None:
    configure(**supysonic.config())
    first = sync("full")
    assert first["status"] == "succeeded"
    songs = server_song_count(client)
    counts = active_counts("music")
    assert counts["tracks"] == counts["media_files"] == songs == first["added"]
    assert counts["albums"] == len(client.get_all_album_ids())
    assert counts["artists"] >= len(client.get_all_artists())
    (orphans,) = query(
        "SELECT count(*) FROM tracks t WHERE server_id = 'music' AND NOT EXISTS"
        " (SELECT 1 FROM albums a WHERE a.server_id = t.server_id"
        " AND a.native_id = t.album_native_id)"
    )
    assert orphans == (0,)
    (paths,) = query(
        "SELECT count(*) FROM media_files WHERE server_id = 'music'"
        " AND path LIKE '%/%' AND size > 0 AND container IS NOT NULL"
    )
    assert paths == (songs,)
    again = sync("full")
    assert (again["status"], again["added"], again["updated"], again["removed"]) == (
        "succeeded",
        0,
        0,
        0,
    )


def test_a_file_added_on_disk_appears_after_a_scan_and_an_incremental_sync(
    supysonic: Supysonic, client: SubsonicClient, configure: Callable[..., None]
) -> None:
    configure(**supysonic.config())
    sync("full")
    unchanged = sync("incremental")
    assert (unchanged["added"], unchanged["updated"], unchanged["seen"]) == (0, 0, 0)
    add_track(supysonic.music, "Late Arrival", "Fresh Ink", "Wet Paint")
    scan_and_wait(client)
    result = sync("incremental")
    assert (result["status"], result["added"], result["updated"]) == ("succeeded", 1, 0)
    rows = query(
        "SELECT t.title, t.album, f.path FROM tracks t JOIN media_files f"
        " ON f.server_id = t.server_id AND f.native_id = t.file_native_id"
        " WHERE t.server_id = 'music' AND t.artist = 'Late Arrival'"
    )
    assert rows == [
        ("Wet Paint", "Fresh Ink", "Late Arrival/Fresh Ink/01 Wet Paint.mp3")
    ]
    assert active_counts("music")["tracks"] == server_song_count(client)


def test_an_interrupted_incremental_run_is_resumed_not_cut_short(
    supysonic: Supysonic,
    client: SubsonicClient,
    configure: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each album is its own unit, and the stop rule gives up after one stored album:
    # without the watermark the resumed run would stop at the album the crash stored.
    monkeypatch.setenv("MEDIALAKE_SYNC_BATCH_SIZE", "1")
    configure(**supysonic.config(incremental_stop_after=1))
    sync("full")
    time.sleep(1.1)  # album times have one-second resolution
    for album in ("Crash Course", "Second Chance"):
        add_track(supysonic.music, "Resumers", album, f"Song of {album}")
    scan_and_wait(client)
    first, second = client.get_recently_added_albums(limit=2)
    assert {first.title, second.title} == {"Crash Course", "Second Chance"}
    real_read = SubsonicClient.read_unit

    def crash_on_second(self: SubsonicClient, unit: Any) -> Any:
        if second.native_id.removeprefix("al:") in unit.album_ids:
            raise RuntimeError("the worker died")
        return real_read(self, unit)

    with monkeypatch.context() as patch:
        patch.setattr(SubsonicClient, "read_unit", crash_on_second)
        with pytest.raises(SyncFailed, match="the worker died"):
            sync("incremental")
    stored = {t for (t,) in query("SELECT title FROM albums WHERE server_id = 'music'")}
    assert first.title in stored
    assert second.title not in stored
    resumed = sync("incremental")
    assert (resumed["status"], resumed["added"]) == ("succeeded", 1)
    assert active_counts("music")["tracks"] == server_song_count(client)


def test_a_server_that_answers_empty_removes_nothing(
    supysonic: Supysonic, configure: Callable[..., None], tmp_path: Path
) -> None:
    configure(**supysonic.config())
    sync("full")
    before = active_counts("music")
    empty = start_server(tmp_path / "empty", music=None)
    try:
        configure(url=empty.url)
        result = sync("full")
    finally:
        empty.stop()
    assert result["status"] == "suspect"
    assert "no albums" in result["reason"]
    assert active_counts("music") == before
    (status,) = query("SELECT status FROM servers WHERE server_id = 'music'")
    assert status == ("suspect",)


def test_a_wrong_password_fails_the_run_at_once_naming_the_credential(
    supysonic: Supysonic, configure: Callable[..., None]
) -> None:
    configure(**supysonic.config(password="not-the-password"))
    started = time.monotonic()
    with pytest.raises(SyncFailed) as failed:
        sync("full")
    assert time.monotonic() - started < 10  # no retry delays (2, 10, 30 s)
    assert "servers.music.password" in str(failed.value)
    assert "not-the-password" not in str(failed.value)
    ((status, error),) = query(
        "SELECT status, error FROM sync_runs WHERE server_id = 'music'"
    )
    assert status == "failed"
    assert "servers.music.password" in error
