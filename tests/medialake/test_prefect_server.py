"""The Prefect server commands reuse, as a user meets it: one background server per
data folder, reused by the next command, stopped by ``medialake server stop``; and a
command killed with ``kill -9`` leaves no Prefect server of its own behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from medialake.sample import SampleSummary
from tests.medialake.test_cli import run_cli


def servers_of(home: Path) -> list[psutil.Process]:
    """Prefect servers (any process with Prefect's server app) of this data folder."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if (
            "prefect_keeper" in cmdline
            or "prefect" not in cmdline
            or ("server start" not in cmdline and "uvicorn" not in cmdline)
        ):
            continue
        try:
            if proc.environ().get("MEDIALAKE_HOME") == str(home):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def wait_for(condition, timeout_s: float = 120.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def start_cli(home: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    environ.update({"MEDIALAKE_HOME": str(home), **env})
    return subprocess.Popen(
        [sys.executable, "-m", "cli", *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True, env=environ,
    )  # fmt: skip


@pytest.fixture
def library_home(tmp_path: Path, sample_library: SampleSummary) -> Iterator[Path]:
    """A data folder with the sample library; its Prefect servers killed after."""
    home = tmp_path / "home"
    shutil.copytree(sample_library.root, home / "library")
    yield home
    for proc in servers_of(home):
        proc.kill()


@pytest.fixture
def background() -> dict[str, str]:
    """``[prefect] server = "background"`` (the tests' default is ``ephemeral``)."""
    return {"MEDIALAKE_PREFECT_SERVER": "background"}


def test_a_killed_command_leaves_the_one_reused_server(
    library_home: Path, background: dict[str, str]
) -> None:
    state_file = library_home / "prefect" / "server.json"
    first = start_cli(library_home, "sync", **background)
    assert wait_for(state_file.exists), "no background server was recorded"
    first.send_signal(signal.SIGKILL)
    first.wait()
    keeper = json.loads(state_file.read_text())["pid"]
    (server,) = servers_of(library_home)
    assert server.ppid() == keeper

    result = run_cli(library_home, "sync", **background)
    assert result.returncode == 0, result.stderr
    assert "incremental succeeded" in result.stdout
    assert json.loads(state_file.read_text())["pid"] == keeper
    assert [p.pid for p in servers_of(library_home)] == [server.pid]

    status = run_cli(library_home, "server", "status", **background)
    assert status.returncode == 0
    assert f"pid {keeper}" in status.stdout

    stop = run_cli(library_home, "server", "stop", **background)
    assert stop.returncode == 0, stop.stderr
    assert f"stopped the Prefect server (pid {keeper})" in stop.stdout
    assert servers_of(library_home) == []
    assert not state_file.exists()
    status = run_cli(library_home, "server", "status", **background)
    assert status.returncode == 3
    assert "no Prefect server running" in status.stdout


def test_an_idle_background_server_stops_by_itself(
    library_home: Path, background: dict[str, str]
) -> None:
    idle = {**background, "MEDIALAKE_PREFECT_SERVER_IDLE_MINUTES": "0.05"}  # 3 s
    started = run_cli(library_home, "server", "start", **idle)
    assert started.returncode == 0, started.stderr
    state_file = library_home / "prefect" / "server.json"
    assert state_file.exists()
    assert servers_of(library_home)
    assert wait_for(lambda: not state_file.exists(), timeout_s=60.0)
    assert wait_for(lambda: not servers_of(library_home), timeout_s=30.0)


@pytest.mark.parametrize("command", [["sync"], ["transcode"]])
def test_a_killed_command_leaves_no_server_of_its_own(
    library_home: Path, command: list[str]
) -> None:
    """Issue 12, item 7: Prefect's own ephemeral server outlived 11 of 13 kill -9."""
    cli = start_cli(library_home, *command, MEDIALAKE_PREFECT_SERVER="ephemeral")
    try:
        assert wait_for(lambda: servers_of(library_home)), "no server started"
        assert wait_for(lambda: _answers(servers_of(library_home)))
    finally:
        cli.send_signal(signal.SIGKILL)
        cli.wait()
    assert wait_for(lambda: not servers_of(library_home), timeout_s=15.0), [
        p.cmdline() for p in servers_of(library_home)
    ]


def _answers(procs: list[psutil.Process]) -> bool:
    """Whether one of ``procs`` listens on a TCP port yet."""
    for proc in procs:
        try:
            if any(c.status == psutil.CONN_LISTEN for c in proc.net_connections()):
                return True
        except psutil.NoSuchProcess:
            continue
    return False
