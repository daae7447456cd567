"""Sources for the transcode tests, generated once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.connectors.transcode import media


@pytest.fixture(scope="session")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every kind of source, by name."""
    root = tmp_path_factory.mktemp("sources")
    return {
        "hevc": media.hevc_with_subtitles(root / "hevc subs.mkv"),
        "mpeg4": media.mpeg4_avi(root / "old.avi"),
        "mkv": media.h264(root / "h264.mkv"),
        "mp4": media.h264(root / "h264.mp4"),
        "music": media.music(root / "song.flac"),
        "corrupt": media.corrupt(root / "broken.mp4"),
    }
