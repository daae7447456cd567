"""Tests for the deterministic sample library (``medialake.sample``)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path

import mutagen
import pytest
from guessit import guessit

from medialake.sample import (
    AUDIO_FORMATS,
    HD_MOVIE,
    SAMPLE_VIDEOS,
    VARIOUS_ARTISTS,
    SampleSummary,
    SampleVideo,
    generate_sample,
    sample_tracks,
)

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg/ffprobe not installed",
)
AUDIO_SUFFIXES = {f".{fmt}" for fmt in AUDIO_FORMATS}
PROBE = "ffprobe -v error -show_entries format=duration -of csv=p=0".split()


@pytest.fixture(scope="module")
def library(sample_library: SampleSummary) -> tuple[Path, SampleSummary]:
    """The session's sample library (see ``conftest.py``) and its summary."""
    return sample_library.root, sample_library


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _audio(root: Path) -> list[Path]:
    return [p for p in _files(root) if p.suffix in AUDIO_SUFFIXES]


def _probe(path: Path) -> float:
    done = subprocess.run(
        [*PROBE, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"{path}: {done.stderr}"
    assert not done.stderr.strip(), f"{path}: {done.stderr}"
    return float(done.stdout.strip())


def _snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    return {
        str(p.relative_to(root)): (
            p.stat().st_size,
            p.stat().st_mtime_ns,
            hashlib.sha256(p.read_bytes()).hexdigest(),
        )
        for p in _files(root)
    }


def test_counts_match_summary(library: tuple[Path, SampleSummary]) -> None:
    root, summary = library
    audio = _audio(root)
    tags = [mutagen.File(p, easy=True) for p in audio]
    artists = {a for t in tags for a in t["artist"] + t["albumartist"]}
    albums = {(t["albumartist"][0], t["album"][0]) for t in tags}
    shows = [p for p in (root / "Video" / "Shows").iterdir() if p.is_dir()]
    assert summary.root == root
    assert summary.tracks == len(audio) == len(sample_tracks())
    assert summary.artists == len(artists) >= 6
    assert summary.albums == len(albums) >= 15
    assert summary.movies == len(_files(root / "Video" / "Movies")) >= 3
    assert summary.shows == len(shows)
    assert summary.episodes == len(_files(root / "Video" / "Shows")) >= 4
    assert len(_files(root)) == summary.tracks + summary.movies + summary.episodes


def test_all_formats_and_tags(library: tuple[Path, SampleSummary]) -> None:
    root, _ = library
    audio = _audio(root)
    assert len(audio) >= 200
    assert {p.suffix for p in audio} == AUDIO_SUFFIXES
    with_mbid = 0
    for path in audio:
        tags = mutagen.File(path, easy=True)
        assert tags is not None, path
        assert tags.info.length > 0, path
        for key in ("artist", "albumartist", "album", "title", "tracknumber"):
            assert tags.get(key), f"{path}: no {key}"
        for key in ("discnumber", "date", "genre"):
            assert tags.get(key), f"{path}: no {key}"
        with_mbid += bool(tags.get("musicbrainz_albumid"))
    assert 0.3 * len(audio) < with_mbid < len(audio)


def test_multi_disc_album(library: tuple[Path, SampleSummary]) -> None:
    root, _ = library
    disc_two = [p for p in _audio(root) if p.name.startswith("2-")]
    assert disc_two
    tags = mutagen.File(disc_two[0])
    assert tags is not None
    assert tags["DISCNUMBER"] == ["2"]
    assert tags["DISCTOTAL"] == ["2"]


def test_compilation(library: tuple[Path, SampleSummary]) -> None:
    root, _ = library
    tracks = _audio(root / "Music" / VARIOUS_ARTISTS)
    assert len(tracks) >= 10
    artists = set()
    for path in tracks:
        raw = mutagen.File(path)
        assert raw is not None
        assert str(raw.tags["TCMP"]) == "1"
        assert str(raw.tags["TPE2"]) == VARIOUS_ARTISTS
        artists.add(str(raw.tags["TPE1"]))
    assert len(artists) >= 3
    assert VARIOUS_ARTISTS not in artists


def test_non_ascii_and_sanitized_names(library: tuple[Path, SampleSummary]) -> None:
    root, _ = library
    names = " ".join(str(p.relative_to(root)) for p in _audio(root))
    for marker in ("é", "Þ", "ð", "ñ", "夜明け", "Ночные"):
        assert marker in names
    slashed = [t for t in sample_tracks() if "/" in t.tags.title]
    assert slashed
    for track in slashed:
        assert (root / track.path).is_file()
        assert "_" in Path(track.path).name


def test_every_file_decodes(library: tuple[Path, SampleSummary]) -> None:
    root, summary = library
    files = _files(root)
    with ThreadPoolExecutor(max_workers=4) as pool:
        durations = dict(zip(files, pool.map(_probe, files), strict=True))
    assert all(d > 0 for d in durations.values())
    audio = sum(mutagen.File(p).info.length for p in _audio(root))
    video = sum(d for p, d in durations.items() if p.suffix not in AUDIO_SUFFIXES)
    assert summary.seconds == pytest.approx(audio + video, abs=0.01)


@pytest.mark.parametrize("video", SAMPLE_VIDEOS, ids=lambda v: Path(v.path).name)
def test_video_names_parse(
    library: tuple[Path, SampleSummary], video: SampleVideo
) -> None:
    root, _ = library
    assert (root / video.path).is_file()
    parsed = guessit(video.path)
    assert parsed["type"] == video.kind
    assert parsed["title"] == video.title
    for key in ("year", "season", "episode"):
        assert parsed.get(key) == getattr(video, key), key


def test_one_movie_is_a_minute_of_1080p_that_seeks(
    library: tuple[Path, SampleSummary],
) -> None:
    root, _ = library
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-skip_frame", "nokey",
         "-show_entries", "stream=width,height:frame=pts_time:format=duration",
         "-of", "json", str(root / HD_MOVIE.path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    facts = json.loads(probe.stdout)
    assert (facts["streams"][0]["width"], facts["streams"][0]["height"]) == (1920, 1080)
    assert float(facts["format"]["duration"]) == pytest.approx(60, abs=0.5)
    keys = [float(f["pts_time"]) for f in facts["frames"]]
    assert len(keys) >= 30  # a keyframe at least every 2 s: seeking lands close
    assert max(b - a for a, b in pairwise(keys)) <= 2.1


def test_rerun_is_noop_and_deterministic(
    library: tuple[Path, SampleSummary], tmp_path: Path
) -> None:
    root, summary = library
    before = _snapshot(root)
    calls: list[tuple[int, int]] = []
    assert generate_sample(root, progress=lambda d, t: calls.append((d, t))) == summary
    assert _snapshot(root) == before
    total = len(before)
    assert calls == [(i, total) for i in range(1, total + 1)]

    assert generate_sample(tmp_path) == dataclasses.replace(summary, root=tmp_path)
    fresh = _snapshot(tmp_path)
    assert {k: v[2] for k, v in fresh.items()} == {k: v[2] for k, v in before.items()}

    victim = next(iter(fresh))
    with (tmp_path / victim).open("ab") as handle:
        handle.write(b"garbage")
    generate_sample(tmp_path)
    repaired = _snapshot(tmp_path)
    assert repaired[victim][2] == fresh[victim][2]
    del repaired[victim], fresh[victim]
    assert repaired == fresh
    assert not list(tmp_path.rglob(".*")), "temporary files left behind"


def test_missing_ffmpeg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("medialake.sample_audio.shutil.which", lambda _name: None)
    with pytest.raises(RuntimeError, match="ffmpeg not found"):
        generate_sample(tmp_path)
    assert not any(tmp_path.iterdir())
