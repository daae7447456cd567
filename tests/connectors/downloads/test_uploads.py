"""Uploads: refused over the size limit before anything is stored, checked by content
(not by name), and named from a scene-style name or the tags."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.downloads import uploads
from tests.connectors.downloads.servers import make_mp3, make_video

LIMIT = 1_000_000


def test_an_upload_over_the_limit_is_refused_before_it_is_stored(
    tmp_path: Path,
) -> None:
    read = []

    def body():  # the upload as it streams in
        for _ in range(100):
            read.append(1)
            yield bytes(100_000)

    staging = tmp_path / "staging"
    with pytest.raises(uploads.UploadRefused, match="larger than the upload limit"):
        uploads.receive(body(), staging, LIMIT, declared_size=10_000_000)
    assert read == []  # the declared size alone refused it: no byte was read
    with pytest.raises(uploads.UploadRefused, match="larger than the upload limit"):
        uploads.receive(body(), staging, LIMIT)  # no size declared: counted
    assert len(read) == 11  # stopped at the first chunk over the limit
    assert list(staging.iterdir()) == []  # nothing kept


def test_a_text_file_named_mp4_is_refused_and_a_real_video_passes(
    tmp_path: Path,
) -> None:
    staging = tmp_path / "staging"
    text = uploads.receive([b"hello, this is not a film\n" * 100], staging, LIMIT)
    with pytest.raises(uploads.UploadRefused, match="not an audio or video file"):
        uploads.check(text)
    video = make_video(tmp_path / "clip.mp4", seconds=2.0)
    staged = uploads.receive([video.read_bytes()], staging, LIMIT)
    assert uploads.check(staged).has_video


def test_names_come_from_a_scene_style_name_or_the_tags(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.mp4", seconds=1.0)
    probe = uploads.check(video)
    name = uploads.library_name(
        "Fight.Club.1999.1080p.BluRay.x264-SPARKS.mp4", video, probe
    )
    assert name == Path("Video/Movies/Fight Club (1999)/Fight Club (1999).mp4")
    episode = uploads.library_name(
        "Game.of.Thrones.S01E01.720p.HDTV-GRP.mkv", video, probe
    )
    assert episode == Path(
        "Video/Shows/Game of Thrones/Season 01/Game of Thrones - S01E01.mkv"
    )
    song = make_mp3(
        tmp_path / "s.mp3", seconds=1.0, artist="AC/DC", album="Live", title="T.N.T."
    )
    found = uploads.library_name("whatever.mp3", song, uploads.check(song))
    assert found == Path("Music/AC_DC/Live/T.N.T.mp3")
