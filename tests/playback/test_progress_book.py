"""Progress kept by the service: the newest report per user and title wins, reports are
written in one batch (twice adds nothing), reads see unwritten reports, a warehouse that
cannot be written keeps them for the next batch."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from playback.progress import ProgressBook
from tests import lake
from warehouse import hls
from warehouse.db import Warehouse, WarehouseBusy

A, B = "a" * 32, "b" * 32


def _events(home: Path) -> list[tuple]:
    return lake.rows(
        home,
        "SELECT user_id, asset_id, position_s, finished FROM playback_progress_events"
        " ORDER BY user_id, asset_id",
    )


@pytest.fixture
def book(ml_home: Path) -> ProgressBook:
    wh = Warehouse(lake.catalog(ml_home))
    with wh.write() as con:
        for asset in (A, B):
            hls.publish_asset(
                con,
                {
                    "asset_id": asset,
                    "server_id": "s",
                    "file_native_id": f"f{asset[0]}",
                    "title": f"Title {asset[0]}",
                    "decision": "remux",
                    "mode": "copy",
                },
                [],
            )
    return ProgressBook(wh, flush_s=3600)


def test_reports_are_batched_and_the_newest_wins(book: ProgressBook, ml_home: Path):
    book.record("u1", A, 10, 100)
    book.record("u1", A, 20, 100)
    book.record("u1", B, 99, 100)  # past 95%: finished
    book.record("u2", A, 5, 100)
    assert _events(ml_home) == []  # nothing written yet
    assert book.latest("u1", A)["position_s"] == 20  # unwritten, still seen
    assert book.flush() == 3
    assert book.flush() == 0
    assert _events(ml_home) == [
        ("u1", A, 20.0, False),
        ("u1", B, 99.0, True),
        ("u2", A, 5.0, False),
    ]
    assert book.latest("u1", A)["position_s"] == 20  # now from the view
    assert book.latest("u3", A) is None
    started = book.continue_watching("u1")
    assert [(s["asset_id"], s["title"]) for s in started] == [(A, "Title a")]


def test_reports_are_kept_when_the_warehouse_is_busy(
    book: ProgressBook, ml_home: Path, monkeypatch: pytest.MonkeyPatch
):
    book.record("u1", A, 30, 100)

    def busy() -> None:
        raise WarehouseBusy("the warehouse is busy: test")

    monkeypatch.setattr(book.warehouse, "write", busy)
    assert book.flush() == 0
    assert book.latest("u1", A)["position_s"] == 30
    monkeypatch.undo()
    assert book.flush() == 1
    assert _events(ml_home) == [("u1", A, 30.0, False)]


def test_a_lone_report_is_written_by_the_timer(ml_home: Path):
    book = ProgressBook(Warehouse(lake.catalog(ml_home)), flush_s=0.3)
    book.record("u1", A, 12, 100)
    deadline = time.monotonic() + 10
    while not _events(ml_home):  # no other report or read comes
        assert time.monotonic() < deadline, "the report was never written"
        time.sleep(0.2)
    assert _events(ml_home) == [("u1", A, 12.0, False)]
