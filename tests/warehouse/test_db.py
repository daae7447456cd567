"""The connection policy: one transaction per open, bounded lock retries, read-only
readers, and migrations recorded once."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from warehouse.db import Warehouse, WarehouseBusy, WarehouseMissing
from warehouse.migrate import migrate, migrations

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def hold_lock(path: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "holding"
    return proc


@pytest.fixture
def wh(tmp_path: Path) -> Warehouse:
    warehouse = Warehouse(tmp_path / "w.duckdb", lock_timeout_s=10)
    migrate(warehouse)
    return warehouse


def test_migrations_apply_once_and_are_recorded(wh: Warehouse) -> None:
    assert migrate(wh) == []
    with wh.read() as con:
        rows = con.execute(
            "SELECT version FROM schema_migrations ORDER BY 1"
        ).fetchall()
    assert [r[0] for r in rows] == [v for v, _, _ in migrations()]


def insert_then_fail(wh: Warehouse) -> None:
    with wh.write() as con:
        con.execute("INSERT INTO servers (server_id, kind) VALUES ('a', 'filesystem')")
        raise RuntimeError("boom")


def test_a_failed_transaction_leaves_nothing(wh: Warehouse) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        insert_then_fail(wh)
    with wh.read() as con:
        assert con.execute("SELECT count(*) FROM servers").fetchone() == (0,)


def test_writer_waits_for_another_process_then_succeeds(wh: Warehouse) -> None:
    holder = hold_lock(wh.path, 1.0)
    started = time.monotonic()
    with wh.write() as con:
        con.execute("INSERT INTO servers (server_id, kind) VALUES ('a', 'filesystem')")
    assert time.monotonic() - started >= 0.3
    holder.wait(10)
    with wh.read() as con:
        assert con.execute("SELECT count(*) FROM servers").fetchone() == (1,)


def test_a_lock_held_too_long_gives_a_clear_error(
    tmp_path: Path, wh: Warehouse
) -> None:
    impatient = Warehouse(wh.path, lock_timeout_s=0.5)
    holder = hold_lock(wh.path, 5.0)
    try:
        with pytest.raises(WarehouseBusy, match="busy"), impatient.read():
            pass
    finally:
        holder.kill()
        holder.wait()


def test_readers_are_read_only(wh: Warehouse) -> None:
    with pytest.raises(duckdb.Error), wh.read() as con:
        con.execute("INSERT INTO servers (server_id, kind) VALUES ('a', 'filesystem')")


def test_reading_a_missing_warehouse_says_what_to_do(tmp_path: Path) -> None:
    with (
        pytest.raises(WarehouseMissing, match="medialake sync"),
        Warehouse(tmp_path / "none.duckdb").read(),
    ):
        pass
