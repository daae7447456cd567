"""The keeper of the background Prefect server: it runs the server and stops it once
nobody has used it for ``[prefect] server_idle_minutes``.

``python -m medialake.prefect_keeper STATE_FILE IDLE_S API_URL -- COMMAND...`` starts
COMMAND (``prefect server start ...``) and checks every few seconds: the server is in
use while a command touched STATE_FILE (every command that reuses the server does)
within IDLE_S seconds, or while a flow run is running or pending on it. Once idle it
stops the server (SIGTERM, then SIGKILL), forgets STATE_FILE and exits. SIGTERM to the
keeper (``medialake server stop``) stops the server the same way. IDLE_S 0: never idle.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from medialake.prefect_server import die_with_parent

STOP_GRACE_S = 10.0
_ACTIVE = ["RUNNING", "PENDING", "CANCELLING"]
_BUSY = {"flow_runs": {"state": {"type": {"any_": _ACTIVE}}}}


def busy(api_url: str) -> bool:
    """Whether a flow run is running or pending on the server (True if unsure)."""
    try:
        answer = httpx.post(f"{api_url}/flow_runs/count", json=_BUSY, timeout=5.0)
        return answer.status_code != 200 or int(answer.json()) > 0
    except (httpx.HTTPError, ValueError):
        return True


def last_used(state: Path) -> float:
    """When a command last reused the server (the state file's time), 0 if gone."""
    try:
        return state.stat().st_mtime
    except OSError:
        return 0.0


def stop(child: subprocess.Popen[bytes]) -> None:
    """Terminate the server; kill it if it is still there after the grace period."""
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def forget(state: Path) -> None:
    """Remove the state file if it still names this keeper."""
    with contextlib.suppress(OSError, ValueError, KeyError):
        if json.loads(state.read_text(encoding="utf-8"))["pid"] == os.getpid():
            state.unlink()


def keep(state: Path, idle_s: float, api_url: str, command: list[str]) -> int:
    """Run ``command`` until it ends, a SIGTERM arrives, or it has been idle."""
    child = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        preexec_fn=functools.partial(die_with_parent, os.getpid()),  # kill -9 too
    )
    ended = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: ended.set())
    check_s = min(10.0, max(0.5, idle_s / 4)) if idle_s > 0 else 10.0
    in_use = time.time()
    while not ended.wait(check_s):
        if child.poll() is not None:
            forget(state)
            return child.returncode
        if idle_s <= 0:
            continue
        in_use = max(in_use, last_used(state))
        if time.time() - in_use > idle_s:
            if not busy(api_url):
                break
            in_use = time.time()
    stop(child)
    forget(state)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    split = args.index("--")
    state, idle_s, api_url = args[:split]
    return keep(Path(state), float(idle_s), api_url, args[split + 1 :])


if __name__ == "__main__":
    sys.exit(main())
