"""The Library's free-text search over the stored search keys: case and accents ignored,
file paths matched, keys kept current when tags change, backfilled by migration 017,
and files written another way (no stored key) still found. Also: the statistics every
migration gives empty tables leave no row behind."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests import lake
from warehouse.db import Warehouse
from warehouse.library import write_batch
from warehouse.migrate import migrate, prime_statistics
from warehouse.queries.library import LibraryFilter, search


@pytest.fixture
def wh(empty_lake: Path, tmp_path: Path) -> Warehouse:
    lake.copy_lake(empty_lake, tmp_path)
    return Warehouse(lake.catalog(tmp_path), extension_dir=tmp_path / "extensions")


def land(wh: Warehouse, titles: dict[str, str]) -> None:
    """Tracks of server ``a`` by native id -> title, each with its file."""
    ids = list(titles)
    with wh.write() as con:
        write_batch(
            con,
            {
                "tracks": pl.DataFrame(
                    {
                        "server_id": ["a"] * len(ids),
                        "native_id": ids,
                        "title": [titles[i] for i in ids],
                        "artist": ["Zoë & the Nulls"] * len(ids),
                        "album": ["Électro Live"] * len(ids),
                        "file_native_id": [f"f{i}" for i in ids],
                    }
                ),
                "media_files": pl.DataFrame(
                    {
                        "server_id": ["a"] * len(ids),
                        "native_id": [f"f{i}" for i in ids],
                        "path": [f"Music/Crème Brûlée/{i}.flac" for i in ids],
                        "media_kind": ["audio"] * len(ids),
                    }
                ),
            },
        )


def found(wh: Warehouse, text: str) -> list[str]:
    with wh.read() as con:
        page = search(con, LibraryFilter(text=text))
    titles = sorted(page.rows["title"].to_list())
    assert page.total == len(titles)
    return titles


def test_free_text_ignores_case_and_accents_and_matches_paths(wh: Warehouse) -> None:
    land(wh, {"1": "Señal", "2": "Other Song"})
    assert found(wh, "SENAL") == ["Señal"]
    assert found(wh, "zoe &") == ["Other Song", "Señal"]
    assert found(wh, "electro") == ["Other Song", "Señal"]
    assert found(wh, "creme brulee/2") == ["Other Song"]
    assert found(wh, "nowhere") == []


def test_a_retagged_track_is_found_by_its_new_title_only(wh: Warehouse) -> None:
    land(wh, {"1": "Señal"})
    land(wh, {"1": "Another Name"})
    assert found(wh, "senal") == []
    assert found(wh, "another") == ["Another Name"]


def test_files_without_a_stored_key_are_still_found(wh: Warehouse) -> None:
    land(wh, {"1": "Señal"})
    with wh.write() as con:  # written by something that does not store the keys
        con.execute("UPDATE media_files SET search_key = NULL")
    assert found(wh, "brulee/1") == ["Señal"]


def test_migration_017_backfills_an_older_warehouse(wh: Warehouse) -> None:
    land(wh, {"1": "Señal"})
    with wh.write() as con:  # the warehouse as it was before migration 017
        con.execute("ALTER TABLE tracks DROP COLUMN search_key")
        con.execute("ALTER TABLE media_files DROP COLUMN search_key")
        con.execute("DELETE FROM schema_migrations WHERE version = 17")
    assert migrate(wh) == [17]
    with wh.read() as con:
        keys = con.execute("SELECT search_key FROM tracks").fetchall()
    assert keys == [("señal zoë & the nulls électro live".replace("ë", "e")
                     .replace("ñ", "n").replace("é", "e"),)]  # fmt: skip
    assert found(wh, "senal") == ["Señal"]


def test_statistics_of_empty_tables_leave_every_table_as_it_was(
    wh: Warehouse,
) -> None:
    land(wh, {"1": "Señal"})
    with wh.write() as con:
        assert "movies" in prime_statistics(con)
        assert "tracks" not in prime_statistics(con)  # has rows: left alone
    tables = ("tracks", "media_files", "movies", "shows", "servers", "download_jobs")
    with wh.read() as con:
        counts = con.execute(
            "SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in tables)
        ).fetchone()
    assert counts == (1, 1, 0, 0, 0, 0)
