"""Reading a unit in worker processes gives what reading it in place gives, sent
back as columns."""

from __future__ import annotations

import shutil
from pathlib import Path

from connectors.media_servers.base import SyncMode
from connectors.media_servers.filesystem import pool
from connectors.media_servers.filesystem.client import unit_size
from connectors.media_servers.filesystem.reader import as_frames, read_entries
from connectors.media_servers.filesystem.scan import walk_roots
from connectors.media_servers.registry import create_client

CORPUS = Path(__file__).resolve().parents[3] / "corpus" / "mutagen"


def test_a_large_unit_read_in_processes_equals_reading_in_place(
    tmp_path: Path,
) -> None:
    root = tmp_path / "lib"
    root.mkdir()
    sources = ["silence-44-s.mp3", "silence-44-s.flac", "emptyfile.mp3"]
    for index in range(pool.IN_PLACE_BELOW):
        name = sources[index % len(sources)]
        shutil.copy(CORPUS / name, root / f"{index:03d} {name}")
    entries = list(walk_roots([root]))
    assert pool.workers() > 1
    parallel = pool.read_parallel([root], entries)
    in_place = read_entries([root], entries)
    assert parallel.failed == in_place.failed == pool.IN_PLACE_BELOW // 3
    assert not parallel.media_files  # rows come back as columns, not records
    expected = as_frames(in_place).frames
    assert (
        set(parallel.frames)
        == set(expected)
        == {
            "artists",
            "albums",
            "tracks",
            "media_files",
        }
    )
    for table, frame in expected.items():
        assert parallel.frames[table].to_dicts() == frame.to_dicts(), table
    files = parallel.frames["media_files"]
    assert files.height == pool.IN_PLACE_BELOW
    assert files.filter(files["error"].is_not_null()).height == pool.IN_PLACE_BELOW // 3
    assert (
        parallel.frames["tracks"].height
        == pool.IN_PLACE_BELOW - pool.IN_PLACE_BELOW // 3
    )
    assert parallel.native_ids() == in_place.native_ids()
    assert parallel.files() == in_place.files() == pool.IN_PLACE_BELOW


def test_a_large_read_is_cut_into_a_few_large_units(tmp_path: Path) -> None:
    """Each unit's write has a fixed cost: a large read grows its units (to a
    quarter of the read, at most 5 batches each), a small one keeps batch_size."""
    root = tmp_path / "lib"
    root.mkdir()
    for index in range(30):
        shutil.copy(CORPUS / "silence-44-s.mp3", root / f"{index:02d}.mp3")
    client = create_client("fs", {"kind": "filesystem", "roots": [str(root)]})
    plan = client.plan_sync(SyncMode.FULL, {}, None, 1)
    assert [len(unit) for unit in plan.units] == [5] * 6
    listed = [entry.native_id for unit in plan.units for entry in unit]
    assert sorted(listed) == sorted({e.native_id for e in walk_roots([root])})
    assert [len(u) for u in client.plan_sync(SyncMode.FULL, {}, None, 100).units] == [
        30
    ]
    assert unit_size(20_000, 1000) == 5000
    assert unit_size(3000, 1000) == 1000
