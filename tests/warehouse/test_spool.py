"""The spool of refused runs: replayed into ``sync_runs`` once, a run that already has
a row gets its failure, a line cut short is skipped, and nothing is lost while the
warehouse still refuses."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests import lake
from tests.lake import HOLD_WRITE_LOCK, holding
from warehouse import flow_runs, runs
from warehouse.db import Warehouse, WarehouseBusy
from warehouse.spool import replay, spool_failed_run, spool_path, spool_row


@pytest.fixture
def wh(empty_lake: Path, tmp_path: Path) -> Warehouse:
    lake.copy_lake(empty_lake, tmp_path)
    return Warehouse(lake.catalog(tmp_path), extension_dir=tmp_path / "extensions")


def rows(wh: Warehouse) -> list[tuple]:
    with wh.read() as con:
        return con.execute(
            "SELECT run_id, server_id, status, error FROM sync_runs ORDER BY run_id"
        ).fetchall()


def test_spooled_runs_are_recorded_once(wh: Warehouse) -> None:
    with wh.write() as con:  # a run that started, then was refused its last write
        runs.start_run(con, "r1", "lib", "full")
    spool_failed_run(wh.location, "lib", "full", "busy", run_id="r1")
    spool_failed_run(wh.location, "other", "incremental", "busy too", run_id="r2")
    with spool_path(wh.location).open("a") as spool:
        spool.write('{"run_id": "r3", "serv')  # a write cut short by a crash
    assert replay(wh) == 2
    assert rows(wh) == [
        ("r1", "lib", "failed", "busy"),
        ("r2", "other", "failed", "busy too"),
    ]
    assert not spool_path(wh.location).exists()
    assert replay(wh) == 0
    assert len(rows(wh)) == 2


def test_the_spool_stays_while_the_warehouse_refuses(wh: Warehouse) -> None:
    spool_failed_run(wh.location, "lib", "full", "busy", run_id="r1")
    impatient = Warehouse(wh.path, lock_timeout_s=0.2)
    with holding(HOLD_WRITE_LOCK, str(wh.path)):
        with pytest.raises(WarehouseBusy):
            replay(impatient)
    assert rows(wh) == []
    assert replay(wh) == 1  # the next try takes what the refused one had renamed
    assert rows(wh) == [("r1", "lib", "failed", "busy")]


def test_a_spooled_flow_run_closes_its_running_row_once(wh: Warehouse) -> None:
    started = datetime.now(UTC)
    where = {"flow_run_id": None, "host": "h", "pid": 1, "started_at": started}
    with wh.write() as con:  # the run started, then the warehouse refused its end
        flow_runs.start(con, "f1", "enrich", None, **where)
    row = flow_runs.final_row("f1", "enrich", None, "failed", "refused", **where)
    spool_row(wh.location, "flow_runs", row)
    spool_row(wh.location, "flow_runs", row)  # the same row appended twice
    spool_failed_run(wh.location, "lib", "full", "busy", run_id="s1")
    assert replay(wh) == 3
    spool_row(wh.location, "flow_runs", row)
    assert replay(wh) == 1  # replayed again: still one row, unchanged

    def flows() -> list[tuple]:
        with wh.read() as con:
            return con.execute(
                "SELECT run_id, flow, status, error, duration_s >= 0 FROM flow_runs"
            ).fetchall()

    assert flows() == [("f1", "enrich", "failed", "refused", True)]
    assert rows(wh) == [("s1", "lib", "failed", "busy")]
