"""The Library's order, page by page: the API's track list and the dashboard's search
go through every item exactly once, in artist, album, disc, number, title order
(numbers compared as numbers, a missing disc first and a missing number last), the same
track on two servers side by side, movies by title and episodes by show among them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tests import lake
from warehouse.db import Warehouse
from warehouse.library import write_batch
from warehouse.queries import catalog
from warehouse.queries.library import LibraryFilter, search

# (native id, artist, album, disc, number, title), written in a shuffled order
TRACKS = [
    ("t9", "Zoë", "Live", 10, 1, "Ten"),
    ("t1", "Abba", "Gold", None, 2, "Two"),
    ("t2", "Abba", "Gold", 1, 10, "Tenth"),
    ("t3", "Abba", "Gold", 1, 9, "Ninth"),
    ("t4", "Abba", "Gold", 1, None, "No number"),
    ("t5", "Abba", "Gold", 2, 1, "Disc two"),
    ("t6", "Abba", "Arrival", 1, 1, "Earlier album"),
    ("t7", "Zoë", "Live", 2, 1, "Two"),
    ("t8", "Abba Band", "A", 1, 1, "Longer name"),
]
# the Library's order of TRACKS
ORDER = ["t6", "t1", "t3", "t2", "t4", "t5", "t8", "t7", "t9"]


@pytest.fixture
def wh(empty_lake: Path, tmp_path: Path) -> Warehouse:
    lake.copy_lake(empty_lake, tmp_path)
    return Warehouse(lake.catalog(tmp_path), extension_dir=tmp_path / "extensions")


def land(wh: Warehouse, rows: list[tuple[Any, ...]], server: str = "a") -> None:
    with wh.write() as con:
        write_batch(
            con,
            {
                "tracks": pl.DataFrame(
                    [(server, *row) for row in rows],
                    schema={
                        "server_id": pl.String,
                        "native_id": pl.String,
                        "artist": pl.String,
                        "album": pl.String,
                        "disc_no": pl.Int32,
                        "track_no": pl.Int32,
                        "title": pl.String,
                    },
                    orient="row",
                )
            },
        )


def api_order(wh: Warehouse, limit: int = 4) -> list[str]:
    """Every track's id, page by page as a client follows ``next``."""
    seen: list[str] = []
    after = None
    with wh.read() as con:
        while True:
            page = catalog.tracks(con, after=after, limit=limit)
            seen += [row["native_id"] for row in page.rows]
            if page.next is None:
                return seen
            after = page.next


def dashboard_order(wh: Warehouse, f: LibraryFilter | None = None) -> list[str]:
    seen: list[str] = []
    after = None
    with wh.read() as con:
        while True:
            page = search(con, f or LibraryFilter(), after, 4)
            seen += page.rows["native_id"].to_list()
            if page.next is None:
                return seen
            after = page.next


def test_lists_page_in_the_library_order(wh: Warehouse) -> None:
    land(wh, TRACKS)
    land(wh, [TRACKS[0]], server="b")  # t9 on server b too: they sit together
    with wh.write() as con:
        con.execute(
            "INSERT INTO movies (server_id, native_id, title)"
            " VALUES ('a', 'm1', 'Abba Band'), ('a', 'm2', 'Zzz')"
        )
        con.execute(
            "INSERT INTO episodes (server_id, native_id, title, show_title, season,"
            " episode) VALUES ('a', 'e2', 'Pilot', 'Show', 1, 10),"
            " ('a', 'e1', 'Second', 'Show', 1, 2)"
        )
    assert api_order(wh) == [*ORDER, "t9"]
    with wh.read() as con:
        last = catalog.tracks(con, limit=500).rows[-2:]
    assert [(r["native_id"], r["server_id"]) for r in last] == [
        ("t9", "a"),
        ("t9", "b"),
    ]
    # movies by title, episodes by show, season and number, among the tracks
    assert dashboard_order(wh) == [
        *ORDER[:6], "m1", "t8", "e1", "e2", "t7", "t9", "t9", "m2"
    ]  # fmt: skip
