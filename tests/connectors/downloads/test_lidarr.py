"""The Lidarr source against a fake Lidarr built from ``../shared/peers/lidarr/``: album
lookup, add and search, following the (paged) queue, the import Lidarr does itself, a
failed download, a refused API key, 5xx answers, and album-only routing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.downloads.lidarr import LidarrSource
from connectors.downloads.records import Kind, Request
from connectors.errors import AuthError
from medialake.settings import DownloadsSettings
from tests.connectors.downloads.fake_lidarr import Album, FakeLidarr
from tests.connectors.downloads.fixtures import job_rows

KEY = "lidarr-key-0123456789"


@pytest.fixture
def fake(tmp_path: Path, media: Path) -> Iterator[FakeLidarr]:
    albums = [
        Album("mb-album-1", "Night Drive", "Test Artist",
              [("Test Song", media / "song.mp3"), ("Other Tune", media / "other.mp3")]),
        Album("mb-album-2", "Broken Dreams", "Test Artist",
              [("Gone", media / "other.mp3")], fails=True),
    ]  # fmt: skip
    with FakeLidarr(tmp_path / "lidarr-music", KEY, albums) as server:
        yield server


def lidarr_settings(fake: FakeLidarr, key: str = KEY) -> DownloadsSettings:
    return DownloadsSettings(
        lidarr_url=fake.url,
        lidarr_api_key=key,
        poll_interval_s=0.05,
        http_backoff_s=0.01,
    )


def test_an_album_is_added_searched_followed_and_recorded(
    fake, make_engine, warehouse
) -> None:
    progress: list[tuple[int, int]] = []
    engine = make_engine(sources=[LidarrSource(lidarr_settings(fake))])
    engine.on_progress = lambda label, done, total: progress.append((done, total))
    request = Request.parse("Test Artist - Night Drive", Kind.ALBUM)
    wanted_id = engine.submit(request)[0]

    outcome = engine.run(wanted_id)

    assert outcome.status == "imported", outcome.reason
    folder = fake.root / "Test Artist" / "Night Drive (2020)"
    assert outcome.path == folder
    assert sorted(p.name for p in folder.iterdir()) == [
        "01 - Test Song.mp3", "02 - Other Tune.mp3"
    ]  # fmt: skip
    assert job_rows(warehouse, wanted_id)[-1]["final_path"] == str(folder)
    assert progress
    assert progress[-1][0] <= progress[-1][1]
    assert fake.albums["mb-album-1"].lidarr_id is not None


def test_a_failed_lidarr_download_keeps_the_album_wanted(fake, make_engine) -> None:
    engine = make_engine(sources=[LidarrSource(lidarr_settings(fake))])
    wanted_id = engine.submit(Request.parse("Test Artist - Broken Dreams", Kind.ALBUM))[
        0
    ]

    outcome = engine.run(wanted_id)

    assert outcome.status == "wanted"
    assert "the archive is corrupt" in (outcome.reason or "")


def test_a_refused_key_is_named_and_5xx_is_retried(fake) -> None:
    with pytest.raises(AuthError) as error:
        LidarrSource(lidarr_settings(fake, key="nope-nope")).check_connection()
    assert "downloads.lidarr_api_key" in str(error.value)
    assert "nope-nope" not in str(error.value)

    fake.failing = 2
    found = LidarrSource(lidarr_settings(fake)).search_raw(
        Request.parse("Night Drive", Kind.ALBUM)
    )
    assert [c.key for c in found] == ["mb-album-1"]
    assert found[0].artist == "Test Artist"


def test_lidarr_is_asked_for_albums_only(fake) -> None:
    source = LidarrSource(lidarr_settings(fake))

    assert source.accepts(Request.parse("Test Artist - Night Drive", Kind.ALBUM))
    assert not source.accepts(Request.parse("Test Artist - Test Song", Kind.TRACK))
