"""Moved files keep their identity through the library_sync flow: a renamed folder of
100 tracks keeps its items, identities, overrides and play history; a real removal is
still removed; incremental syncs recognise moves too."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from flows.library_sync import library_sync
from medialake.sample_audio import TrackTags, encode_audio_templates, tag_audio
from tasks.context import warehouse

pytestmark = pytest.mark.usefixtures("prefect_harness")
ALBUMS, PER_ALBUM = 10, 10


@pytest.fixture(scope="module")
def hundred(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """100 distinct tagged mp3 files (one encoded clip, 100 tag sets), by rel path."""
    cache = tmp_path_factory.mktemp("templates")
    [template] = encode_audio_templates(cache, seconds=(2,), formats=("mp3",)).values()
    data, files = template.read_bytes(), {}
    for album in range(ALBUMS):
        for track in range(1, PER_ALBUM + 1):
            tags = TrackTags(
                artist="Mover",
                album_artist="Mover",
                album=f"Album {album}",
                title=f"Song {album}-{track}",
                track=track,
                track_total=PER_ALBUM,
                disc=1,
                disc_total=1,
                year=2000 + album,
                genre="Rock",
            )
            rel = f"Mover/Album {album}/{track:02d} Song.mp3"
            files[rel] = tag_audio(data, "mp3", tags)
    return files


@pytest.fixture
def library(
    hundred: dict[str, bytes], ml_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    root = ml_home.parent / "library"
    for rel, data in hundred.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    monkeypatch.setenv("MEDIALAKE_SERVERS_LOCAL_KIND", "filesystem")
    monkeypatch.setenv("MEDIALAKE_SERVERS_LOCAL_ROOTS", str(root))
    return root


def sync(mode: str) -> dict[str, Any]:
    [summary] = library_sync(mode=mode)
    return summary


def tracks() -> dict[str, tuple[str, str]]:
    """Active tracks: title -> (native id, path)."""
    with warehouse().read() as con:
        rows = con.execute(
            "SELECT t.title, t.native_id, f.path FROM tracks t JOIN media_files f"
            " ON f.server_id = t.server_id AND f.native_id = t.file_native_id"
            " WHERE t.removed_at IS NULL AND f.removed_at IS NULL"
        ).fetchall()
    return {title: (nid, path) for title, nid, path in rows}


def attach_history(ids: list[str]) -> None:
    """An override and a play for every track, tied to its native id."""
    played = datetime(2026, 1, 1, tzinfo=UTC)
    with warehouse().write() as con:
        for nid in ids:
            con.execute(
                "INSERT INTO identity_overrides (entity, server_id, native_id,"
                " provider, provider_id, note) VALUES ('track', 'local', ?,"
                " 'musicbrainz', ?, 'picked by hand')",
                [nid, f"mbid-{nid}"],
            )
            con.execute(
                "INSERT INTO play_events (server_id, user_name, item_native_id,"
                " played_at) VALUES ('local', 'me', ?, ?)",
                [nid, played],
            )


def joined_history() -> int:
    """Active tracks that still reach their override and their play."""
    with warehouse().read() as con:
        [(found,)] = con.execute(
            "SELECT count(*) FROM tracks t"
            " JOIN identity_overrides o ON o.native_id = t.native_id"
            " JOIN play_events p ON p.item_native_id = t.native_id"
            " WHERE t.removed_at IS NULL"
        ).fetchall()
    return int(found)


def test_renaming_a_folder_of_100_tracks_keeps_every_item(library: Path) -> None:
    first = sync("full")
    assert first["added"] == 100
    before = tracks()
    attach_history([nid for nid, _ in before.values()])
    (library / "Mover").rename(library / "Renamed Artist")
    moved = sync("full")
    after = tracks()
    assert moved["status"] == "succeeded"
    assert (moved["added"], moved["removed"], moved["failed"]) == (0, 0, 0)
    assert set(after) == set(before)
    for title, (nid, path) in after.items():
        assert nid == before[title][0], title
        assert path == "Renamed Artist/" + before[title][1].split("/", 1)[1]
    assert joined_history() == 100
    again = sync("full")  # the next run recognises them at no cost
    assert (again["added"], again["updated"], again["removed"]) == (0, 0, 0)
    assert tracks() == after


def test_a_real_removal_is_still_removed_and_a_moved_file_kept(library: Path) -> None:
    sync("full")
    before = tracks()
    gone = library / "Mover" / "Album 3" / "01 Song.mp3"
    gone.unlink()
    (library / "Mover" / "Album 4").rename(library / "Mover" / "Album Four")
    result = sync("full")
    after = tracks()
    assert result["removed"] == 1
    assert "Song 3-1" not in after
    assert len(after) == 99
    assert all(after[t][0] == before[t][0] for t in after)
    assert after["Song 4-1"][1] == "Mover/Album Four/01 Song.mp3"


def test_incremental_sync_recognises_a_move_too(library: Path) -> None:
    sync("full")
    before = tracks()
    target = library / "Elsewhere"
    target.mkdir()
    shutil.move(library / "Mover" / "Album 0" / "02 Song.mp3", target / "moved.mp3")
    result = sync("incremental")
    after = tracks()
    assert result["added"] == 0
    assert after["Song 0-2"] == (before["Song 0-2"][0], "Elsewhere/moved.mp3")
    assert len(after) == 100


def test_a_new_file_where_a_moved_one_was_gets_its_own_item(
    library: Path, hundred: dict[str, bytes]
) -> None:
    sync("full")
    before = tracks()
    old = library / "Mover" / "Album 1" / "03 Song.mp3"
    old.rename(library / "Mover" / "Album 1" / "03 Song (moved).mp3")
    sync("full")
    shutil.copy(library / "Mover" / "Album 2" / "05 Song.mp3", old)  # a copy there
    result = sync("full")
    after = tracks()
    assert result["added"] == 1
    assert after["Song 1-3"] == (
        before["Song 1-3"][0],
        "Mover/Album 1/03 Song (moved).mp3",
    )
    ids = [nid for nid, _ in after.values()]
    assert len(ids) == len(set(ids))
    paths = {path for _, path in after.values()}
    assert "Mover/Album 1/03 Song.mp3" in paths
