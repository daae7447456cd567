"""``medialake identify`` end to end: 20 untagged files of two albums, real fpcalc,
the fake AcoustID and the fake MusicBrainz (recorded answers), the warehouse."""

from __future__ import annotations

from pathlib import Path

import pytest
from mutagen.flac import FLAC
from typer.testing import CliRunner

from cli.main import _load_commands, app
from tasks.context import reset, warehouse
from tests.connectors.metadata.albums import (
    SEA_OF_COWARDS,
    TECHPARA,
    make_untagged,
    register_album,
)
from tests.connectors.metadata.fakes import FakeAcoustid, FakeMusicBrainz
from warehouse.downloads import rows

pytestmark = pytest.mark.usefixtures("prefect_harness")
_load_commands()


def test_two_untagged_albums_are_identified_one_release_each(
    ml_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    music = tmp_path / "music"
    first = make_untagged(music / "a", 10, seed=1)
    second = make_untagged(music / "b", 10, seed=50)
    with FakeAcoustid() as acoustid, FakeMusicBrainz(min_interval=0.1) as mb:
        sea = register_album(acoustid, first, SEA_OF_COWARDS, "Sea of Cowards", 3)
        tech = register_album(acoustid, second, TECHPARA, "We♥TechPara", 2)
        acoustid.rate_limit_next = 1  # the first answer is "too many requests"
        for key, value in {
            "ACOUSTID_API_KEY": "test-acoustid-key",
            "ACOUSTID_BASE_URL": f"{acoustid.url}/v2",
            "MUSICBRAINZ_BASE_URL": mb.url,
            "MUSICBRAINZ_MIN_INTERVAL_S": "0.15",
            "HTTP_BACKOFF_S": "0.05",
        }.items():
            monkeypatch.setenv(f"MEDIALAKE_ENRICHMENT_{key}", value)
        reset()

        result = CliRunner().invoke(app, ["identify", str(music), "--write-tags"])

        statuses = [h.status for h in acoustid.requests("/v2/lookup")]
    assert result.exit_code == 0, result.output
    assert statuses[0] == 429  # the first answer was retried
    assert statuses.count(200) == 20
    with warehouse().read() as con:
        found = rows(
            con,
            "SELECT path, status, recording_id, release_id, album, track_no"
            " FROM fingerprint_matches ORDER BY path",
        )
        [run] = rows(con, "SELECT * FROM fingerprint_runs")
    by_path = {Path(r["path"]): r for r in found}
    for files, tracks, release, album in (
        (first, sea, SEA_OF_COWARDS, "Sea of Cowards"),
        (second, tech, TECHPARA, "We♥TechPara -mission style-"),
    ):
        got = [by_path[f] for f in files]
        assert [g["recording_id"] for g in got] == [t["id"] for t in tracks]
        assert {g["release_id"] for g in got} == {release}  # one release, no mix
        assert {g["album"] for g in got} == {album}  # from MusicBrainz
        assert [g["track_no"] for g in got] == list(range(1, 11))
        assert {g["status"] for g in got} == {"accepted"}
    assert (run["status"], run["files_done"], run["accepted"]) == ("succeeded", 20, 20)
    assert run["acoustid_requests"] == 21
    tags = FLAC(second[2])  # written into the file: the next sync and enrich see it
    assert tags["musicbrainz_trackid"] == [tech[2]["id"]]
    assert (tags["tracknumber"], tags["album"]) == (
        ["3"],
        ["We♥TechPara -mission style-"],
    )


def test_identify_says_what_is_missing(ml_home: Path, tmp_path: Path) -> None:
    make_untagged(tmp_path / "music", 1, seed=7, seconds=4)

    no_key = CliRunner().invoke(app, ["identify", str(tmp_path / "music")])
    no_folder = CliRunner().invoke(app, ["identify", str(tmp_path / "nowhere")])

    assert no_key.exit_code == 2
    assert "MEDIALAKE_ENRICHMENT_ACOUSTID_API_KEY" in " ".join(no_key.output.split())
    with warehouse().read() as con:
        [run] = rows(con, "SELECT status, error FROM fingerprint_runs")
    assert run["status"] == "failed"
    assert no_folder.exit_code == 2
    assert "neither a folder nor a file" in " ".join(no_folder.output.split())


def test_without_paths_the_library_tracks_without_mbids_are_identified(
    ml_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    album = ml_home / "library" / "Music" / "Untagged"
    files = make_untagged(album, 3, seed=200, seconds=5)
    tagged = make_untagged(ml_home / "library" / "Music" / "Tagged", 1, seed=300)[0]
    audio = FLAC(tagged)
    audio["title"], audio["artist"] = "Known", "Someone"
    audio["musicbrainz_trackid"] = "4f16eff1-0df6-4d94-89ba-e1470bc7b61f"
    audio.save()
    synced = CliRunner().invoke(app, ["sync"])
    assert synced.exit_code == 0, synced.output
    with FakeAcoustid() as acoustid, FakeMusicBrainz(min_interval=0.1) as mb:
        tracks = register_album(acoustid, files, SEA_OF_COWARDS, "Sea of Cowards")
        for key, value in {
            "ACOUSTID_API_KEY": "test-acoustid-key",
            "ACOUSTID_BASE_URL": f"{acoustid.url}/v2",
            "MUSICBRAINZ_BASE_URL": mb.url,
            "MUSICBRAINZ_MIN_INTERVAL_S": "0.15",
        }.items():
            monkeypatch.setenv(f"MEDIALAKE_ENRICHMENT_{key}", value)
        reset()

        result = CliRunner().invoke(app, ["identify"])

        asked = len(acoustid.requests("/v2/lookup"))
    assert result.exit_code == 0, result.output
    assert asked == 3  # the file tagged with an MBID was not fingerprinted
    with warehouse().read() as con:
        found = rows(con, "SELECT path, recording_id FROM fingerprint_matches")
    assert sorted((Path(r["path"]).name, r["recording_id"]) for r in found) == [
        (f.name, t["id"]) for f, t in zip(files, tracks, strict=True)
    ]
