"""The Prefect API a command's flows talk to: one server, started once and reused.

Prefect's ephemeral mode starts a temporary API server inside every command (6-13 s
on 2 cores) and leaves it running when the command is killed. So a command that runs
a flow connects, in this order, to:

1. ``PREFECT_API_URL`` or ``[prefect] api_url`` when set (a remote or shared server);
2. the server recorded in ``<data folder>/prefect/server.json`` when it answers: the one
   ``medialake up`` runs, or the background server of an earlier command;
3. a new background server (``[prefect] server = "background"``, the default): started
   once, detached from the command, recorded in ``server.json``, reused by every later
   command until ``medialake server stop``, or until it has been idle for
   ``[prefect] server_idle_minutes`` (:mod:`medialake.prefect_keeper`);
4. a server for this command only (``[prefect] server = "ephemeral"``, or when the
   background server cannot start): it dies with the command, even on ``kill -9``
   (``PR_SET_PDEATHSIG``).

Only the standard library is imported here (httpx when a server is asked): Prefect is
imported by the flows after the API is chosen.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import functools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from medialake.settings import Settings

HOST = "127.0.0.1"
START_TIMEOUT_S = 120.0
STOP_GRACE_S = 10.0
BACKGROUND = "background"
UP = "up"


class ServerStartError(RuntimeError):
    """A Prefect server did not start; the message names its log."""


@dataclass(frozen=True)
class ServerState:
    """A running Prefect server as ``server.json`` records it."""

    url: str  # the API URL, ending in /api
    pid: int
    owner: str  # "background" (a command started it) or "up"
    started_at: float


def state_path(settings: Settings) -> Path:
    """Where the reused server is recorded."""
    return settings.prefect_home / "server.json"


def log_path(settings: Settings) -> Path:
    """The background server's log file."""
    return settings.home / "logs" / "prefect-server.log"


