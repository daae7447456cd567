"""The stored track match key: written with each batch, kept current when tags change,
backfilled by migration 009 on an older warehouse, computed by the view for a row
written another way."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from warehouse.db import Warehouse
from warehouse.library import write_batch
from warehouse.migrate import migrate


@pytest.fixture
def wh(tmp_path: Path) -> Warehouse:
    warehouse = Warehouse(tmp_path / "w.sqlite")
    migrate(warehouse)
    return warehouse


def tracks(server: str, rows: list[tuple[str, str, str, str, float]]) -> pl.DataFrame:
    """(native id, artist, album, title, duration) rows of one server."""
    return pl.DataFrame(
        {
            "server_id": [server] * len(rows),
            "native_id": [r[0] for r in rows],
            "artist": [r[1] for r in rows],
            "album": [r[2] for r in rows],
            "title": [r[3] for r in rows],
            "duration_s": [r[4] for r in rows],
        }
    )


def shared(wh: Warehouse) -> list[tuple]:
    with wh.read() as con:
        return con.execute(
            "SELECT title, servers, copies FROM tracks_across_servers ORDER BY title"
        ).fetchall()


def stored(wh: Warehouse) -> dict[tuple[str, str], str | None]:
    with wh.read() as con:
        rows = con.execute("SELECT server_id, native_id, match_key FROM tracks")
        return {(s, n): k for s, n, k in rows.fetchall()}


def land(wh: Warehouse) -> None:
    with wh.write() as con:
        write_batch(con, {"tracks": tracks("a", [
            ("1", "Zoë & the Nulls", "Live!", "Señal", 201.4),
            ("2", "Zoë & the Nulls", "Live!", "Other", 100.0),
        ])})  # fmt: skip
        write_batch(con, {"tracks": tracks("b", [
            ("x", "zoe the nulls", "LIVE", "señal ", 200.6),
            ("y", "Someone Else", "Live!", "Other", 100.0),
        ])})  # fmt: skip


def test_the_writer_stores_keys_and_the_same_track_matches(wh: Warehouse) -> None:
    land(wh)
    keys = stored(wh)
    assert keys[("a", "1")] == keys[("b", "x")] == "tags:zoe the nulls|live|senal|201"
    assert all(keys.values())
    assert shared(wh) == [("Señal", ["a", "b"], 2)]


def test_a_retagged_track_gets_its_new_key(wh: Warehouse) -> None:
    land(wh)
    with wh.write() as con:
        write_batch(con, {"tracks": tracks("b", [
            ("x", "zoe the nulls", "LIVE", "A Different Song", 200.6),
        ])})  # fmt: skip
    assert stored(wh)[("b", "x")] == "tags:zoe the nulls|live|a different song|201"
    assert shared(wh) == []


def test_rows_without_a_stored_key_still_match(wh: Warehouse) -> None:
    land(wh)
    with wh.write() as con:
        con.execute("UPDATE tracks SET match_key = NULL WHERE server_id = 'b'")
    assert shared(wh) == [("Señal", ["a", "b"], 2)]


def test_migration_009_backfills_an_older_warehouse(wh: Warehouse) -> None:
    land(wh)
    with wh.write() as con:  # the warehouse as it was before migration 009
        con.execute("ALTER TABLE tracks DROP COLUMN match_key")
        con.execute("DELETE FROM schema_migrations WHERE version = 9")
    assert migrate(wh) == [9]
    keys = stored(wh)
    assert keys[("a", "1")] == keys[("b", "x")] == "tags:zoe the nulls|live|senal|201"
    assert all(keys.values())
