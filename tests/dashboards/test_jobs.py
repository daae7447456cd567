"""The Jobs page's buttons on the embedded default: each starts a real background
process whose flow writes the warehouse; Cancel stops it and leaves nothing behind."""

from __future__ import annotations

import time
from pathlib import Path

import psutil
import pytest

from tests.dashboards.sample_home import copy_home
from tests.dashboards.test_pages import page, widget
from warehouse.db import Warehouse
from warehouse.queries import jobs

pytest_plugins = ["tests.dashboards.filled"]

WAIT_S = 120


@pytest.fixture
def home(
    filled_home, tmp_path: Path, use_home, sign_in, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A private data folder; background flows report to the session's Prefect API
    (instead of starting an ephemeral one each, which costs seconds)."""
    from prefect.settings import get_current_settings

    monkeypatch.setenv("PREFECT_API_URL", str(get_current_settings().api.url))
    found = use_home(copy_home(filled_home, tmp_path).home)
    sign_in("admin")
    return found


def _job(home: Path, job_id: str | None = None) -> dict:
    with Warehouse(home / "medialake.sqlite").read() as con:
        if job_id is None:
            rows = con.execute(
                "SELECT job_id FROM jobs WHERE requested_by = 'dashboard'"
                " ORDER BY requested_at DESC LIMIT 1"
            ).fetchall()
            job_id = rows[0][0]
        job = jobs.get_job(con, job_id)
    assert job is not None
    return job


def _runs(home: Path, server: str) -> list[tuple]:
    with Warehouse(home / "medialake.sqlite").read() as con:
        return con.execute(
            "SELECT status, mode, items_done, items_total FROM sync_runs"
            " WHERE server_id = ? ORDER BY started_at",
            [server],
        ).fetchall()


def _flow_runs(home: Path, where: str) -> list[tuple]:
    """(run id, status, error) of the flow runs that match ``where``."""
    with Warehouse(home / "medialake.sqlite").read() as con:
        return con.execute(
            f"SELECT run_id, status, error FROM flow_runs WHERE {where}"
        ).fetchall()


def _wait_finished(home: Path, job_id: str) -> dict:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        job = _job(home, job_id)
        if job["status"] != "running":
            return job
        time.sleep(0.5)
    raise AssertionError(f"job still running after {WAIT_S} s: {job}")


def test_run_now_starts_a_sync_that_adds_a_run(home: Path) -> None:
    before = _runs(home, "mirror")
    at = page("jobs")
    widget(at.selectbox, "Deployment (prefect.yaml)").select("library-sync-incremental")
    widget(at.selectbox, "Server").select("mirror")
    widget(at.button, "Run now").click().run()
    assert not at.exception
    assert "background process" in at.success[0].value
    job = _wait_finished(home, _job(home)["job_id"])
    assert job["status"] == "succeeded", job
    assert job["params"] == {"mode": "incremental", "server": "mirror"}
    assert Path(job["log_path"]).is_file()
    after = _runs(home, "mirror")
    assert len(after) == len(before) + 1
    assert after[-1][:2] == ("succeeded", "incremental")
    assert after[-1][2] == after[-1][3] == 13  # progress rows: every item done
    at = page("jobs")
    assert "succeeded" in list(at.dataframe[1].value["status"])


def test_retry_runs_a_failed_or_suspect_run_again(home: Path) -> None:
    at = page("jobs")
    widget(at.button, "Retry run").click().run()  # the gone server's suspect run
    assert not at.exception
    job = _wait_finished(home, _job(home)["job_id"])
    assert job["params"] == {"mode": "full", "server": "gone"}
    assert job["status"] == "succeeded"  # a suspect run is not a failed flow
    assert [r[0] for r in _runs(home, "gone")] == ["suspect", "suspect"]


def test_cancel_stops_the_background_process_and_marks_the_job(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDIALAKE_SYNC_BATCH_SIZE", "1")  # many small batches: slow
    at = page("jobs")
    widget(at.selectbox, "Deployment (prefect.yaml)").select("library-sync-full")
    widget(at.selectbox, "Server").select("local")
    widget(at.button, "Run now").click().run()
    job = _job(home)
    runner = psutil.Process(job["pid"])
    deadline = time.monotonic() + WAIT_S
    while not (running := _flow_runs(home, "status = 'running'")):  # it has begun
        assert time.monotonic() < deadline, "the flow never started"
        time.sleep(0.2)
    tree = [runner, *runner.children(recursive=True)]
    at = page("jobs")
    widget(at.button, "Cancel").click().run()
    assert not at.exception
    job = _job(home, job["job_id"])
    assert job["status"] == "cancelled"
    assert job["error"] == "cancelled from the dashboard"
    _, alive = psutil.wait_procs(tree, timeout=15)
    assert alive == []
    assert all(status != "running" for status, *_ in _runs(home, "local"))
    # The flow's row is never left running: cancelled (by the runner, or by the flow
    # on its way out), unless the flow finished in the moment before the Cancel.
    [(_, status, error)] = _flow_runs(home, f"run_id = '{running[0][0]}'")
    assert status in {"cancelled", "succeeded"}
    if status == "cancelled":
        assert error.startswith("cancelled from the dashboard")
