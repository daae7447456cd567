"""Test helpers for the DuckLake warehouse of a data folder."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CATALOG = "medialake.sqlite"


@contextmanager
def holding(
    script: str, *args: str, env: dict[str, str] | None = None, kill: bool = False
) -> Iterator[subprocess.Popen[str]]:
    """Another process (``python -c script args``) that holds something of the
    warehouse's (a lock, a transaction) from when it prints ``holding`` until the block
    ends; then it is sent a line to let go and end, or with ``kill`` killed."""
    process = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "holding"
        yield process
    finally:
        if kill:
            process.kill()
            process.wait()
        else:
            process.communicate("\n", timeout=30)


def catalog(home: Path) -> Path:
    """The SQLite catalog of the data folder ``home`` (its default place)."""
    return home / CATALOG


def rows(
    home: Path, sql: str, params: list[Any] | None = None
) -> list[tuple[Any, ...]]:
    """Every row of ``sql`` on the data folder's warehouse, read-only."""
    from warehouse.db import Warehouse

    with Warehouse(catalog(home)).read() as con:
        return con.execute(sql, params or []).fetchall()


def one(home: Path, sql: str) -> Any:
    """The first value of the first row of ``sql``."""
    return rows(home, sql)[0][0]


def copy_lake(src_home: Path, dest_home: Path) -> None:
    """Copy the warehouse (catalog and data files) of one data folder into another."""
    dest_home.mkdir(parents=True, exist_ok=True)
    shutil.copy2(catalog(src_home), catalog(dest_home))
    files = catalog(src_home).with_suffix(".files")
    if files.exists():
        shutil.copytree(files, catalog(dest_home).with_suffix(".files"))
    if (src_home / "extensions").exists():
        shutil.copytree(src_home / "extensions", dest_home / "extensions")


# A user's notebook: attaches the warehouse read-only (what `medialake sql --attach`
# prints), holds one transaction open, prints the row count of the table argv[2], and on
# each line read from stdin ends its transaction and prints the count again.
NOTEBOOK = """
import sys, duckdb
from warehouse.db import Location, attach_script
con = duckdb.connect()
con.execute(attach_script(Location.of(sys.argv[1])))
con.begin()
print(con.execute(f"SELECT count(*) FROM {sys.argv[2]}").fetchone()[0], flush=True)
sys.stdin.readline()
con.commit()
print(con.execute(f"SELECT count(*) FROM {sys.argv[2]}").fetchone()[0], flush=True)
sys.stdin.readline()
"""


# Another process (a long write, a user's script) holding the warehouse's write lock
# until a line is read from stdin.
HOLD_WRITE_LOCK = """
import sys
from warehouse.db import Warehouse
with Warehouse(sys.argv[1]).write() as con:
    print("holding", flush=True)
    sys.stdin.readline()
"""
