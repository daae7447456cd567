"""The one way to reach the warehouse: open, do one transaction, close.

DuckDB lets one process hold a database file read-write and then nobody else may open
it, not even read-only. The flows, the dashboard and the playback service are separate
processes, so every caller opens the file for one transaction and closes it again; a
lock conflict is retried with jittered backoff for a bounded time and then reported as
:class:`WarehouseBusy`. Readers open read-only. Within one process, connections are
serialized (DuckDB refuses a read-only and a read-write handle on one file in one
process).

Everything goes through :class:`Warehouse`, so moving to a multi-writer catalog later
(DuckLake) changes this module only.
"""

from __future__ import annotations

import random
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from collections.abc import Iterator

_process_lock = threading.RLock()


class WarehouseError(RuntimeError):
    """Base of the warehouse's errors."""


class WarehouseBusy(WarehouseError):
    """Another process held the warehouse for longer than the lock timeout."""


class WarehouseMissing(WarehouseError):
    """A reader asked for a warehouse that has not been created yet."""


def _is_lock_conflict(exc: duckdb.Error) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("could not set" in text or "conflicting" in text)


class Warehouse:
    """A DuckDB warehouse file and its connection policy."""

    def __init__(self, path: Path, lock_timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        self.lock_timeout_s = lock_timeout_s

    def __repr__(self) -> str:
        return f"Warehouse({self.path.name!r})"

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        if read_only and not self.path.exists():
            raise WarehouseMissing(
                f"no warehouse at {self.path.name} yet: run 'medialake sync' first"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_timeout_s
        delay = 0.01
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.IOException as exc:
                if not _is_lock_conflict(exc):
                    raise
                if time.monotonic() + delay > deadline:
                    raise WarehouseBusy(
                        f"the warehouse is busy: another process held it for more than "
                        f"{self.lock_timeout_s:g} s; try again when it is done"
                    ) from None
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 0.5)

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One read-write transaction: committed on success, rolled back on error."""
        with _process_lock:
            con = self._open(read_only=False)
            try:
                con.begin()
                yield con
                con.commit()
            except BaseException:
                _rollback(con)
                raise
            finally:
                con.close()

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short read-only connection."""
        with _process_lock:
            con = self._open(read_only=True)
            try:
                yield con
            finally:
                con.close()


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.rollback()
    except duckdb.Error:
        pass  # the transaction was already aborted by the error being raised
