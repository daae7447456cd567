"""The filesystem client on real files: tags per format, grouping, and bad input."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from connectors.errors import LibraryUnavailable
from connectors.media_servers.base import SyncMode
from connectors.media_servers.records import LibraryBatch
from connectors.media_servers.registry import create_client
from medialake.sample import SampleSummary


def read_all(
    root: Path, mode: SyncMode = SyncMode.FULL, known: dict | None = None
) -> LibraryBatch:
    client = create_client("fs", {"kind": "filesystem", "roots": [str(root)]})
    plan = client.plan_sync(mode, known or {}, None, 100)
    merged = LibraryBatch()
    for unit in plan.units:
        batch = client.read_unit(unit)
        for name, records in batch.tables().items():
            getattr(merged, name).extend(records)
        merged.failed += batch.failed
    return merged


@pytest.fixture(scope="module")
def sample_batch(sample_library: SampleSummary) -> LibraryBatch:
    return read_all(sample_library.root)


def test_every_sample_file_is_read_with_its_tags(
    sample_library: SampleSummary, sample_batch: LibraryBatch
) -> None:
    assert len(sample_batch.tracks) == sample_library.tracks
    assert sample_batch.failed == 0
    containers = {
        f.container for f in sample_batch.media_files if f.media_kind == "audio"
    }
    assert {"mp3", "flac", "ogg", "opus", "mp4"} <= containers
    for track in sample_batch.tracks:
        assert track.title
        assert track.artist
        assert track.album
        assert track.track_no
        assert (track.duration_s or 0) > 1
    assert any(t.mb_recording_id for t in sample_batch.tracks)
    assert len({a.native_id for a in sample_batch.albums}) == sample_library.albums
    assert len({a.native_id for a in sample_batch.artists}) == sample_library.artists


def test_compilation_is_one_album_under_various_artists(
    sample_batch: LibraryBatch,
) -> None:
    comp = [a for a in sample_batch.albums if a.is_compilation]
    assert {a.native_id for a in comp}, "no compilation found"
    assert {a.album_artist for a in comp} == {"Various Artists"}
    album_id = comp[0].native_id
    artists = {t.artist for t in sample_batch.tracks if t.album_native_id == album_id}
    assert len(artists) > 1


def test_multi_disc_album_keeps_disc_numbers(sample_batch: LibraryBatch) -> None:
    discs: dict[str, set[int]] = {}
    for track in sample_batch.tracks:
        discs.setdefault(track.album_native_id or "", set()).add(track.disc_no or 1)
    assert any(len(d) >= 2 for d in discs.values())


def test_videos_become_movies_and_episodes(
    sample_library: SampleSummary, sample_batch: LibraryBatch
) -> None:
    assert len(sample_batch.movies) == sample_library.movies
    assert len(sample_batch.episodes) == sample_library.episodes
    assert len({s.native_id for s in sample_batch.shows}) == sample_library.shows
    assert all(m.year for m in sample_batch.movies)
    assert all(e.season and e.episode for e in sample_batch.episodes)


def test_native_ids_are_stable_and_relative_to_the_root(
    sample_library: SampleSummary, tmp_path: Path
) -> None:
    moved = tmp_path / "elsewhere"
    shutil.copytree(sample_library.root / "Video", moved / "Video")
    original = {m.path: m.native_id for m in read_all(sample_library.root).media_files}
    copied = read_all(moved).media_files
    assert copied
    assert all(original[m.path] == m.native_id for m in copied)


def test_unchanged_files_are_not_opened_again(sample_library: SampleSummary) -> None:
    first = read_all(sample_library.root)
    known = {f.native_id: f.fingerprint for f in first.media_files}
    for mode in (SyncMode.FULL, SyncMode.INCREMENTAL):
        assert read_all(sample_library.root, mode, known).media_files == []
    assert len(read_all(sample_library.root, SyncMode.DEEP, known).media_files) == len(
        first.media_files
    )


@pytest.fixture
def bad_library(sample_library: SampleSummary, tmp_path: Path) -> Path:
    root = tmp_path / "bad"
    root.mkdir()
    good = next((sample_library.root / "Music").rglob("*.flac"))
    shutil.copy(good, root / "good.flac")
    (root / "empty.mp3").write_bytes(b"")
    (root / "text.mp3").write_text("this is not audio\n" * 50)
    data = good.read_bytes()
    (root / "truncated.flac").write_bytes(data[:200])
    (root / "garbage.mkv").write_bytes(os.urandom(4096))
    (root / "broken.ogg").symlink_to(root / "does-not-exist.ogg")
    (root / "loop.m4a").symlink_to(root / "loop.m4a")
    (root / "new\nline.flac").write_bytes(data)
    os.close(
        os.open(os.fsencode(root) + b"/bad-\xff\xfe.flac", os.O_CREAT | os.O_WRONLY)
    )
    return root


def test_bad_input_is_recorded_and_the_read_goes_on(bad_library: Path) -> None:
    batch = read_all(bad_library)
    errors = {f.path: f.error for f in batch.media_files}
    assert len(errors) == 9
    assert errors["good.flac"] is None
    assert errors["new\nline.flac"] is None
    assert "empty" in (errors["empty.mp3"] or "")
    assert "corrupt" in (errors["text.mp3"] or "")
    assert errors["truncated.flac"]
    assert "not a recognised video container" in (errors["garbage.mkv"] or "")
    assert "broken symlink" in (errors["broken.ogg"] or "")
    assert "cannot stat" in (errors["loop.m4a"] or "")
    assert "empty" in (errors["bad-\\xff\\xfe.flac"] or "")
    assert batch.failed == 7
    assert len(batch.tracks) == 2


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read every file")
def test_an_unreadable_file_is_recorded(bad_library: Path) -> None:
    locked = bad_library / "good.flac"
    locked.chmod(0)
    errors = {f.path: f.error for f in read_all(bad_library).media_files}
    assert "permission denied" in (errors["good.flac"] or "")


def test_a_missing_or_empty_root_is_unavailable(tmp_path: Path) -> None:
    client = create_client(
        "fs", {"kind": "filesystem", "roots": [str(tmp_path / "gone")]}
    )
    with pytest.raises(LibraryUnavailable, match="missing"):
        client.plan_sync(SyncMode.FULL, {}, None, 10)
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "cover.jpg").write_bytes(b"x")
    client = create_client(
        "fs", {"kind": "filesystem", "roots": [str(tmp_path / "empty")]}
    )
    with pytest.raises(LibraryUnavailable, match="no media files"):
        client.plan_sync(SyncMode.FULL, {}, None, 10)
