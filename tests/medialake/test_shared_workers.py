"""Shared mode end to end: two worker "machines" against one PostgreSQL and one Prefect
server. Each machine has its own data folder (settings, DuckDB extensions), HOME and
Prefect home; they share only what docs/stack.md says they share: the warehouse's
catalog (PostgreSQL, which also holds Prefect's own state, as ``medialake up --shared``
sets it up), the lake's data folder, the library and the HLS folder.

A full sync lands the videos; then transcode runs that race over the same videos and a
second sync are triggered at once. Each worker takes one flow run at a time (``--limit
1``), so runs that can go at once have to spread over both machines. Every run
completes, both workers ran some, the deployment's concurrency limit kept the transcode
runs one at a time across machines, and every result is in the warehouse exactly once.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from cli.commands.stack import POOL, _environment
from medialake.runtime import PREFECT_AUTH_FILE, prefect_auth
from medialake.settings import Settings, load_settings
from tests.dashboards.sample_home import MIRROR_ALBUM
from tests.dashboards.test_browser import free_port
from tests.medialake.test_up import Output
from tests.pg import PostgresServer

pytestmark = pytest.mark.slow

WORKERS = ("w1", "w2")
START_S = 240
RUNS_S = 420
SYNC = "library-sync/library-sync-full"
TRANSCODE = "transcode/transcode"
# Overlapping selections, in no particular order of execution: every video is asked
# for three times (two runs ask for every video, the others for one folder each).
TRANSCODE_ITEMS = (None, "Video/Movies", "Sample Show", "Night Signals", None)


def _write_settings(
    home: Path, catalog: str, lake: Path, library: Path, hls: Path
) -> Settings:
    """One machine's ``medialake.toml``: the same shared warehouse and folders."""
    home.mkdir(parents=True)
    (home / "medialake.toml").write_text(
        f"""
[warehouse]
catalog = "{catalog}"
data_path = "{lake}"

[servers.local]
kind = "filesystem"
roots = ["{library}"]

[transcode]
assets_path = "{hls}"
""",
        encoding="utf-8",
    )
    return load_settings(home, environ={})


def _machine_env(machine: Path, settings: Settings, api: str) -> dict[str, str]:
    """The environment ``medialake up`` gives its processes, on one machine."""
    (machine / "user").mkdir(parents=True, exist_ok=True)
    env = _environment(settings, api, api.removesuffix("/api"))
    env.pop("PREFECT_API_DATABASE_CONNECTION_URL")  # only the server talks to it
    env.update(
        HOME=str(machine / "user"),
        PREFECT_WORKER_QUERY_SECONDS="1",
        PREFECT_LOGGING_LEVEL="INFO",
    )
    return env


def _start(command: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "prefect", *command],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=env["MEDIALAKE_PROJECT_DIR"],
        start_new_session=True,
    )


def _wait_healthy(api: str, server: subprocess.Popen[str], out: Output) -> None:
    deadline = time.monotonic() + START_S
    while True:
        assert server.poll() is None, f"the Prefect server ended:\n{out.text}"
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"no Prefect server:\n{out.text}"
        time.sleep(0.5)


def _create_pool(api: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.workers.process import ProcessWorker

    template = ProcessWorker.get_default_base_job_template()
    with (
        temporary_settings(updates={PREFECT_API_URL: api}),
        get_client(sync_client=True) as client,
    ):
        client.create_work_pool(
            WorkPoolCreate(name=POOL, type="process", base_job_template=template)
        )


def _trigger(api: str, runs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """Create flow runs of deployments (without waiting for them); their ids."""
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api}):
        return [
            str(run_deployment(name, parameters=params, timeout=0).id)  # type: ignore[union-attr]
            for name, params in runs
        ]


