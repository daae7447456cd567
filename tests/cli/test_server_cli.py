"""``medialake server start`` takes the same lock as a command that starts the
background server: ``make demo`` starts it beside the sample's generation, and the
sync that follows must reuse it, never start a second one."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from medialake.prefect_server import BACKGROUND, ServerState, start_lock, write_state
from medialake.settings import load_settings
from tests.prefect_health import health_server

if TYPE_CHECKING:
    from pathlib import Path


def _waits_in_flock(pid: int) -> bool:
    """Whether the process is blocked in flock(2) (x86-64: 73; aarch64: 32)."""
    try:
        with open(f"/proc/{pid}/syscall", encoding="ascii") as fh:
            number = fh.read().split()[0]
    except (OSError, IndexError):
        return False
    return number == ("32" if os.uname().machine == "aarch64" else "73")


def test_server_start_waits_for_a_start_under_way_and_reuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(MEDIALAKE_HOME=str(home), MEDIALAKE_PREFECT_SERVER="background")
    monkeypatch.setenv("MEDIALAKE_HOME", str(home))
    settings = load_settings()
    server = health_server()
    url = f"http://127.0.0.1:{server.server_address[1]}/api"
    try:
        with start_lock(settings):  # another command is starting the server
            command = subprocess.Popen(
                [sys.executable, "-m", "cli", "server", "start"],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            deadline = time.monotonic() + 60
            while not _waits_in_flock(command.pid):
                assert command.poll() is None, command.communicate()
                assert time.monotonic() < deadline, "it never waited for the lock"
                time.sleep(0.05)
            write_state(settings, ServerState(url, os.getpid(), BACKGROUND, 0.0))
        out, err = command.communicate(timeout=60)
    finally:
        server.shutdown()
    assert command.returncode == 0, err
    assert out.strip() == f"Prefect server already running: {url.removesuffix('/api')}"
