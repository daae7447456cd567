"""Every flow run that fails has its ``flow_runs`` row (status, reason): a run the
warehouse refuses (another process holds its write lock) once the next process
reaches the warehouse, a task's exception at once, and a run whose process was killed
when the next run on the machine starts."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from flows.books import books
from flows.enrich import enrich
from flows.transcode import transcode
from tasks.context import reset, warehouse
from tests.lake import HOLD_WRITE_LOCK, holding
from warehouse import flow_runs
from warehouse.db import WarehouseBusy
from warehouse.queries import overview
from warehouse.spool import spool_path

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.usefixtures("prefect_harness")


def runs() -> list[tuple[str, str, str | None]]:
    with warehouse().read() as con:
        return con.execute(
            "SELECT flow, status, error FROM flow_runs ORDER BY started_at"
        ).fetchall()


def test_refused_enrich_and_transcode_runs_get_their_rows_once_the_lock_clears(
    ml_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDIALAKE_WAREHOUSE_LOCK_TIMEOUT_S", "1")
    reset()
    with holding(HOLD_WRITE_LOCK, str(warehouse().path)) as holder:
        with pytest.raises(WarehouseBusy, match=f"PID {holder.pid}"):
            enrich(identify=False, writeback=False)
        with pytest.raises(WarehouseBusy, match=f"PID {holder.pid}"):
            transcode()
        assert runs() == []  # the warehouse took no write: the rows wait in the spool
        assert spool_path(warehouse().location).exists()
    reset()  # the next process to open the warehouse records the refused runs
    recorded = runs()
    assert [(flow, status) for flow, status, _ in recorded] == [
        ("enrich", "failed"),
        ("transcode", "failed"),
    ]
    for _, _, error in recorded:
        assert error is not None
        assert error.startswith("the warehouse refused the run: ")
        assert f"PID {holder.pid}" in error
    assert not spool_path(warehouse().location).exists()
    reset()  # a second replay records nothing twice
    assert len(runs()) == 2


def test_a_failing_task_and_a_killed_run_end_failed_with_a_reason(
    ml_home: Path,
) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process that recorded a run, then was killed
    with warehouse().write() as con:
        for run_id, flow, pid in (
            ("killed", "transcode", gone.pid),
            ("alive", "enrich", os.getpid()),  # a run of this very process, going on
        ):
            flow_runs.start(
                con,
                run_id,
                flow,
                None,
                flow_run_id=None,
                host=socket.gethostname(),
                pid=pid,
                started_at=datetime.now(UTC),
            )
    with pytest.raises(ValueError, match="needs a title"):
        books(manual=[{"authors": ["Anonymous"]}], scan=False)
    with warehouse().read() as con:
        rows = dict(
            (r[0], r[1:])
            for r in con.execute(
                "SELECT coalesce(params, run_id), flow, status, error FROM flow_runs"
            ).fetchall()
        )
    assert rows["killed"] == (
        "transcode",
        "failed",
        f"interrupted: the process (PID {gone.pid} on {socket.gethostname()})"
        " ended before the run finished",
    )
    assert rows["alive"] == ("enrich", "running", None)
    [(params, row)] = [(k, v) for k, v in rows.items() if v[0] == "books"]
    assert row == ("books", "failed", "ValueError: a manual book record needs a title")
    assert '"Anonymous"' in params
    with warehouse().read() as con:  # the Overview's "Runs that need a look"
        flagged = overview.flagged_runs(con).to_dicts()
    assert {(r["flow"], r["problem"], r["reason"]) for r in flagged} == {
        ("books", "failed", "ValueError: a manual book record needs a title"),
        ("transcode", "failed", rows["killed"][2]),
    }


def test_a_run_whose_end_is_refused_is_closed_once_the_lock_clears(
    ml_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tasks.flow_runs import recorded_run

    monkeypatch.setenv("MEDIALAKE_WAREHOUSE_LOCK_TIMEOUT_S", "1")
    reset()
    with contextlib.ExitStack() as held:

        @recorded_run
        def nightly() -> None:  # started and recorded; then a user's script locks
            held.enter_context(holding(HOLD_WRITE_LOCK, str(warehouse().path)))
            raise RuntimeError("the disk is full")

        with pytest.raises(RuntimeError, match="disk is full"):
            nightly()
        assert runs() == [("nightly", "running", None)]  # its end waits in the spool
    reset()
    assert runs() == [("nightly", "failed", "RuntimeError: the disk is full")]


def test_the_job_runner_closes_what_its_stopped_flow_left(ml_home: Path) -> None:
    """What ``jobs.runner`` does when the flow's process ends: after a Cancel its runs
    are ``cancelled`` (a run the flow closed ``failed`` on its way out keeps its own
    reason after the cancel's); after a crash, the runs left ``running`` fail. Runs of
    other processes, and finished ones, are left as they are."""
    host, since = socket.gethostname(), datetime.now(UTC)
    with warehouse().write() as con:
        for run_id, pid in (("left", 7), ("closed", 7), ("done", 7), ("other", 8)):
            flow_runs.start(
                con, run_id, "enrich", None,
                flow_run_id=None, host=host, pid=pid, started_at=since,
            )  # fmt: skip
        for run_id, status, error in (
            ("closed", "failed", "stopped: TerminationSignal"),
            ("done", "succeeded", None),
        ):
            row = flow_runs.final_row(
                run_id, "enrich", None, status, error,
                flow_run_id=None, host=host, pid=7, started_at=since,
            )  # fmt: skip
            flow_runs.finish(con, row)
        flow_runs.close_process(
            con, host, 7, since, "cancelled from the dashboard", cancelled=True
        )
        flow_runs.close_process(con, host, 8, since, "interrupted: exit code -9")
    with warehouse().read() as con:
        rows = con.execute(
            "SELECT run_id, status, error, finished_at IS NOT NULL FROM flow_runs"
            " ORDER BY run_id"
        ).fetchall()
    assert rows == [
        (
            "closed",
            "cancelled",
            "cancelled from the dashboard; the flow stopped with:"
            " stopped: TerminationSignal",
            True,
        ),
        ("done", "succeeded", None, True),
        ("left", "cancelled", "cancelled from the dashboard", True),
        ("other", "failed", "interrupted: exit code -9", True),
    ]
