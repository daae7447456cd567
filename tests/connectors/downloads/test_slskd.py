"""The slskd source against a fake slskd built from ``../shared/peers/slskd/``:
search, quality pick, enqueue, transfer polling, and the failures real slskd shows (user
offline, transfer rejected, 429 on a concurrent search, a refused key, a failing
server)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.downloads.http_file import HttpSource
from connectors.downloads.records import Kind, Request
from connectors.downloads.slskd import SlskdSource
from connectors.errors import AuthError
from medialake.settings import DownloadsSettings
from tests.connectors.downloads.fake_slskd import FakeSlskd, Peer
from tests.connectors.downloads.fixtures import library_files

KEY = "slskd-test-key-123"
REMOTE = "@@music\\Test Artist\\Test Album (2020)\\01 Test Song.mp3"


@pytest.fixture
def peers(media: Path) -> list[Peer]:
    song, other = media / "song.mp3", media / "other.mp3"
    return [
        Peer("alice", {REMOTE: song}, queue_length=5),
        Peer("lowrate", {REMOTE.replace("01 Test", "01 Low"): other}, bitrate=96),
        Peer("offline-bob", {REMOTE: song}, offline=True),
        Peer("picky-carol", {REMOTE.replace("@@music", "@@share"): song}, rejects=True),
    ]


@pytest.fixture
def fake(tmp_path: Path, peers: list[Peer]) -> Iterator[FakeSlskd]:
    with FakeSlskd(tmp_path / "slskd", KEY, peers) as server:
        yield server


def settings_for(fake: FakeSlskd, key: str = KEY, **extra: object) -> DownloadsSettings:
    values: dict[str, object] = {
        "slskd_url": fake.url,
        "slskd_api_key": key,
        "slskd_downloads_dir": fake.downloads,
        "poll_interval_s": 0.05,
        "http_retries": 3,
        "http_backoff_s": 0.05,
    }
    return DownloadsSettings.model_validate(values | extra)


def test_search_lists_every_shared_file_with_its_peer_and_quality(fake) -> None:
    source = SlskdSource(settings_for(fake))

    found = source.search_raw(Request.parse("Test Artist - Test Song"))

    users = sorted(c.user for c in found)
    assert users == ["alice", "lowrate", "offline-bob", "picky-carol"]
    alice = next(c for c in found if c.user == "alice")
    assert (alice.extension, alice.bitrate_kbps, alice.queue_length) == ("mp3", 320, 5)
    assert alice.album == "Test Album (2020)"
    assert alice.key == f"alice|{REMOTE}"


def test_offline_and_rejecting_peers_fall_back_to_one_that_sends(
    fake, make_engine, tmp_path
) -> None:
    engine = make_engine(sources=[SlskdSource(settings_for(fake))])
    wanted_id = engine.submit(Request.parse("Test Artist - Test Song", Kind.TRACK))[0]

    outcome = engine.run(wanted_id)

    assert outcome.status == "imported", outcome.reason
    assert outcome.source == "slskd"
    final = tmp_path / "library/Music/Test Artist/Test Album (2020)/Test Song.mp3"
    assert library_files(tmp_path / "library") == [final]
    assert not list(fake.downloads.rglob("*.mp3"))  # moved out of slskd's folder
    rejected = [t for t in fake.transfers.values() if t["username"] == "picky-carol"]
    assert "Rejected" in rejected[0]["state"]


def test_a_second_concurrent_search_gets_429_and_is_retried(fake) -> None:
    fake.search_delay = 0.0
    source = SlskdSource(settings_for(fake))
    results: list[int] = []
    barrier = threading.Barrier(3)

    def search() -> None:
        barrier.wait()
        results.append(len(source.search_raw(Request.parse("Test Song"))))

    threads = [threading.Thread(target=search) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert results == [4, 4, 4]
    assert fake.throttled >= 1


def test_a_refused_api_key_names_the_setting_not_the_value(fake) -> None:
    source = SlskdSource(settings_for(fake, key="wrong-key-456"))

    with pytest.raises(AuthError) as error:
        source.check_connection()

    assert "downloads.slskd_api_key" in str(error.value)
    assert "wrong-key-456" not in str(error.value)


def test_a_failing_slskd_falls_back_to_the_next_source(
    fake, make_engine, media_server
) -> None:
    fake.failing = 1000
    settings = settings_for(fake, http_retries=1, http_backoff_s=0.01)
    engine = make_engine(sources=[SlskdSource(settings), HttpSource(settings)])
    request = Request.parse(
        "Test Artist - Test Song", Kind.TRACK, url=media_server.url("song.mp3")
    )

    outcome = engine.run(engine.submit(request)[0])

    assert outcome.status == "imported"
    assert outcome.source == "http"
