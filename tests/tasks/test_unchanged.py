"""The unchanged fast path of an incremental sync: nothing new is decided from a stat
walk and the warehouse, and the run is still recorded."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from connectors.media_servers.base import SyncMode
from flows.library_sync import library_sync
from medialake.sample import SampleSummary
from tasks.context import warehouse
from tasks.unchanged import record_if_unchanged

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def synced(local_library: Path) -> Path:
    """A copy of the sample library, synced in full once."""
    library_sync(mode="full")
    return local_library


def runs() -> list[tuple[object, ...]]:
    with warehouse().read() as con:
        return con.execute(
            "SELECT status, mode, seen, added, items_done, flow_run_id"
            " FROM sync_runs ORDER BY started_at"
        ).fetchall()


def test_an_unchanged_library_is_recorded_without_the_flow(
    synced: Path, sample_library: SampleSummary
) -> None:
    items = sample_library.tracks + sample_library.movies + sample_library.episodes
    summary = record_if_unchanged("local", SyncMode.INCREMENTAL)
    assert summary is not None
    assert (summary["status"], summary["seen"], summary["added"]) == (
        "succeeded",
        items,
        0,
    )
    assert runs()[-1][:5] == ("succeeded", "incremental", items, 0, items)
    # a scheduled run takes the same path inside its flow, keeping its flow run
    [again] = library_sync(mode="incremental")
    assert (again["unchanged"], again["seen"]) == (True, items)
    assert runs()[-1][5]  # the Prefect flow run that made it, for the Jobs page


def test_a_changed_file_or_another_mode_needs_the_flow(synced: Path) -> None:
    before = runs()
    assert record_if_unchanged("local", SyncMode.FULL) is None
    first = next(synced.rglob("*.flac"))
    stat = first.stat()
    os.utime(first, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert record_if_unchanged("local", SyncMode.INCREMENTAL) is None
    assert runs() == before  # nothing recorded: the flow will read the file
    [summary] = library_sync(mode="incremental")
    assert (summary["updated"], summary.get("unchanged")) == (1, None)
