"""Syncing a fake PMS through the real ``library_sync`` flow into the warehouse: full,
incremental (changed items only, early stop, crash resumption), faults and an empty
library."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from flows.library_sync import SyncFailed, library_sync
from tasks import library_sync as sync_tasks
from tasks.context import engine, warehouse
from tests.connectors.media_servers.plex.fakes import (
    MUSIC,
    FakePlex,
    running,
    synthetic,
)

pytestmark = pytest.mark.usefixtures("prefect_harness")


def sync(mode: str) -> dict[str, Any]:
    [summary] = library_sync(server="pms", mode=mode)
    return summary


def count(table: str, where: str = "removed_at IS NULL") -> int:
    with warehouse().read() as con:
        row = con.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()
    return int(row[0]) if row else 0


def last_run() -> dict[str, Any]:
    with warehouse().read() as con:
        cur = con.execute("SELECT * FROM sync_runs ORDER BY started_at DESC LIMIT 1")
        row = cur.fetchone()
        assert row is not None
        return dict(zip([d[0] for d in cur.description], row, strict=True))


@pytest.fixture
def big() -> Iterator[FakePlex]:
    """60 albums of 5 tracks: more than one page of the newest-first album walk."""
    with running(
        synthetic(300, per_album=5, movies=4, shows=2, episodes_per_show=3)
    ) as server:
        yield server


def test_full_sync_lands_the_library_and_a_rerun_changes_nothing(
    fake: FakePlex, configure: Callable[..., None]
) -> None:
    configure(fake)
    first = sync("full")
    held = fake.library.counts()
    assert first["status"] == "succeeded"
    assert (first["added"], first["updated"], first["removed"], first["failed"]) == (
        218,
        0,
        0,
        0,
    )
    for table, kind in [
        ("tracks", "track"),
        ("albums", "album"),
        ("artists", "artist"),
        ("movies", "movie"),
        ("shows", "show"),
        ("episodes", "episode"),
    ]:
        assert count(table) == held[kind], table
    parts = sorted(
        p.file for i in fake.library.items.values() for m in i.media for p in m.parts
    )
    with warehouse().read() as con:
        paths = [
            r[0]
            for r in con.execute(
                "SELECT path FROM media_files ORDER BY path"
            ).fetchall()
        ]
        joined = con.execute(
            "SELECT count(*) FROM tracks t JOIN media_files f"
            " ON f.server_id = t.server_id"
            " AND f.native_id = t.file_native_id AND f.item_native_id = t.native_id"
        ).fetchone()
    assert paths == parts
    assert joined == (208,)
    again = sync("full")
    assert (again["added"], again["updated"], again["removed"]) == (0, 0, 0)


def test_incremental_reads_only_what_changed_and_stops_early(
    big: FakePlex, configure: Callable[..., None]
) -> None:
    configure(big)
    sync("full")
    lib = big.library
    tracks = [i for i in lib.items.values() if i.type == "track"]
    lib.touch(tracks[10].key, title="Renamed Song")
    lib.touch(tracks[200].key, title="Another Name")
    lib.play(tracks[50].key)
    artist = next(i for i in lib.items.values() if i.type == "artist")
    album = lib.add("album", MUSIC, "Fresh Album", artist.key, year=2025)
    for n in range(3):
        lib.add(
            "track",
            MUSIC,
            f"Fresh {n}",
            album.key,
            index=n + 1,
            disc=1,
            media=lib.media_for(f"/data/music/fresh/{n}.flac", "flac", 100.0),
        )
    big.clear_log()
    result = sync("incremental")
    assert result["status"] == "succeeded"
    assert (result["added"], result["updated"], result["removed"]) == (3, 3, 0)
    with warehouse().read() as con:
        titles = dict(con.execute("SELECT native_id, title FROM tracks").fetchall())
        plays = con.execute(
            "SELECT play_count FROM tracks WHERE native_id = ?", [str(tracks[50].key)]
        ).fetchone()
    assert titles[str(tracks[10].key)] == "Renamed Song"
    assert plays == (1,)
    assert count("tracks") == 303
    assert count("albums") == 61
    reads = [r for r in big.log if r.size != 1]  # size-1 answers are count probes
    served = sum(
        r.items for r in reads if r.params.get("type") == "10" or "children" in r.path
    )
    assert served <= 10, f"incremental read {served} of 303 tracks for 6 changed"
    walks = [
        r
        for r in big.log
        if r.params.get("sort") == "addedAt:desc" and r.params["type"] == "9"
    ]
    assert len(walks) == 1
    assert walks[0].items == 50


def test_a_crashed_incremental_is_resumed_by_the_next_run(
    big: FakePlex, configure: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(big, retries=0)
    monkeypatch.setattr(
        sync_tasks, "read_and_store", sync_tasks.read_and_store.with_options(retries=0)
    )
    sync("full")
    track = next(i for i in big.library.items.values() if i.type == "track")
    big.library.touch(track.key, title="Edited Before The Crash")
    big.fail_next(
        50, status=500, path="/library/metadata"
    )  # the run dies reading parents
    with pytest.raises(SyncFailed, match="HTTP 500"):
        sync("incremental")
    assert last_run()["status"] == "failed"
    big.heal()
    result = sync("incremental")
    assert result["status"] == "succeeded"
    assert result["updated"] == 1
    with warehouse().read() as con:
        title = con.execute(
            "SELECT title FROM tracks WHERE native_id = ?", [str(track.key)]
        ).fetchone()
    assert title == ("Edited Before The Crash",)


def test_500s_are_retried_then_reported_and_remove_nothing(
    fake: FakePlex, configure: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(fake, retries=2)
    fake.fail_next(2, status=500, path="/all")  # a burst: the transport rides it out
    assert sync("full")["status"] == "succeeded"
    monkeypatch.setattr(
        sync_tasks, "plan", sync_tasks.plan.with_options(retry_delay_seconds=0)
    )
    fake.fail_next(1000, status=500, path="/library/sections")
    with pytest.raises(SyncFailed, match=r"pms: .*HTTP 500"):
        sync("full")
    run = last_run()
    assert run["status"] == "failed"
    assert "HTTP 500" in run["error"]
    assert "attempts" in run["error"]
    with warehouse().read() as con:  # the flow's own row says so too
        flow_run = con.execute(
            "SELECT flow, status, error FROM flow_runs ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
    assert flow_run is not None
    assert flow_run[:2] == ("library-sync", "failed")
    assert flow_run[2].startswith("SyncFailed: pms: ")
    assert "HTTP 500" in flow_run[2]
    assert count("tracks") == 208
    assert count("tracks", "removed_at IS NOT NULL") == 0


def test_a_refused_token_fails_at_once_naming_server_and_credential(
    fake: FakePlex, configure: Callable[..., None]
) -> None:
    configure(fake, token="not-the-right-token-123")
    with pytest.raises(SyncFailed) as caught:
        sync("full")
    run = last_run()
    assert "pms" in str(caught.value)
    assert "servers.pms.token" in str(caught.value)
    assert run["status"] == "failed"
    assert "servers.pms.token" in run["error"]
    assert "not-the-right-token-123" not in str(caught.value) + run["error"]
    assert [r.status for r in fake.log] == [401]


def test_an_empty_library_removes_nothing_and_is_suspect(
    fake: FakePlex, configure: Callable[..., None]
) -> None:
    configure(fake)
    sync("full")
    fake.empty = True
    result = sync("full")
    assert result["status"] == "suspect"
    assert "lists no items" in result["reason"]
    assert count("tracks") == 208
    assert count("media_files") == 218
    with warehouse().read() as con:
        status = con.execute(
            "SELECT status FROM servers WHERE server_id = 'pms'"
        ).fetchone()
    assert status == ("suspect",)


def test_play_history_and_playlists_land_once(
    fake: FakePlex, configure: Callable[..., None]
) -> None:
    lib = fake.library
    a, b = [i.key for i in lib.items.values() if i.type == "track"][:2]
    lib.play(a, 1, at=1_700_000_000)
    lib.play(a, 2, at=1_700_000_100)
    lib.play(b, 1, at=1_700_000_200)
    configure(fake)
    engine().get("pms").create_playlist("Mix", [str(b), str(a)])
    first = sync("full")
    assert first.get("plays_added") == 3, first
    lib.play(b, 2, at=1_700_000_300)
    sync("incremental")
    with warehouse().read() as con:
        plays = con.execute(
            "SELECT user_name, item_native_id, epoch(played_at)::BIGINT"
            " FROM play_events"
            " ORDER BY played_at"
        ).fetchall()
        counts = dict(
            con.execute("SELECT native_id, play_count FROM tracks").fetchall()
        )
        items = con.execute(
            "SELECT track_native_id FROM playlist_items ORDER BY position"
        ).fetchall()
    assert plays == [
        ("owner", str(a), 1_700_000_000),
        ("guest", str(a), 1_700_000_100),
        ("owner", str(b), 1_700_000_200),
        ("guest", str(b), 1_700_000_300),
    ]
    assert (counts[str(a)], counts[str(b)]) == (2, 2)
    assert items == [(str(b),), (str(a),)]
