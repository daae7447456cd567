"""Jellyfin through the real ``library_sync`` flow: counts, incremental reads and
faults."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from connectors.media_servers.jellyfin.extract import STOP_AFTER
from flows.library_sync import SyncFailed, library_sync
from tasks.context import warehouse
from tasks.library_sync import CURSOR_KEY
from tests.connectors.media_servers.jellyfin.fake_server import FakeJellyfin

pytestmark = pytest.mark.usefixtures("prefect_harness")
SAMPLE = {
    "tracks": 208,
    "albums": 17,
    "artists": 10,
    "movies": 4,
    "shows": 2,
    "episodes": 6,
    "media_files": 218,
}


def count(table: str, where: str = "removed_at IS NULL") -> int:
    with warehouse().read() as con:
        row = con.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()
    return int(row[0]) if row else 0


def last_run() -> dict[str, Any]:
    with warehouse().read() as con:
        cur = con.execute("SELECT * FROM sync_runs ORDER BY started_at DESC LIMIT 1")
        row = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], row or (), strict=False))


def sync(mode: str) -> dict[str, Any]:
    [summary] = library_sync(server="jf", mode=mode)
    return summary


@pytest.mark.parametrize("login", ["api_key", "password"])
def test_full_sync_lands_the_library_on_both_versions(
    fake: FakeJellyfin, configure: Callable[..., None], login: str
) -> None:
    configure(fake, login)
    summary = sync("full")
    assert summary["status"] == "succeeded"
    assert summary["added"] == SAMPLE["tracks"] + SAMPLE["movies"] + SAMPLE["episodes"]
    assert {table: count(table) for table in SAMPLE} == SAMPLE
    played = [i for i in fake.library.items.values() if i.play_count]
    assert count("tracks", "play_count > 0 AND last_played_at IS NOT NULL") == len(
        played
    )
    auth = [
        e.authorization or "" for e in fake.log if e.path != "/Users/AuthenticateByName"
    ]
    assert auth
    assert all(a.startswith("MediaBrowser ") and 'Token="' in a for a in auth)
    logins = [e for e in fake.log if e.path == "/Users/AuthenticateByName"]
    assert len(logins) == (1 if login == "password" else 0)
    if login == "api_key":
        again = sync("full")
        assert (again["added"], again["updated"], again["removed"]) == (0, 0, 0)


def test_incremental_after_one_percent_changed_reads_only_those_and_stops_early(
    big_fake: FakeJellyfin, configure: Callable[..., None]
) -> None:
    configure(big_fake, page_size=100)
    sync("full")
    full_served = big_fake.served()
    changed = big_fake.touch(0.01)
    mark = len(big_fake.log)
    summary = sync("incremental")
    assert summary["status"] == "succeeded"
    assert (summary["added"], summary["updated"], summary["removed"]) == (
        0,
        len(changed),
        0,
    )
    assert count("tracks", "title LIKE '%(retagged)'") == len(changed) == 10
    served = big_fake.served(mark)
    scanned = STOP_AFTER + 100 + 20  # the stop rule's run, a page, the 20 artists
    assert served <= 2 * len(changed) + scanned + 10, served  # ids, then the items
    assert served < full_served / 2


def test_stop_rule_finds_new_items_without_a_watermark(
    big_fake: FakeJellyfin, configure: Callable[..., None]
) -> None:
    configure(big_fake, page_size=100)
    sync("full")
    with warehouse().write() as con:
        con.execute("DELETE FROM sync_state WHERE key = ?", [CURSOR_KEY])
    new = big_fake.add_album(12)
    mark = len(big_fake.log)
    summary = sync("incremental")
    assert summary["added"] == len(new)
    assert count("artists", "name = 'New Artist'") == 1
    served = big_fake.served(mark)
    assert served <= 12 + 1 + 1 + STOP_AFTER + 2 * 100 + 20, served


def test_a_failed_run_keeps_the_watermark_so_the_next_one_resumes(
    big_fake: FakeJellyfin,
    configure: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configure(big_fake)
    sync("full")
    with warehouse().read() as con:
        [(cursor,)] = con.execute(
            "SELECT value FROM sync_state WHERE key = ?", [CURSOR_KEY]
        ).fetchall()
    changed = big_fake.touch(0.01)
    configure(big_fake, api_key="wrong-key-0000")
    with pytest.raises(SyncFailed):
        sync("incremental")
    big_fake.problems.clear()
    with warehouse().read() as con:
        assert con.execute(
            "SELECT value FROM sync_state WHERE key = ?", [CURSOR_KEY]
        ).fetchall() == [(cursor,)]
    configure(big_fake)
    assert sync("incremental")["updated"] == len(changed)


@pytest.mark.parametrize(
    ("login", "credential"),
    [("api_key", "servers.jf.api_key"), ("password", "servers.jf.password")],
)
def test_refused_credential_stops_at_once_and_is_named(
    fake: FakeJellyfin, configure: Callable[..., None], login: str, credential: str
) -> None:
    bad = (
        {"api_key": "not-the-key-123"} if login == "api_key" else {"password": "wrong"}
    )
    configure(fake, login, **bad)
    with pytest.raises(SyncFailed, match=credential.replace(".", r"\.")):
        sync("full")
    assert len(fake.log) == 1  # no retry, at either layer
    assert fake.log[0].status == 401
    run = last_run()
    assert run["status"] == "failed"
    assert credential in run["error"]
    assert "wrong" not in run["error"]
    assert "not-the-key" not in run["error"]


def test_server_errors_are_retried_and_the_sync_still_lands(
    fake: FakeJellyfin, configure: Callable[..., None]
) -> None:
    configure(fake)
    fake.fail_next(2)
    summary = sync("full")
    assert summary["status"] == "succeeded"
    assert count("tracks") == SAMPLE["tracks"]
    assert [e.status for e in fake.log[:3]] == [500, 500, 200]


def test_an_empty_answer_removes_nothing_and_marks_the_run_suspect(
    fake: FakeJellyfin, configure: Callable[..., None]
) -> None:
    configure(fake)
    sync("full")
    fake.set_empty()
    summary = sync("full")
    assert summary["status"] == "suspect"
    assert "no items" in summary["reason"]
    assert {table: count(table) for table in SAMPLE} == SAMPLE
    assert count("tracks", "removed_at IS NOT NULL") == 0