def _wait_final(api: str, ids: list[str], workers: dict[str, Output]) -> list[Any]:
    """Poll until every flow run is in a final state; the flow runs."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    deadline = time.monotonic() + RUNS_S
    with (
        temporary_settings(updates={PREFECT_API_URL: api}),
        get_client(sync_client=True) as client,
    ):
        while True:
            runs = [client.read_flow_run(UUID(i)) for i in ids]
            if all(r.state and r.state.is_final() for r in runs):
                return runs
            if time.monotonic() > deadline:
                states = {r.name: r.state_name for r in runs}
                logs = "\n\n".join(
                    f"{n}:\n{o.text[-4000:]}" for n, o in workers.items()
                )
                pytest.fail(f"flow runs still running: {states}\n{logs}")
            time.sleep(1)


def _executed_by(api: str, ids: list[str]) -> dict[str, str]:
    """Which worker ran each flow run: the workers' ``executed-flow-run`` events
    (emitted once the flow run's process ended, never for a submission the server
    turned down)."""
    deadline = time.monotonic() + 60
    while True:
        body = {
            "filter": {"event": {"name": ["prefect.worker.executed-flow-run"]}},
            "limit": 50,  # the most the API returns at once
        }
        user, _, password = os.environ["PREFECT_API_AUTH_STRING"].partition(":")
        answer = httpx.post(
            f"{api}/events/filter", json=body, auth=(user, password), timeout=10
        )
        events = answer.raise_for_status().json()
        found: dict[str, str] = {}
        for event in events["events"]:
            worker = event["resource"]["prefect.resource.name"]
            for related in event["related"]:
                if related["prefect.resource.role"] == "flow-run":
                    run = related["prefect.resource.id"].removeprefix(
                        "prefect.flow-run."
                    )
                    assert run not in found, f"flow run {run} ran twice"
                    found[run] = worker
        if set(ids) <= set(found) or time.monotonic() > deadline:
            return found
        time.sleep(1)  # events are stored in batches


def _stop(process: subprocess.Popen[str]) -> None:
    """Stop a process's tree (one that has ended and been reaped: nothing to do, its
    pid may belong to another process by now)."""
    from jobs.base import stop_tree

    if process.poll() is None:
        stop_tree(process.pid, 10)
    process.wait(timeout=30)


def test_two_workers_share_one_warehouse_and_one_prefect_server(
    tmp_path: Path,
    sample_library,
    postgres_server: PostgresServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from warehouse.db import Warehouse, close_all

    shared = tmp_path / "shared"
    lake, library, hls = shared / "lake", shared / "library", shared / "hls"
    shutil.copytree(  # without the 60 s 1080p movie: minutes of transcoding
        sample_library.root / "Video",
        library / "Video",
        ignore=shutil.ignore_patterns("One Long Minute*"),
    )
    shutil.copytree(sample_library.root / MIRROR_ALBUM, library / MIRROR_ALBUM)
    catalog = postgres_server()
    machines = {name: tmp_path / name for name in ("main", *WORKERS)}
    settings = {
        name: _write_settings(machine / "data", catalog, lake, library, hls)
        for name, machine in machines.items()
    }
    api = f"http://127.0.0.1:{free_port()}/api"
    auth = prefect_auth(settings["main"], create=True)  # the API's password, which
    assert auth is not None  # docs/stack.md has the user copy to every worker machine
    for name in WORKERS:
        (settings[name].home / PREFECT_AUTH_FILE).write_text(auth + "\n")
    monkeypatch.setenv("PREFECT_API_AUTH_STRING", auth)  # this test's own client
    envs = {name: _machine_env(m, settings[name], api) for name, m in machines.items()}
    started = time.monotonic()
    phases: dict[str, float] = {}

    # The main machine: the Prefect server, its state on the warehouse's PostgreSQL.
    server_env = {
        **envs["main"],
        "PREFECT_API_DATABASE_CONNECTION_URL": settings["main"].prefect_database_url,
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
        # No scheduled runs of prefect.yaml's crons in the middle of the test, and a
        # run turned down by a deployment's concurrency limit is retried after 1 s.
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
        "PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS": "1",
    }
    assert server_env["PREFECT_API_DATABASE_CONNECTION_URL"].startswith(
        "postgresql+asyncpg://"
    )
    port = api.rsplit(":", 1)[1].removesuffix("/api")
    processes: dict[str, subprocess.Popen[str]] = {}
    outputs: dict[str, Output] = {}

    def start(name: str, command: list[str], env: dict[str, str]) -> None:
        processes[name] = _start(command, env)
        outputs[name] = Output(processes[name])

    try:
        start(
            "server",
            f"server start --host 127.0.0.1 --port {port} --analytics-off".split(),
            server_env,
        )
        _wait_healthy(api, processes["server"], outputs["server"])
        phases["server"] = time.monotonic() - started
        _create_pool(api)
        start(
            "deploy",
            [
                "--no-prompt",
                "deploy",
                "--name",
                "library-sync-full",
                "--name",
                "transcode",
            ],
            envs["main"],
        )
        for name in WORKERS:
            worker = (
                f"worker start --pool {POOL} --type process --name {name} --limit 1"
            )
            start(name, worker.split(), envs[name])
        assert processes["deploy"].wait(timeout=START_S) == 0, outputs["deploy"].text
        for name in WORKERS:
            outputs[name].wait_for("started!", processes[name], START_S)
        phases["stack"] = time.monotonic() - started

        [first_sync] = _trigger(api, [(SYNC, {})])
        first = _wait_final(api, [first_sync], outputs)
        phases["first sync"] = time.monotonic() - started
        transcodes = _trigger(
            api, [(TRANSCODE, {"item": item}) for item in TRANSCODE_ITEMS]
        )
        [second_sync] = _trigger(api, [(SYNC, {})])
        rest = _wait_final(api, [*transcodes, second_sync], outputs)
        phases["transcodes and second sync"] = time.monotonic() - started
        flow_runs = {str(r.id): r for r in [*first, *rest]}
        executed = _executed_by(api, list(flow_runs))
    finally:
        for process in reversed(processes.values()):
            _stop(process)
    labels = {
        first_sync: "sync 1",
        second_sync: "sync 2",
        **{
            run: f"transcode {n} ({item or 'all'})"
            for n, (run, item) in enumerate(
                zip(transcodes, TRANSCODE_ITEMS, strict=True), 1
            )
        },
    }
    ran_on = {labels[run]: executed.get(run) for run in labels}
    print(f"seconds since the start: {phases}; ran on: {ran_on}")

    states = {
        labels[i]: (r.state_name, r.state.message if r.state else None)
        for i, r in flow_runs.items()
    }
    logs = "\n\n".join(f"{n}:\n{outputs[n].text[-6000:]}" for n in WORKERS)
    assert {s[0] for s in states.values()} == {"Completed"}, f"{states}\n{logs}"
    assert set(executed) == set(flow_runs), executed
    assert set(executed.values()) == set(WORKERS), executed
    # The deployment's concurrency limit (1) held across both machines.
    spans = sorted((flow_runs[i].start_time, flow_runs[i].end_time) for i in transcodes)
    for (_, end), (begin, _) in itertools.pairwise(spans):
        assert begin >= end, f"two transcode runs at once: {spans}"

    wh = Warehouse(catalog, data_path=lake, extension_dir=tmp_path / "extensions")
    try:
        with wh.read() as con:

            def rows(sql: str) -> list[tuple[Any, ...]]:
                return con.execute(sql).fetchall()

            def duplicates(table: str, *key: str) -> list[tuple[Any, ...]]:
                cols = ", ".join(key)
                return rows(
                    f"SELECT {cols}, count(*) FROM {table} GROUP BY {cols}"
                    " HAVING count(*) > 1"
                )

            syncs = rows("SELECT flow_run_id, mode, status FROM sync_runs")
            for table in ("tracks", "media_files", "movies", "episodes"):
                assert duplicates(table, "server_id", "native_id") == [], table
            assert duplicates("playback_decisions", "server_id", "file_native_id") == []
            assert duplicates("transcode_jobs", "job_id") == []
            assert duplicates("hls_assets", "asset_id") == []
            files = rows(
                "SELECT media_kind, count(*) FROM media_files"
                " WHERE removed_at IS NULL AND error IS NULL GROUP BY 1"
            )
            assets = rows(
                "SELECT a.file_native_id, a.asset_id, a.status, j.status, j.flow_run_id"
                " FROM hls_assets a JOIN transcode_jobs j USING (job_id)"
            )
            videos = {
                r[0]
                for r in rows(
                    "SELECT native_id FROM media_files WHERE media_kind = 'video'"
                )
            }
            [(jobs,)] = rows("SELECT count(*) FROM transcode_jobs")
    finally:
        close_all()

    assert sorted(syncs) == sorted(
        [(first_sync, "full", "succeeded"), (second_sync, "full", "succeeded")]
    )
    tracks = sum(p.is_file() for p in (library / MIRROR_ALBUM).iterdir())
    assert dict(files) == {"audio": tracks, "video": 9}
    # One asset per video, built once (by one job of one of the transcode runs), all
    # current, each folder in the shared HLS folder.
    assert len(assets) == jobs == len(videos) == 9
    assert {a[0] for a in assets} == videos
    assert {(a[2], a[3]) for a in assets} == {("current", "succeeded")}
    assert {a[4] for a in assets} <= set(transcodes)
    assert {p.name for p in hls.iterdir()} == {a[1] for a in assets}
    # Each machine kept its own data folder: its own DuckDB extensions.
    for name in WORKERS:
        assert list(
            (machines[name] / "data" / "extensions").rglob("*.duckdb_extension")
        )
