"""``medialake up`` end to end: the stack starts, the deployments of prefect.yaml exist,
a flow triggered from the dashboard's controls runs on the worker and its result is in
the warehouse while a user's notebook holds the warehouse open and another runs a slow
query, and Ctrl-C leaves no process behind."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.dashboards.sample_home import MIRROR_ALBUM, write_settings
from tests.dashboards.test_browser import free_port
from tests.lake import NOTEBOOK, catalog
from warehouse.db import Warehouse
from warehouse.migrate import migrate

pytest_plugins = ["tests.dashboards.filled"]

# Another notebook, running slow queries over the warehouse one after the other.
SLOW_QUERIES = """
import sys, duckdb
from warehouse.db import Location, attach_script
con = duckdb.connect()
con.execute(attach_script(Location.of(sys.argv[1])))
print("querying", flush=True)
while True:
    con.execute("SELECT count(*) FROM tracks, range(3000000) r"
                " WHERE hash(r.range + tracks.track_no) % 7 = 1").fetchall()
"""

START_S = 240
FLOW_S = 150


class Output:
    """Collects a process's output lines from a thread."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self.thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line.rstrip())

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def wait_for(
        self, needle: str, process: subprocess.Popen[str], timeout_s: float
    ) -> None:
        deadline = time.monotonic() + timeout_s
        while needle not in self.text:
            assert process.poll() is None, f"medialake up ended:\n{self.text}"
            assert time.monotonic() < deadline, f"no {needle!r} in:\n{self.text}"
            time.sleep(0.2)


def _deployments(api: str) -> tuple[set[str], str]:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with (
        temporary_settings(updates={PREFECT_API_URL: api}),
        get_client(sync_client=True) as client,
    ):
        names = {d.name for d in client.read_deployments()}
        pool = client.read_work_pool("medialake")
    return names, pool.type


def _run_through_dashboard_controls(home: Path, api: str) -> dict:
    from jobs import control as controls
    from warehouse.queries import jobs

    started = controls.start(controls.find_spec("library-sync-incremental"))
    assert started.backend == "prefect"
    assert started.url is not None
    assert started.url.startswith(api.removesuffix("/api"))
    deadline = time.monotonic() + FLOW_S
    while True:
        controls.refresh()
        with controls.warehouse().read() as con:
            job = jobs.get_job(con, started.job_id)
        assert job is not None
        if job["status"] != "running" or time.monotonic() > deadline:
            return job
        time.sleep(1)


def _sync_runs(home: Path, flow_run_id: str) -> list[tuple]:
    """The sync runs of one flow run (a scheduled run of prefect.yaml may also fire
    while the test runs, e.g. the */30 incremental crossing the half hour)."""
    from warehouse.db import Warehouse

    with Warehouse(home / "medialake.sqlite").read() as con:
        return con.execute(
            "SELECT server_id, mode, status, seen FROM sync_runs WHERE flow_run_id = ?",
            [flow_run_id],
        ).fetchall()


def test_up_runs_the_stack_and_ctrl_c_stops_everything(
    tmp_path: Path, sample_library, monkeypatch: pytest.MonkeyPatch, use_home
) -> None:
    home, library = tmp_path / "home", tmp_path / "library"
    shutil.copytree(sample_library.root / MIRROR_ALBUM, library / MIRROR_ALBUM)
    write_settings(home, {"local": library})
    migrate(Warehouse(catalog(home)))
    notebook = subprocess.Popen(
        [sys.executable, "-c", NOTEBOOK, str(catalog(home)), "sync_runs"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    slow = subprocess.Popen(
        [sys.executable, "-c", SLOW_QUERIES, str(catalog(home))],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert notebook.stdout is not None
    assert notebook.stdin is not None
    assert slow.stdout is not None
    assert notebook.stdout.readline().strip() == "0"
    assert slow.stdout.readline().strip() == "querying"
    prefect, dash, play = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(MEDIALAKE_HOME=str(home), PREFECT_WORKER_QUERY_SECONDS="1")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli",
            "up",
            "--prefect-port",
            str(prefect),
            "--dashboard-port",
            str(dash),
            "--playback-port",
            str(play),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    out = Output(process)
    try:
        out.wait_for("medialake is up", process, START_S)
        api = f"http://127.0.0.1:{prefect}/api"
        assert httpx.get(f"{api}/health", timeout=5).status_code == 200
        # the Prefect UI and API ask for the generated credentials
        auth = (home / "prefect-auth").read_text().strip()
        assert oct((home / "prefect-auth").stat().st_mode & 0o777) == "0o600"
        locked = httpx.post(f"{api}/deployments/filter", json={}, timeout=5)
        assert locked.status_code == 401
        wrong = httpx.post(
            f"{api}/deployments/filter", json={}, auth=("medialake", "x"), timeout=5
        )
        assert wrong.status_code == 401
        user, _, password = auth.partition(":")
        opened = httpx.post(
            f"{api}/deployments/filter", json={}, auth=(user, password), timeout=5
        )
        assert opened.status_code == 200
        limits = httpx.post(
            f"{api}/v2/concurrency_limits/filter", json={}, auth=(user, password)
        )  # made from the settings by `up` (tasks.limits)
        assert {"medialake-ffmpeg", "medialake-rip", "medialake-download-http"} <= {
            limit["name"] for limit in limits.json()
        }
        monkeypatch.setenv("PREFECT_API_AUTH_STRING", auth)  # what the stack gets
        assert httpx.get(f"http://127.0.0.1:{dash}/_stcore/health").status_code == 200
        assert f"http://127.0.0.1:{dash}" in out.text
        names, pool_type = _deployments(api)
        assert {"library-sync-incremental", "library-sync-full"} <= names
        assert pool_type == "process"
        assert (
            home / "prefect"
        ).is_dir()  # Prefect's home and database in the data folder

        monkeypatch.setenv("MEDIALAKE_PREFECT_API_URL", api)
        use_home(home)
        job = _run_through_dashboard_controls(home, api)
        assert job["status"] == "succeeded", job
        tracks = len(list((library / MIRROR_ALBUM).iterdir()))
        assert job["flow_run_id"]
        assert _sync_runs(home, job["flow_run_id"]) == [
            ("local", "incremental", "succeeded", tracks)
        ]
        notebook.stdin.write("\n")  # the notebook's next transaction sees the run
        notebook.stdin.flush()
        assert int(notebook.stdout.readline()) >= 1
        assert slow.poll() is None  # and the slow queries went on all along
        tree = [
            psutil.Process(process.pid),
            *psutil.Process(process.pid).children(True),
        ]
        assert len(tree) >= 4  # up, Prefect server, worker, dashboard (and playback)
    finally:
        for user in (notebook, slow):
            user.kill()
            user.wait()
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        process.wait(timeout=90)
    out.thread.join(timeout=5)
    assert "stopped." in out.text
    secret = (home / "prefect-auth").read_text().strip().partition(":")[2]
    logs = [out.text, *(p.read_text(errors="replace") for p in home.rglob("*.log"))]
    assert not any(secret in text for text in logs)  # kept out of every log
    _, alive = psutil.wait_procs(tree, timeout=15)
    assert alive == [], [p.pid for p in alive]
