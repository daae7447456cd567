"""A first scan's batches are appended (the server had no row), with the derived keys
computed by the writing statement itself; what a later merge of the same rows finds
is unchanged, and a server whose rows were all removed is not taken for a new one."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests import lake
from warehouse.db import Warehouse
from warehouse.library import count_rows, detect_removals, write_batch
from warehouse.queries.library import LibraryFilter, search

TITLES = {"1": "Crème Brûlée", "2": "Über Alles", "3": "Plain"}


@pytest.fixture
def wh(empty_lake: Path, tmp_path: Path) -> Warehouse:
    lake.copy_lake(empty_lake, tmp_path)
    return Warehouse(lake.catalog(tmp_path), extension_dir=tmp_path / "extensions")


def frames() -> dict[str, pl.DataFrame]:
    """Server ``a``'s three tracks with every column the reader sends."""
    ids = list(TITLES)
    n = len(ids)
    return {
        "artists": pl.DataFrame(
            {"server_id": ["a"], "native_id": ["ar1"], "name": ["Zoë & the Nulls"]}
        ),
        "tracks": pl.DataFrame(
            {
                "server_id": ["a"] * n,
                "native_id": ids,
                "title": [TITLES[i] for i in ids],
                "artist": ["Zoë & the Nulls"] * n,
                "album_artist": [None] * n,
                "album": ["Électro Live"] * n,
                "duration_s": [61.4, 122.6, None],
                "mb_recording_id": ["ABC-1", None, None],
                "artist_native_id": ["ar1"] * n,
                "file_native_id": [f"f{i}" for i in ids],
            }
        ),
        "media_files": pl.DataFrame(
            {
                "server_id": ["a"] * n,
                "native_id": [f"f{i}" for i in ids],
                "path": [f"Music/Crème Brûlée/{i}.flac" for i in ids],
                "media_kind": ["audio"] * n,
            }
        ),
    }


def stored_keys(wh: Warehouse) -> list[tuple[str, str, str, str, str]]:
    """Each track's stored keys beside what the macros compute from its columns."""
    with wh.read() as con:
        return con.execute(
            "SELECT t.native_id, t.match_key, ml_track_match_key(t.mb_recording_id,"
            " coalesce(t.artist, t.album_artist), t.album, t.title, t.duration_s),"
            " t.search_key, f.search_key FROM tracks t JOIN media_files f"
            " ON f.native_id = t.file_native_id ORDER BY t.native_id"
        ).fetchall()


def test_a_first_scan_appended_is_what_a_merge_would_have_stored(
    wh: Warehouse,
) -> None:
    with wh.write() as con:
        assert count_rows(con, "a") == 0
        first = write_batch(con, frames(), fresh=True)
    assert first.added == 3
    keys = stored_keys(wh)
    assert [k[0] for k in keys] == ["1", "2", "3"]
    assert keys[0][1] == "mbid:abc-1"
    assert keys[1][1] == "tags:zoe the nulls|electro live|uber alles|123"
    assert all(match == expected for _, match, expected, _, _ in keys)
    assert keys[0][3] == "creme brulee zoe & the nulls electro live"
    assert keys[0][4] == "music/creme brulee/1.flac"
    with wh.write() as con:
        again = write_batch(con, frames())  # a rescan merges: nothing changed
        assert count_rows(con, "a") == 6
    assert (again.added, again.updated) == (0, 0)
    with wh.read() as con:
        page = search(con, LibraryFilter(text="uber"))
    assert page.rows["title"].to_list() == ["Über Alles"]


def test_a_server_whose_rows_were_all_removed_is_merged_not_appended(
    wh: Warehouse,
) -> None:
    with wh.write() as con:
        write_batch(con, frames(), fresh=True)
        removal = detect_removals(con, "a", ["gone"], threshold=1.0)
    assert removal.removed == 3
    with wh.write() as con:
        assert count_rows(con, "a") == 6  # removed rows count: not a first scan
        back = write_batch(con, frames(), fresh=False)
    assert back.updated == 3  # the same rows come back, none added twice
    with wh.read() as con:
        [(rows, active)] = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE removed_at IS NULL) FROM tracks"
        ).fetchall()
    assert (rows, active) == (3, 3)
