"""The real ``enrich`` flow over the synced sample library plus a few files named like
recorded TMDb and MusicBrainz entities, against the local fake services."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import mutagen
import pytest

from tests.connectors.metadata.fakes import FakeMusicBrainz, FakeTmdb

SEA_OF_COWARDS = "8eb2b179-643d-3507-b64c-29fcc6745156"
THIERRY_ALT = "aaa6e088-ef43-3809-bffa-b771ed6b25c2"


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def _video(path: Path, seconds: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"color=c=black:s=16x16:r=1/10:d={seconds}",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-threads",
        "1",
        str(path),
    )


def _track(path: Path, **tags: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    _ffmpeg(
        "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-b:a", "32k", str(path)
    )
    audio = mutagen.File(path, easy=True)
    if audio.tags is None:
        audio.add_tags()
    for key, value in tags.items():
        audio[key] = value
    audio.save()


def extra_library(root: Path) -> Path:
    """A film and an episode TMDb knows, three albums MusicBrainz knows, a corrupt
    video."""
    _video(root / "Video/Movies/Fight Club (1999)/Fight Club (1999).mkv", 139 * 60)
    _video(
        root / "Video/Shows/Game of Thrones/Season 01/"
        "Game of Thrones - S01E01 - Winter Is Coming.mkv",
        62 * 60,
    )
    broken = root / "Video/Movies/Broken (2020)/Broken (2020).mkv"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"\x1a\x45\xdf\xa3" + os.urandom(2048))
    music = root / "Music"
    _track(
        music / "The Dead Weather/Sea of Cowards/01 Blue Blood Blues.mp3",
        title="Blue Blood Blues",
        artist="The Dead Weather",
        album="Sea of Cowards",
        tracknumber="1/11",
        date="2010",
        musicbrainz_albumid=SEA_OF_COWARDS,
    )
    _track(
        music / "Todor Kobakov/Pop Music/01 Intro.mp3",
        title="Intro",
        artist="Todor Kobakov",
        album="Pop Music",
        tracknumber="1/11",
        date="2009",
    )
    _track(
        music / "Thierry Hazard/Pop Music/01 Le Jerk.mp3",
        title="Le Jerk",
        artist="Thierry Hazard",
        album="Pop Music",
        tracknumber="1/12",
        date="1990",
    )
    return root


def configure(
    monkeypatch: pytest.MonkeyPatch,
    roots: list[Path],
    mb_url: str,
    tmdb_url: str,
    key: str | None = "test-tmdb-key",
) -> None:
    from tasks.context import reset

    env = {
        "MEDIALAKE_SERVERS_LOCAL_KIND": "filesystem",
        "MEDIALAKE_SERVERS_LOCAL_ROOTS": ",".join(str(r) for r in roots),
        "MEDIALAKE_ENRICHMENT_MUSICBRAINZ_BASE_URL": mb_url,
        "MEDIALAKE_ENRICHMENT_COVERART_BASE_URL": mb_url,
        "MEDIALAKE_ENRICHMENT_MUSICBRAINZ_MIN_INTERVAL_S": "0.05",  # the fake's too
        "MEDIALAKE_ENRICHMENT_TMDB_BASE_URL": f"{tmdb_url}/3",
        "MEDIALAKE_ENRICHMENT_TMDB_IMAGE_BASE_URL": f"{tmdb_url}/t/p",
        "MEDIALAKE_ENRICHMENT_HTTP_RETRIES": "1",
        "MEDIALAKE_ENRICHMENT_HTTP_BACKOFF_S": "0.1",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if key:
        monkeypatch.setenv("MEDIALAKE_ENRICHMENT_TMDB_API_KEY", key)
    else:
        monkeypatch.delenv("MEDIALAKE_ENRICHMENT_TMDB_API_KEY", raising=False)
    reset()


def sync() -> None:
    from flows.library_sync import library_sync
    from tasks.context import reset

    library_sync(mode="full")
    reset()


def identities() -> dict[str, tuple]:
    from tasks.context import warehouse

    with warehouse().read() as con:
        rows = con.execute(
            "SELECT entity, item_title, status, provider_id, reason, decided_by"
            " FROM enrichment_identities"
        ).fetchall()
    return {f"{r[0]}:{r[1]}": r[2:] for r in rows}


def test_enrich_identifies_probes_caches_and_keeps_overrides(
    prefect_harness, ml_home: Path, sample_library, tmp_path: Path, monkeypatch
) -> None:
    from flows.enrich import enrich
    from tasks.context import warehouse
    from warehouse.enrichment import set_override

    extra = extra_library(tmp_path / "extra")
    with FakeMusicBrainz(min_interval=0.05) as mb, FakeTmdb() as tmdb:
        configure(monkeypatch, [sample_library.root, extra], mb.url, tmdb.url)
        sync()
        first = enrich()
        assert first["status"] == "succeeded"
        videos = sample_library.movies + sample_library.episodes
        assert first["probed"] == videos + 3  # the sample's, 2 named ones, 1 corrupt
        assert first["probe_errors"] == 1
        found = identities()
        assert found["movie:Fight Club"][:2] == ("accepted", "550")
        assert found["show:Game of Thrones"][:2] == ("accepted", "1399")
        assert found["episode:Game of Thrones S01E01"][:2] == ("accepted", "63056")
        assert found["album:The Dead Weather - Sea of Cowards"][:2] == (
            "accepted",
            SEA_OF_COWARDS,
        )
        assert found["album:Todor Kobakov - Pop Music"][0] == "accepted"
        assert found["album:Thierry Hazard - Pop Music"][0] == "review"
        assert found["movie:Big Test Picture"][0] == "rejected"  # TMDb has no such film
        assert (ml_home / "artwork/tmdb/550-poster.jpg").is_file()
        assert (ml_home / f"artwork/musicbrainz/{SEA_OF_COWARDS}-cover.jpg").is_file()
        with warehouse().read() as con:
            broken = con.execute(
                "SELECT probe_status, probe_error FROM enrichment_files"
                " WHERE path LIKE '%Broken (2020).mkv'"
            ).fetchone()
            streams = con.execute(
                "SELECT video_codec, width, audio_codec FROM enrichment_files"
                " WHERE path LIKE '%Big Test Picture (2019).mp4'"
            ).fetchone()
            review = con.execute(
                "SELECT count(*) FROM enrichment_review WHERE decision_reason LIKE"
                " 'ambiguous%'"
            ).fetchone()
        assert broken[0] == "error"
        assert broken[1]
        assert streams == ("h264", 320, "aac")
        assert review[0] >= 2
        asked = (len(mb.requests()), len(tmdb.requests()))
        assert asked[0] > 0
        assert asked[1] > 0

        again = enrich()  # nothing new: no ffprobe, no request
        assert (again["probed"], again["requests"]) == (0, 0)
        assert (len(mb.requests()), len(tmdb.requests())) == asked

        key = ("album", "local", _album_id("Thierry Hazard"))
        with warehouse().write() as con:
            set_override(con, key, "musicbrainz", THIERRY_ALT, "the 1990 CD")
        redo = enrich(redo=True, writeback=True)  # everything again, from the cache
        assert redo["requests"] == 0
        assert redo["cache_hits"] > 0
        assert (len(mb.requests()), len(tmdb.requests())) == asked
    kept = identities()["album:Thierry Hazard - Pop Music"]
    assert kept[:2] == ("override", THIERRY_ALT)
    assert kept[3] == "override"
    with warehouse().read() as con:
        written = con.execute(
            "SELECT operation, outcome, detail FROM writebacks"
        ).fetchall()
    assert ("set_album_poster", "unsupported") in {(w[0], w[1]) for w in written}
    assert all("filesystem" in (w[2] or "") for w in written)


def _album_id(artist: str) -> str:
    from tasks.context import warehouse

    with warehouse().read() as con:
        row = con.execute(
            "SELECT native_id FROM albums WHERE album_artist = ?", [artist]
        ).fetchone()
    return str(row[0])


def test_offline_and_without_key_items_are_skipped_then_picked_up(
    prefect_harness, ml_home: Path, tmp_path: Path, monkeypatch
) -> None:
    from flows.enrich import enrich

    root = tmp_path / "lib"
    _video(root / "Video/Movies/Fight Club (1999)/Fight Club (1999).mkv", 139 * 60)
    _track(
        root / "Music/The Dead Weather/Sea of Cowards/01 Blue Blood Blues.mp3",
        title="Blue Blood Blues",
        artist="The Dead Weather",
        album="Sea of Cowards",
        tracknumber="1/11",
        musicbrainz_albumid=SEA_OF_COWARDS,
    )
    gone = FakeMusicBrainz().start()
    dead_url = gone.url
    gone.stop()
    configure(monkeypatch, [root], dead_url, dead_url, key=None)
    sync()
    offline = enrich()
    assert offline["status"] == "succeeded"
    assert offline["skipped"] == 2
    reasons = identities()
    assert "no TMDb API key" in reasons["movie:Fight Club"][2]
    assert "unreachable" in reasons["album:The Dead Weather - Sea of Cowards"][2]

    with FakeMusicBrainz(min_interval=0.05) as mb, FakeTmdb() as tmdb:
        configure(monkeypatch, [root], mb.url, tmdb.url)
        back = enrich()
    assert (back["skipped"], back["accepted"]) == (0, 2)
    assert back["probed"] == 0  # the file was probed while offline
    found = identities()
    assert found["movie:Fight Club"][:2] == ("accepted", "550")
    assert found["album:The Dead Weather - Sea of Cowards"][:2] == (
        "accepted",
        SEA_OF_COWARDS,
    )
