"""Reading a unit in worker processes gives what reading it in place gives."""

from __future__ import annotations

import shutil
from pathlib import Path

from connectors.media_servers.filesystem import pool
from connectors.media_servers.filesystem.reader import read_entries
from connectors.media_servers.filesystem.scan import walk_roots

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
    assert parallel.media_files == in_place.media_files
    assert parallel.tracks == in_place.tracks
