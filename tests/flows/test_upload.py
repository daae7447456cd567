"""The done-when of uploads: a video with a scene-style name lands in the library,
synced and identified; a text file named ``.mp4`` is refused and nothing lands."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.connectors.downloads.servers import ffmpeg
from tests.connectors.metadata.fakes import FakeMusicBrainz, FakeTmdb
from tests.flows.test_enrich import configure, identities


def _film(path: Path, seconds: int) -> Path:
    """A tiny film of ``seconds`` (one frame a second, so its end decodes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg(
        "-f", "lavfi", "-i", f"color=c=black:s=16x16:r=1:d={seconds}",
        "-c:v", "libx264", "-preset", "ultrafast", "-threads", "1", str(path),
    )  # fmt: skip
    return path


def test_a_scene_named_video_lands_identified_and_a_text_file_is_refused(
    prefect_harness, ml_home: Path, tmp_path: Path, monkeypatch
) -> None:
    from connectors.downloads.uploads import UploadRefused, receive
    from flows.uploads import upload
    from tasks import uploads as t

    library = tmp_path / "library"
    library.mkdir()
    monkeypatch.setenv("MEDIALAKE_DOWNLOADS_LIBRARY_ROOT", str(library))
    film = tmp_path / "member" / "Fight.Club.1999.1080p.BluRay.x264-SPARKS.mkv"
    _film(film, 139 * 60)
    with FakeMusicBrainz(min_interval=0.05) as mb, FakeTmdb() as tmdb:
        configure(monkeypatch, [library], mb.url, tmdb.url)
        staged = receive([film.read_bytes()], t.staging(), 10**8, film.stat().st_size)
        result = upload(str(staged), film.name)
        landed = library / "Video/Movies/Fight Club (1999)/Fight Club (1999).mkv"
        assert result["path"] == str(landed)
        assert landed.read_bytes() == film.read_bytes()
        assert not staged.exists()
        assert result["synced"] == ["local"]
        assert identities()["movie:Fight Club"][:2] == ("accepted", "550")

        fake = tmp_path / "member" / "Holiday.Film.2020.1080p.mp4"
        fake.write_text("these are my holiday notes, not a film\n" * 50)
        staged = receive([fake.read_bytes()], t.staging(), 10**8)
        with pytest.raises(UploadRefused, match="not an audio or video file"):
            upload(str(staged), fake.name)
        assert not staged.exists()
        assert sorted(p.name for p in library.rglob("*") if p.is_file()) == [
            "Fight Club (1999).mkv"
        ]