def read_state(settings: Settings) -> ServerState | None:
    """The recorded server, or None (no file, or an unreadable one)."""
    try:
        raw = json.loads(state_path(settings).read_text(encoding="utf-8"))
        url, pid, owner = str(raw["url"]), int(raw["pid"]), str(raw["owner"])
        return ServerState(url, pid, owner, float(raw["started_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_state(settings: Settings, state: ServerState) -> None:
    """Record ``state`` (atomically: a reader never sees half a file)."""
    path = state_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(asdict(state)), encoding="utf-8")
    tmp.replace(path)


def clear_state(settings: Settings, pid: int | None = None) -> None:
    """Forget the recorded server (only if it is ``pid``, when given)."""
    state = read_state(settings)
    if state is not None and (pid is None or state.pid == pid):
        state_path(settings).unlink(missing_ok=True)


def answers(api_url: str, timeout_s: float = 2.0) -> bool:
    """Whether a Prefect API answers its health check at ``api_url``."""
    import httpx  # only here: a command with no server to ask does not import it

    # plain http needs no certificates: loading the CA bundle for every poll cost 70 ms
    # of CPU each (9 CPU-s while a server started on a loaded machine)
    verify = not api_url.startswith("http://")
    try:
        response = httpx.get(
            f"{api_url.rstrip('/')}/health", timeout=timeout_s, verify=verify
        )
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running(settings: Settings) -> ServerState | None:
    """The recorded server if its process lives and its API answers."""
    state = read_state(settings)
    if state is None or not _alive(state.pid) or not answers(state.url):
        return None
    return state


def connect(settings: Settings) -> str:
    """Point this process's Prefect at an API server (see the module docstring) and
    return which: ``configured``, ``up``, ``background`` or ``ephemeral``."""
    if os.environ.get("PREFECT_API_URL"):
        return "configured"
    with start_lock(settings):
        state = running(settings)
        if state is None and settings.prefect.server == BACKGROUND:
            try:
                state = start_background(settings)
            except ServerStartError as exc:
                print(
                    f"warning: {exc}; using a Prefect server for this command only",
                    file=sys.stderr,
                )
    if state is not None:
        with contextlib.suppress(OSError):  # in use: the keeper's idle clock restarts
            os.utime(state_path(settings))
        os.environ["PREFECT_API_URL"] = state.url
        return state.owner
    os.environ["PREFECT_API_URL"] = start_for_this_process(settings)
    return "ephemeral"


@contextlib.contextmanager
def start_lock(settings: Settings) -> Iterator[None]:
    """One command at a time checks for, and starts, the background server."""
    settings.prefect_home.mkdir(parents=True, exist_ok=True)
    with (settings.prefect_home / "server.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def server_environment(settings: Settings) -> dict[str, str]:
    """The environment of a Prefect server for this data folder."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(
        PREFECT_HOME=str(settings.prefect_home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_LOGGING_LEVEL=env.get("PREFECT_SERVER_LOGGING_LEVEL", "WARNING"),
    )
    database = settings.prefect_database_url
    if database:
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = database
    return env


def start_background(settings: Settings) -> ServerState:
    """Start a Prefect server detached from this process (it outlives the command)
    and record it; raise :class:`ServerStartError` if it does not answer in time."""
    port = free_port()
    log = log_path(settings)
    log.parent.mkdir(parents=True, exist_ok=True)
    url = f"http://{HOST}:{port}/api"
    idle_s = str(settings.prefect.server_idle_minutes * 60)
    command = [
        sys.executable, "-m", "medialake.prefect_keeper", str(state_path(settings)),
        idle_s, url, "--",
        sys.executable, "-m", "prefect", "server", "start", "--host", HOST,
        "--port", str(port), "--analytics-off", "--no-scheduler", "--no-late-runs",
    ]  # fmt: skip
    # sh starts the keeper (which runs the server and stops it when idle) in the
    # background and exits: the keeper is nobody's child, so stopping this command's
    # process tree leaves it alone.
    launcher = subprocess.run(
        ["sh", "-c", 'exec "$@" >>"$LOG" 2>&1 </dev/null & echo $!', "sh", *command],
        env={**server_environment(settings), "LOG": str(log)},
        capture_output=True, text=True, check=True, start_new_session=True,
    )  # fmt: skip
    pid = int(launcher.stdout.strip())
    state = ServerState(url, pid, BACKGROUND, time.time())
    if not _wait_healthy(state.url, state.pid):
        stop_pid(state.pid)
        raise ServerStartError(
            f"the background Prefect server did not start (see {log})"
        )
    write_state(settings, state)
    return state


def die_with_parent(parent: int) -> None:  # pragma: no cover - runs in the child
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def start_for_this_process(settings: Settings) -> str:
    """Start a Prefect API server that ends with this process, even on ``kill -9``;
    return its API URL."""
    port = free_port()
    env = server_environment(settings)
    env.update(
        PREFECT_UI_ENABLED="0",
        PREFECT__SERVER_EPHEMERAL="1",
    )
    command = [
        sys.executable, "-m", "uvicorn", "--factory",
        "prefect.server.api.server:create_app", "--host", HOST, "--port", str(port),
        "--log-level", "error", "--lifespan", "on",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        preexec_fn=functools.partial(die_with_parent, os.getpid()),
    )  # fmt: skip
    url = f"http://{HOST}:{port}/api"
    if not _wait_healthy(url, process.pid):
        process.kill()
        raise ServerStartError("the Prefect server for this command did not start")
    return url


def _listening(url: str) -> bool:
    """Whether something accepts TCP connections at ``url``'s host and port: a
    connect costs microseconds of CPU, an HTTP request through httpx about 24 ms (its
    client and TLS context), which polling ten times a second during a 10-30 s start
    took from the starting server."""
    address = urlsplit(url)
    try:
        with socket.create_connection((address.hostname, address.port or 80), 1.0):
            return True
    except OSError:
        return False


def _wait_healthy(url: str, pid: int, timeout_s: float = START_TIMEOUT_S) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _alive(pid) or _zombie(pid):
            return False
        if _listening(url) and answers(url, timeout_s=1.0):
            return True
        time.sleep(0.1)
    return False


def _zombie(pid: int) -> bool:
    with contextlib.suppress(ProcessLookupError, ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == pid
    return False


def stop_pid(pid: int, grace_s: float = STOP_GRACE_S) -> None:
    """Terminate a process; kill it if it is still there after ``grace_s``."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while _alive(pid) and not _zombie(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(pid) and not _zombie(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def stop_background(settings: Settings) -> ServerState | None:
    """Stop the background server a command started (not ``medialake up``'s);
    return what was stopped."""
    state = read_state(settings)
    if state is None or state.owner != BACKGROUND:
        return None
    if _alive(state.pid):
        stop_pid(state.pid)
    clear_state(settings, state.pid)
    return state
