"""``medialake dashboard`` (the Streamlit dashboard) and ``medialake up`` (the stack).

``up`` starts, on 127.0.0.1: a Prefect server whose home and database are in the data
folder, the deployments of ``prefect.yaml`` on the process work pool ``medialake``, a
worker for that pool, the playback service (``medialake serve``, when that command
exists) and the dashboard wired to the Prefect server. It prints their URLs and stops
them all, in reverse order, on Ctrl-C: each process tree is terminated, and killed if
it is still there after a grace period. Each service logs to
``<data folder>/logs/stack/<name>.log``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import httpx
import typer

from cli.main import console, err, fail
from medialake.prefect_server import (
    UP,
    ServerState,
    clear_state,
    read_state,
    stop_background,
    write_state,
)
from medialake.runtime import PREFECT_AUTH_FILE, prefect_auth, prepare_environment
from medialake.settings import PROJECT_DIR_ENV, SettingsError

if TYPE_CHECKING:
    from medialake.settings import Settings

POOL = "medialake"
START_TIMEOUT_S = 180.0
STOP_GRACE_S = 10.0


STREAMLIT_OPTIONS = {
    "server.headless": "true",
    "browser.gatherUsageStats": "false",
    "server.fileWatcherType": "none",
    "global.developmentMode": "false",
    "client.toolbarMode": "minimal",
}


def dashboard_command(host: str, port: int) -> list[str]:
    """The ``streamlit run`` command line of the dashboard (headless, no telemetry)."""
    import dashboards

    app = Path(dashboards.__file__).with_name("server.py")
    options = {**STREAMLIT_OPTIONS, "server.address": host, "server.port": str(port)}
    # Streamlit refuses a larger upload by its Content-Length, before reading it.
    from medialake.runtime import settings as current

    options["server.maxUploadSize"] = str(current().dashboard.max_upload_mb)
    flags = [part for key, value in options.items() for part in (f"--{key}", value)]
    return [sys.executable, "-m", "streamlit", "run", str(app), *flags]


def dashboard(
    host: Annotated[
        str | None, typer.Option(help="Address (default: settings).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: settings).")] = None,
) -> None:
    """Run the dashboard (Overview, Library, Jobs, Analytics, SQL, Sessions)."""
    try:
        settings = prepare_environment()
    except SettingsError as exc:
        raise fail(str(exc)) from None
    host = host or settings.dashboard.host
    port = port or settings.dashboard.port
    console.print(f"dashboard on http://{host}:{port}", highlight=False)
    sys.stdout.flush()
    command = dashboard_command(host, port)
    os.execv(command[0], command)


@dataclass
class Service:
    """One process of the stack."""

    name: str
    command: list[str]
    url: str | None = None
    health: str | None = None  # an URL that answers 200 once the service is up
    optional: bool = False
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    log: Path | None = None


class Stack:
    """The processes of ``medialake up``, started in order and stopped in reverse."""

    def __init__(self, settings: Settings, env: dict[str, str], logs: Path) -> None:
        self.settings = settings
        self.env = env
        self.logs = logs
        self.services: list[Service] = []
        self.one_shots: list[subprocess.Popen[bytes]] = []

    def popen(
        self, command: list[str], log: Path, mode: str = "ab"
    ) -> subprocess.Popen[bytes]:
        """Start ``command`` in its own session, its output written to ``log``."""
        self.logs.mkdir(parents=True, exist_ok=True)
        with log.open(mode) as out:
            return subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                env=self.env, cwd=self.env[PROJECT_DIR_ENV], start_new_session=True,
            )  # fmt: skip

    def start(self, service: Service) -> Service:
        """Start a long-running service."""
        service.log = self.logs / f"{service.name}.log"
        service.process = self.popen(service.command, service.log)
        self.services.append(service)
        return service

    def start_once(self, name: str, command: list[str]) -> subprocess.Popen[bytes]:
        """Start a set-up command that ends by itself (stopped too on Ctrl-C)."""
        process = self.popen(command, self.logs / f"{name}.log", mode="wb")
        self.one_shots.append(process)
        return process

    def wait_healthy(
        self, service: Service, timeout_s: float = START_TIMEOUT_S
    ) -> bool:
        """Wait until the service answers its health URL; False if it died or timed
        out."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if service.process is None or service.process.poll() is not None:
                return False
            if service.health is None or _answers(service.health):
                return True
            time.sleep(0.25)
        return False

    def dead(self) -> list[Service]:
        """Services whose process has ended."""
        return [s for s in self.services if s.process and s.process.poll() is not None]

    def stop(self) -> None:
        """Stop every service, last started first: terminate the tree, then kill."""
        from jobs.base import stop_tree

        for process in self.one_shots:
            stop_tree(process.pid, STOP_GRACE_S)
            process.wait()
        for service in reversed(self.services):
            if service.process is not None:
                stop_tree(service.process.pid, STOP_GRACE_S)
                service.process.wait()
        self.services.clear()
        self.one_shots.clear()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def _check_port(host: str, port: int, option: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if sock.connect_ex((host, port)) == 0:
            raise fail(f"port {port} on {host} is in use: choose another with {option}")


def _tail(path: Path | None, lines: int = 15) -> str:
    if path is None or not path.exists():
        return ""
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(text[-lines:])


def _prefect(*args: str) -> list[str]:
    return [sys.executable, "-m", "prefect", *args]


def _medialake(*args: str) -> list[str]:
    return [sys.executable, "-m", "cli", *args]


def _environment(settings: Settings, api: str, ui: str) -> dict[str, str]:
    from jobs.base import project_dir

    env = dict(os.environ)
    env.update(
        MEDIALAKE_HOME=str(settings.home),
        MEDIALAKE_PREFECT_API_URL=api,
        PREFECT_API_URL=api,
        PREFECT_UI_URL=ui,
        PREFECT_HOME=str(settings.prefect_home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PYTHONUNBUFFERED="1",
    )
    auth = prefect_auth(settings, create=True)
    if auth:  # the UI and the API ask for it; every process of the stack has it
        env["PREFECT_SERVER_API_AUTH_STRING"] = env["PREFECT_API_AUTH_STRING"] = auth
    database = settings.prefect_database_url
    if database:  # shared mode: Prefect's state on the warehouse's PostgreSQL
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = database
    env.setdefault(PROJECT_DIR_ENV, str(project_dir()))
    return env


def _has_serve() -> bool:
    from cli.main import app

    names = {
        c.name or (c.callback.__name__ if c.callback else "")
        for c in app.registered_commands
    }
    return "serve" in names


def _start_prefect(stack: Stack, host: str, port: int, bind: str) -> Service:
    server = stack.start(
        Service(
            "prefect-server",
            _prefect(
                *f"server start --host {bind} --port {port} --analytics-off".split()
            ),
            url=f"http://{host}:{port}",
            health=f"http://{host}:{port}/api/health",
        )
    )
    console.print(f"starting the Prefect server on {server.url} ...", highlight=False)
    if not stack.wait_healthy(server):
        raise _failed(server, "the Prefect server did not start")
    return server


def _deploy(stack: Stack) -> subprocess.Popen[bytes]:
    """Create the work pool (once) and the limits from settings (tasks.limits), then
    deploy prefect.yaml in the background."""
    limits = stack.start_once("limits", [sys.executable, "-m", "tasks.limits"])
    create = stack.start_once(
        "work-pool", _prefect(*f"work-pool create {POOL} --type process".split())
    )
    if create.wait(timeout=START_TIMEOUT_S) != 0:
        log = stack.logs / "work-pool.log"
        if "already exists" not in log.read_text(encoding="utf-8", errors="replace"):
            raise fail(f"could not create the work pool {POOL!r}:\n{_tail(log)}", 1)
    if limits.wait(timeout=START_TIMEOUT_S) != 0:
        log = stack.logs / "limits.log"
        raise fail(f"could not create the Prefect limits:\n{_tail(log)}", 1)
    return stack.start_once("deploy", _prefect("--no-prompt", "deploy", "--all"))


def _start_services(
    stack: Stack, host: str, dashboard_port: int, playback_port: int | None
) -> None:
    name = f"medialake-{socket.gethostname()}"
    worker = f"worker start --pool {POOL} --type process --name {name}"
    stack.start(Service("worker", _prefect(*worker.split())))
    if playback_port is not None:
        stack.start(
            Service(
                "playback",
                _medialake("serve", "--host", host, "--port", str(playback_port)),
                url=f"http://{host}:{playback_port}",
                optional=True,
            )
        )
    stack.start(
        Service(
            "dashboard",
            dashboard_command(host, dashboard_port),
            url=f"http://{host}:{dashboard_port}",
            health=f"http://{host}:{dashboard_port}/_stcore/health",
        )
    )


def _failed(service: Service, message: str) -> typer.Exit:
    return fail(f"{message}; the end of {service.log}:\n{_tail(service.log)}", 1)


def _wait_all(stack: Stack, deploy: subprocess.Popen[bytes]) -> None:
    for service in stack.services:
        if service.health and not stack.wait_healthy(service):
            raise _failed(service, f"{service.name} did not start")
    if deploy.wait(timeout=START_TIMEOUT_S) != 0:
        raise fail(
            f"prefect deploy failed; see {stack.logs / 'deploy.log'}:\n"
            f"{_tail(stack.logs / 'deploy.log')}",
            1,
        )
    time.sleep(1.0)  # a service that cannot start (a busy port) dies within a second
    for service in stack.dead():
        if not service.optional:
            raise _failed(service, f"{service.name} stopped")
        err.print(
            f"[yellow]{service.name} did not start[/] (see {service.log}); going on "
            "without it",
            highlight=False,
        )
        stack.services.remove(service)


def _print_urls(stack: Stack, api: str) -> None:
    console.print("[bold green]medialake is up[/]")
    names = {
        "prefect-server": "Prefect UI",
        "dashboard": "Dashboard",
        "playback": "Playback",
    }
    for service in stack.services:
        if service.url:
            console.print(
                f"  {names.get(service.name, service.name):<11} {service.url}",
                highlight=False,
            )
    console.print(f"  {'Prefect API':<11} {api}", highlight=False)
    auth = stack.settings.home / PREFECT_AUTH_FILE
    console.print(
        f"  {'Sign-in':<11} Prefect: user 'medialake', password in {auth}; "
        "dashboard and player: your medialake user ('medialake user add')",
        highlight=False,
    )
    console.print(
        f"  {'Worker':<11} pool {POOL!r}, deployments from prefect.yaml",
        highlight=False,
    )
    console.print(f"  {'Logs':<11} {stack.logs}", highlight=False)
    console.print("Ctrl-C stops everything.")


def _watch(stack: Stack) -> None:
    """Block until Ctrl-C / SIGTERM, or until a required service dies."""
    while True:
        for service in stack.dead():
            stack.services.remove(service)
            if not service.optional:
                raise _failed(service, f"{service.name} stopped unexpectedly")
            err.print(f"[yellow]{service.name} stopped[/] (see {service.log})")
        time.sleep(0.5)


def _stop_background_server(settings: Settings) -> None:
    """One Prefect server per data folder: the one a command started in the
    background gives way to the stack's."""
    stopped = stop_background(settings)
    if stopped is not None:
        console.print(
            f"stopped the background Prefect server (pid {stopped.pid}); "
            "commands use the stack's while it runs",
            highlight=False,
        )


def _record_server(settings: Settings, api: str, server: Service) -> None:
    """Let every command of this data folder reuse the stack's Prefect server."""
    assert server.process is not None
    write_state(settings, ServerState(api, server.process.pid, UP, time.time()))


def _forget_server(settings: Settings) -> None:
    state = read_state(settings)
    if state is not None and state.owner == UP:
        clear_state(settings, state.pid)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def up(
    prefect_port: Annotated[int, typer.Option(help="Prefect server port.")] = 4200,
    dashboard_port: Annotated[int | None, typer.Option(help="Dashboard port.")] = None,
    playback_port: Annotated[
        int | None, typer.Option(help="Playback service port (default: settings).")
    ] = None,
    playback: Annotated[bool, typer.Option(help="Start the playback service.")] = True,
    shared: Annotated[
        bool,
        typer.Option(
            "--shared",
            help="Serve the Prefect API to other machines (on every address) with its "
            "state on the warehouse's PostgreSQL; needs [warehouse] catalog = "
            "'postgresql://...' and data_path on a shared folder.",
        ),
    ] = False,
) -> None:
    """Start the local stack: Prefect server, deployments, worker, playback and
    dashboard."""
    try:
        settings = prepare_environment()
    except SettingsError as exc:
        raise fail(str(exc)) from None
    if shared and not (settings.shared and settings.warehouse.data_path):
        raise fail(
            "--shared needs the warehouse on PostgreSQL: set [warehouse] catalog = "
            "'postgresql://user:password@host/db' and data_path = a folder every "
            "machine mounts (see docs/stack.md)"
        )
    host = "127.0.0.1"
    dashboard_port = dashboard_port or settings.dashboard.port
    with_playback = playback and _has_serve()
    playback_port = playback_port or settings.playback.port
    for port, option in (
        (prefect_port, "--prefect-port"),
        (dashboard_port, "--dashboard-port"),
        *([(playback_port, "--playback-port")] if with_playback else []),
    ):
        _check_port(host, port, option)
    api, ui = f"http://{host}:{prefect_port}/api", f"http://{host}:{prefect_port}"
    stack = Stack(
        settings, _environment(settings, api, ui), settings.home / "logs" / "stack"
    )
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGINT, _raise_interrupt)  # even when started with it ignored
    _stop_background_server(settings)
    try:
        bind = "0.0.0.0" if shared else host
        server = _start_prefect(stack, host, prefect_port, bind)
        _record_server(settings, api, server)
        deploy = _deploy(stack)
        _start_services(
            stack, host, dashboard_port, playback_port if with_playback else None
        )
        if not with_playback:
            console.print(
                "playback service skipped (no 'medialake serve' or --no-playback)"
            )
        _wait_all(stack, deploy)
        _print_urls(stack, api)
        _watch(stack)
    except KeyboardInterrupt:
        console.print("stopping ...")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
        _forget_server(settings)
        console.print("stopped.")


def register(app: typer.Typer) -> None:
    """Add ``dashboard`` and ``up`` to the CLI."""
    app.command()(dashboard)
    app.command()(up)
