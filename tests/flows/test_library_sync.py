"""The library_sync flow end to end: a real folder, Prefect's API, the warehouse."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from flows.library_sync import library_sync
from medialake.sample import SampleSummary
from tasks.context import warehouse
from tests.lake import holding

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def library(local_library: Path) -> Path:
    return local_library


def count(table: str, active: bool = True) -> int:
    where = " WHERE removed_at IS NULL" if active else ""
    with warehouse().read() as con:
        row = con.execute(f"SELECT count(*) FROM {table}{where}").fetchone()
    return int(row[0]) if row else 0


def sync(mode: str) -> dict[str, Any]:
    [summary] = library_sync(mode=mode)
    return summary


def media_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_full_sync_lands_the_sample_library_and_a_rerun_changes_nothing(
    library: Path, sample_library: SampleSummary
) -> None:
    first = sync("full")
    items = sample_library.tracks + sample_library.movies + sample_library.episodes
    assert first["status"] == "succeeded"
    assert (first["added"], first["updated"], first["removed"], first["failed"]) == (
        items,
        0,
        0,
        0,
    )
    assert count("tracks") == sample_library.tracks
    assert count("albums") == sample_library.albums
    assert count("artists") == sample_library.artists
    assert count("movies") == sample_library.movies
    assert count("shows") == sample_library.shows
    assert count("episodes") == sample_library.episodes
    again = sync("full")
    assert (again["added"], again["updated"], again["removed"]) == (0, 0, 0)
    for table in ("artists", "albums", "tracks", "shows", "movies", "episodes"):
        assert count(table) == getattr(sample_library, table), table
    assert again["seen"] == first["seen"]
    with warehouse().read() as con:
        runs = con.execute(
            "SELECT status, duration_s, items_done, items_total FROM sync_runs"
        ).fetchall()
    assert len(runs) == 2
    assert all(r[0] == "succeeded" and r[1] >= 0 and r[2] == r[3] for r in runs)


def test_deleting_a_third_removes_exactly_those_and_they_can_come_back(
    library: Path,
) -> None:
    sync("full")
    files = media_files(library)
    gone = files[::3]
    stash = library.parent / "stash"
    for path in gone:
        target = stash / path.relative_to(library)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)
    result = sync("full")
    assert result["status"] == "succeeded"
    assert result["removed"] == len(gone)
    assert count("media_files") == len(files) - len(gone)
    assert count("media_files", active=False) == len(files)
    shutil.move(stash / gone[0].relative_to(library), gone[0])
    back = sync("full")
    assert back["updated"] == 1
    assert count("media_files") == len(files) - len(gone) + 1


def test_an_emptied_or_missing_root_removes_nothing_and_is_suspect(
    library: Path,
) -> None:
    sync("full")
    stored = count("media_files")
    for path in list(library.iterdir()):
        shutil.rmtree(path)
    emptied = sync("full")
    assert emptied["status"] == "suspect"
    assert "no media files" in emptied["reason"]
    library.rmdir()
    missing = sync("full")
    assert missing["status"] == "suspect"
    assert "missing" in missing["reason"]
    assert count("media_files") == stored
    with warehouse().read() as con:
        status = con.execute("SELECT status FROM servers").fetchone()
    assert status == ("suspect",)


def test_removing_more_than_the_limit_is_suspect(library: Path) -> None:
    sync("full")
    stored = count("tracks")
    shutil.rmtree(library / "Music")
    result = sync("full")
    assert result["status"] == "suspect"
    assert "limit" in result["reason"]
    assert count("tracks") == stored


def test_incremental_reads_changes_and_never_removes(library: Path) -> None:
    import mutagen

    sync("incremental")
    first = next(library.rglob("*.flac"))
    audio = mutagen.File(first, easy=True)
    audio["title"] = "Retitled"
    audio.save()
    media_files(library)[-1].unlink()
    result = sync("incremental")
    assert (result["added"], result["updated"], result["removed"]) == (0, 1, 0)
    with warehouse().read() as con:
        titles = con.execute(
            "SELECT count(*) FROM tracks WHERE title = 'Retitled'"
        ).fetchone()
    assert titles == (1,)


def test_bad_files_are_counted_and_the_run_succeeds(library: Path) -> None:
    (library / "Music" / "broken.mp3").write_text("not audio")
    (library / "Music" / "empty.flac").write_bytes(b"")
    result = sync("full")
    assert result["status"] == "succeeded"
    assert result["failed"] == 2
    with warehouse().read() as con:
        errors = con.execute(
            "SELECT path, error FROM media_files WHERE error IS NOT NULL ORDER BY path"
        ).fetchall()
    assert [p for p, _ in errors] == ["Music/broken.mp3", "Music/empty.flac"]
    assert sync("full")["failed"] == 2  # still reported, never removed as "gone"


def test_a_run_left_running_by_a_killed_process_is_closed_as_interrupted(
    library: Path,
) -> None:
    from connectors.media_servers.base import SyncMode
    from tasks.library_sync import open_run

    orphan = open_run.fn("local", SyncMode.FULL)  # the process "dies" here
    result = sync("full")
    assert result["status"] == "succeeded"
    with warehouse().read() as con:
        row = con.execute(
            "SELECT status, error FROM sync_runs WHERE run_id = ?", [orphan]
        ).fetchone()
    assert row is not None
    assert row[0] == "failed"
    assert "interrupted" in row[1]


HOLD_SYNC_LOCK = """
import sys
from warehouse.db import Warehouse
from warehouse.runs import start_run
wh = Warehouse(sys.argv[1])
with wh.exclusive("sync-local"):
    with wh.write() as con:
        start_run(con, "held-run", "local", "full")
    print("holding", flush=True)
    sys.stdin.readline()
"""


def test_a_second_sync_of_a_server_is_refused_with_its_row_and_spares_the_first(
    library: Path,
) -> None:
    from flows.library_sync import SyncFailed

    with holding(HOLD_SYNC_LOCK, str(warehouse().path), kill=True) as holder:
        with pytest.raises(
            SyncFailed, match=rf"another sync of local.*PID {holder.pid}"
        ):
            sync("full")
        with warehouse().read() as con:
            rows = con.execute(
                "SELECT run_id, status, error FROM sync_runs ORDER BY started_at"
            ).fetchall()
        assert rows[0][:2] == ("held-run", "running")  # not marked interrupted
        assert rows[1][1] == "failed"
        assert f"PID {holder.pid}" in rows[1][2]
    # the holder was killed: its lock went with it
    assert sync("full")["status"] == "succeeded"
    with warehouse().read() as con:
        held = con.execute(
            "SELECT status, error FROM sync_runs WHERE run_id = 'held-run'"
        ).fetchone()
    assert held is not None
    assert held[0] == "failed"
    assert "interrupted" in held[1]
