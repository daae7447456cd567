"""Fixtures shared by the acquisition tests (imported by their conftest modules):
real media files made with ffmpeg, the local media server, a fresh warehouse, and an
engine factory over it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.downloads.base import DownloadSource, build_sources
from connectors.downloads.engine import DownloadEngine
from medialake.settings import DownloadsSettings
from tests.connectors.downloads.servers import (
    MediaServer,
    make_hls,
    make_mp3,
    make_video,
    truncate,
)
from warehouse.db import Warehouse
from warehouse.downloads import DownloadStore
from warehouse.migrate import migrate

SONG_TAGS = {"artist": "Test Artist", "title": "Test Song", "album": "Test Album"}
FAST = {
    "http_retries": 1,
    "http_backoff_s": 0.01,
    "http_timeout_s": 10.0,
    "poll_interval_s": 0.05,
    "retry_base_s": 60.0,
    "sources": ["http", "ytdlp", "podcast"],
}


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of real media: video, tagged song, truncated song, HLS playlist."""
    root = tmp_path_factory.mktemp("media")
    video = make_video(root / "clip.mp4")
    song = make_mp3(root / "song.mp3", **SONG_TAGS)
    make_mp3(root / "other.mp3", seconds=6.0, artist="Someone", title="Other Tune")
    truncate(song, root / "broken.mp3")
    truncate(video, root / "broken.mp4")
    make_hls(video, root / "hls")
    (root / "page.html").write_text("<html><body>not media</body></html>")
    return root


@pytest.fixture(scope="session")
def media_server(media: Path) -> Iterator[MediaServer]:
    """The media folder served on 127.0.0.1."""
    with MediaServer(media) as server:
        yield server


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    """A fresh, migrated warehouse."""
    wh = Warehouse(tmp_path / "wh.sqlite", lock_timeout_s=30)
    migrate(wh)
    return wh


EngineFactory = Callable[..., DownloadEngine]


@pytest.fixture
def make_engine(tmp_path: Path, warehouse: Warehouse) -> EngineFactory:
    """An engine on the test warehouse: ``make_engine(sources=..., **settings)``."""

    def build(
        sources: list[DownloadSource] | None = None,
        lease_s: float = 30.0,
        **overrides: Any,
    ) -> DownloadEngine:
        settings = DownloadsSettings(**{**FAST, **overrides})
        return DownloadEngine(
            sources if sources is not None else build_sources(settings),
            DownloadStore(warehouse),
            settings,
            library_root=tmp_path / "library",
            staging_root=tmp_path / "staging",
            lease_s=lease_s,
            heartbeat_s=0.2,
        )

    return build


def library_files(root: Path) -> list[Path]:
    """Every file under the library root (hidden ones included)."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def job_rows(warehouse: Warehouse, wanted_id: str) -> list[dict[str, Any]]:
    """The download jobs of a wanted item, oldest first."""
    from warehouse.downloads import rows

    with warehouse.read() as con:
        return rows(
            con,
            "SELECT * FROM download_jobs WHERE wanted_id = ? ORDER BY created_at",
            wanted_id,
        )


def wanted_row(warehouse: Warehouse, wanted_id: str) -> dict[str, Any]:
    """One wanted item."""
    from warehouse.downloads import rows

    with warehouse.read() as con:
        return rows(con, "SELECT * FROM wanted_items WHERE wanted_id = ?", wanted_id)[0]
