"""Set-based upserts: counts, no-op re-runs, duplicate keys, soft-removed rows
returning."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from warehouse.db import Warehouse
from warehouse.migrate import migrate
from warehouse.upsert import merge_frame


@pytest.fixture
def wh(tmp_path: Path) -> Warehouse:
    warehouse = Warehouse(tmp_path / "w.sqlite")
    migrate(warehouse)
    return warehouse


def artists(names: dict[str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "server_id": ["s"] * len(names),
            "native_id": list(names),
            "name": list(names.values()),
        }
    )


def test_counts_added_and_updated_and_a_rerun_changes_nothing(wh: Warehouse) -> None:
    with wh.write() as con:
        first = merge_frame(con, "artists", artists({"1": "A", "2": "B"}))
        again = merge_frame(con, "artists", artists({"1": "A", "2": "B"}))
        changed = merge_frame(con, "artists", artists({"1": "A", "2": "Bee", "3": "C"}))
    assert (first.added, first.updated) == (2, 0)
    assert (again.added, again.updated) == (0, 0)
    assert (changed.added, changed.updated) == (1, 1)
    with wh.read() as con:
        rows = con.execute("SELECT native_id, name FROM artists ORDER BY 1").fetchall()
    assert rows == [("1", "A"), ("2", "Bee"), ("3", "C")]


def test_duplicate_keys_in_one_batch_keep_the_last(wh: Warehouse) -> None:
    frame = pl.DataFrame(
        {"server_id": ["s", "s"], "native_id": ["1", "1"], "name": ["old", "new"]}
    )
    with wh.write() as con:
        counts = merge_frame(con, "artists", frame)
        name = con.execute("SELECT name FROM artists").fetchone()
    assert counts.added == 1
    assert name == ("new",)


def test_a_removed_row_seen_again_comes_back(wh: Warehouse) -> None:
    with wh.write() as con:
        merge_frame(con, "artists", artists({"1": "A"}))
        con.execute("UPDATE artists SET removed_at = now()")
        counts = merge_frame(con, "artists", artists({"1": "A"}))
        removed = con.execute("SELECT removed_at FROM artists").fetchone()
    assert counts.updated == 1
    assert removed == (None,)


def test_a_key_only_table_inserts_new_rows_once(wh: Warehouse) -> None:
    from datetime import UTC, datetime

    plays = pl.DataFrame(
        {
            "server_id": ["s", "s"],
            "user_name": ["ann", "ann"],
            "item_native_id": ["t1", "t2"],
            "played_at": [
                datetime(2026, 1, 1, tzinfo=UTC),
                datetime(2026, 1, 2, tzinfo=UTC),
            ],
        }
    )
    key = ("server_id", "user_name", "item_native_id", "played_at")
    with wh.write() as con:
        first = merge_frame(con, "play_events", plays, key, soft_delete=False)
        again = merge_frame(con, "play_events", plays, key, soft_delete=False)
        stored = con.execute("SELECT count(*) FROM play_events").fetchone()
    assert (first.added, again.added, again.updated) == (2, 0, 0)
    assert stored == (2,)
