"""The connection policy on DuckLake: one write lock for every writer, readers that
never wait, a user's own session that stops nobody, timeouts (racing and killed writers:
test_shared.py, on both catalogs)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from tests.lake import NOTEBOOK, holding
from warehouse.db import (
    QueryTimeout,
    Warehouse,
    WarehouseBusy,
    WarehouseMissing,
    attach_script,
)
from warehouse.migrate import migrate, migrations

HOLD_WRITE = """
import sys, time
from warehouse.db import Warehouse
with Warehouse(sys.argv[1]).write() as con:
    con.execute("INSERT INTO servers (server_id, kind) VALUES ('held', 'filesystem')")
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def start(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def wh(tmp_path: Path) -> Warehouse:
    warehouse = Warehouse(tmp_path / "w.sqlite", lock_timeout_s=10)
    migrate(warehouse)
    return warehouse


def count(wh: Warehouse, sql: str = "SELECT count(*) FROM servers") -> int:
    with wh.read() as con:
        return int(con.execute(sql).fetchall()[0][0])


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
    assert count(wh) == 0


def test_a_writer_waits_for_another_writer_then_succeeds(wh: Warehouse) -> None:
    with holding(HOLD_WRITE, str(wh.path), "1.0"):
        started = time.monotonic()
        with wh.write() as con:
            con.execute(
                "INSERT INTO servers (server_id, kind) VALUES ('a', 'filesystem')"
            )
        assert time.monotonic() - started >= 0.3
    assert count(wh) == 2


def test_small_and_bulk_writers_of_one_process_take_turns(wh: Warehouse) -> None:
    """A small transaction (the one-thread instance) and an ordinary one in two
    threads of one process: the second waits for the first's commit, so each key is
    written once, and both instances see every row."""
    holding, order = threading.Event(), []

    def small() -> None:
        with wh.write(small=True) as con:
            con.execute(
                "INSERT INTO servers (server_id, kind) VALUES ('s', 'filesystem')"
            )
            holding.set()
            time.sleep(0.5)
            order.append("small committed")

    other = threading.Thread(target=small)
    other.start()
    assert holding.wait(30)
    with wh.write() as con:
        order.append("bulk began")
        con.execute(
            "MERGE INTO servers t USING (SELECT 's' AS server_id) s"
            " ON t.server_id = s.server_id"
            " WHEN NOT MATCHED THEN INSERT (server_id, kind) VALUES ('s', 'plex')"
        )
    other.join(30)

    assert order == ["small committed", "bulk began"]
    with wh.read(small=True) as con:
        assert con.execute("SELECT server_id, kind FROM servers").fetchall() == [
            ("s", "filesystem")
        ]
    assert count(wh) == 1


def test_a_lock_held_too_long_names_the_process_that_holds_it(wh: Warehouse) -> None:
    impatient = Warehouse(wh.path, lock_timeout_s=0.5)
    with holding(HOLD_WRITE, str(wh.path), "30", kill=True) as holder:
        with pytest.raises(WarehouseBusy, match=rf"PID {holder.pid}\b"):
            with impatient.write():
                pass
        started = time.monotonic()
        assert count(wh) == 0  # readers never wait for a writer
        assert time.monotonic() - started < 2
    with impatient.write() as con:  # a killed writer leaves the lock free
        con.execute("INSERT INTO servers (server_id, kind) VALUES ('a', 'filesystem')")
    assert count(wh) == 1  # and its uncommitted row is gone


def test_a_notebook_holding_the_lake_stops_nobody_and_sees_new_rows(
    wh: Warehouse,
) -> None:
    notebook = start(NOTEBOOK, str(wh.path), "servers")
    assert notebook.stdin is not None
    assert notebook.stdout is not None
    try:
        assert notebook.stdout.readline().strip() == "0"
        started = time.monotonic()
        with wh.write() as con:
            con.execute(
                "INSERT INTO servers (server_id, kind) VALUES ('a', 'filesystem')"
            )
        assert time.monotonic() - started < 2
        notebook.stdin.write("\n")
        notebook.stdin.flush()
        assert notebook.stdout.readline().strip() == "1"
    finally:
        notebook.kill()
        notebook.wait()


def test_the_attach_script_is_read_only(wh: Warehouse) -> None:
    con = duckdb.connect()
    con.execute(attach_script(wh.location))
    assert con.execute("SELECT count(*) FROM schema_migrations").fetchone() == (
        len(migrations()),
    )
    with pytest.raises(duckdb.Error, match=r"read-only|read only"):
        con.execute("INSERT INTO servers (server_id, kind) VALUES ('x', 'y')")
    con.close()


def test_readers_are_read_only(wh: Warehouse) -> None:
    with pytest.raises(duckdb.Error), wh.read() as con:
        con.execute("INSERT INTO servers (server_id, kind) VALUES ('a', 'filesystem')")


def test_a_sandboxed_reader_reaches_no_other_file(wh: Warehouse) -> None:
    with wh.read(sandbox=True) as con:
        assert con.execute("SELECT count(*) FROM servers").fetchone() == (0,)
        with pytest.raises(duckdb.Error, match="disabled"):
            con.execute("SELECT * FROM read_text('/etc/passwd')")


def test_a_slow_query_is_stopped_by_its_timeout(wh: Warehouse) -> None:
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"longer than 0\.5 s"), wh.read(0.5) as con:
        con.execute(
            "SELECT count(*) FROM range(100000000000) a WHERE hash(a.range) = 7"
        ).fetchall()
    assert time.monotonic() - started < 5


def test_reading_a_missing_warehouse_says_what_to_do(tmp_path: Path) -> None:
    with (
        pytest.raises(WarehouseMissing, match="medialake sync"),
        Warehouse(tmp_path / "none.sqlite").read(),
    ):
        pass
