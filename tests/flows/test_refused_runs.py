"""A sync the warehouse refuses (another process holds its write lock past the lock
timeout) still gets its ``sync_runs`` row: spooled beside the warehouse, recorded by
the next process that reaches it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from flows.library_sync import SyncFailed, library_sync
from tasks.context import reset, warehouse
from tests.lake import HOLD_WRITE_LOCK, holding
from warehouse.spool import spool_path

if TYPE_CHECKING:
    from pathlib import Path


pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def library(local_library: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MEDIALAKE_WAREHOUSE_LOCK_TIMEOUT_S", "1")
    reset()
    return local_library


def runs() -> list[tuple[str, str, str | None]]:
    with warehouse().read() as con:
        return con.execute(
            "SELECT status, mode, error FROM sync_runs ORDER BY started_at"
        ).fetchall()


def test_a_sync_refused_the_write_lock_gets_its_row_once_the_lock_clears(
    library: Path,
) -> None:
    with holding(HOLD_WRITE_LOCK, str(warehouse().path)) as holder:
        with pytest.raises(SyncFailed, match=rf"busy.*PID {holder.pid}"):
            library_sync(mode="full")
        assert runs() == []  # the warehouse took no write: the row waits in the spool
        assert spool_path(warehouse().location).exists()
    reset()  # the next process to open the warehouse records the refused run
    [(status, mode, error)] = runs()
    assert (status, mode) == ("failed", "full")
    assert error is not None
    assert "the warehouse refused the run" in error
    assert f"PID {holder.pid}" in error
    assert not spool_path(warehouse().location).exists()
    [summary] = library_sync(mode="full")
    assert summary["status"] == "succeeded"
    assert [r[0] for r in runs()] == ["failed", "succeeded"]
