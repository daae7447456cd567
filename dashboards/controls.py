"""Job controls behind the dashboard's buttons: run a flow now, retry, cancel.

The flows that can be run are the deployments of ``prefect.yaml``. When a Prefect server
is configured (``prefect.api_url``) a button runs the deployment on it
(:mod:`dashboards.prefect_control`); on the embedded default it starts the deployment's
entrypoint in a detached background process (:mod:`dashboards.jobrunner`) whose output
goes to ``<data folder>/logs/jobs/<job id>.log``. Either way a row in the ``jobs`` table
records the request, and the flow's own rows (``sync_runs``) show its progress.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil
import yaml

from medialake.runtime import settings
from medialake.settings import PROJECT_DIR_ENV
from warehouse.current import warehouse
from warehouse.queries import jobs

if TYPE_CHECKING:
    from warehouse.db import Warehouse

_children: dict[str, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True, slots=True)
class FlowSpec:
    """A deployment of ``prefect.yaml``: what a button can run."""

    name: str
    entrypoint: str
    parameters: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    @property
    def takes_server(self) -> bool:
        """Whether the flow takes a ``server`` parameter (the library sync does)."""
        return self.entrypoint.endswith(":library_sync")


@dataclass(frozen=True, slots=True)
class Started:
    """What a button started: the job, how it runs, and where to look."""

    job_id: str
    backend: str
    message: str
    url: str | None = None


def project_dir() -> Path:
    """The folder of ``prefect.yaml`` and the flows (``MEDIALAKE_PROJECT_DIR`` or the
    checkout this package lives in)."""
    configured = os.environ.get(PROJECT_DIR_ENV)
    return Path(configured) if configured else Path(__file__).resolve().parents[1]


def flow_specs(root: Path | None = None) -> list[FlowSpec]:
    """Every deployment declared in ``prefect.yaml``, in file order."""
    path = (root or project_dir()) / "prefect.yaml"
    if not path.exists():
        return []
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        FlowSpec(
            name=str(item["name"]),
            entrypoint=str(item["entrypoint"]),
            parameters=dict(item.get("parameters") or {}),
            description=str(item.get("description") or ""),
        )
        for item in document.get("deployments") or []
    ]


def find_spec(name: str) -> FlowSpec:
    """The deployment called ``name``; KeyError when prefect.yaml has none."""
    for spec in flow_specs():
        if spec.name == name:
            return spec
    raise KeyError(f"no deployment called {name!r} in prefect.yaml")


def uses_prefect() -> bool:
    """Whether buttons go to a Prefect server rather than background processes."""
    return bool(settings().prefect.api_url)


def start(
    spec: FlowSpec, overrides: dict[str, Any] | None = None, retry_of: str | None = None
) -> Started:
    """Run ``spec`` now with its parameters updated by ``overrides``."""
    params = {**spec.parameters, **(overrides or {})}
    if uses_prefect():
        from dashboards import prefect_control

        return prefect_control.start(warehouse(), spec, params, retry_of)
    return _start_embedded(spec, params, retry_of)


def retry(job: dict[str, Any]) -> Started:
    """Run a finished job again with the same deployment and parameters."""
    return start(find_spec(job["kind"]), job["params"], retry_of=job["job_id"])


def retry_sync_run(run: dict[str, Any]) -> Started:
    """Sync a server again in the mode of one of its (failed or suspect) runs."""
    spec = next((s for s in flow_specs() if s.takes_server), None)
    if spec is None:
        raise KeyError("prefect.yaml has no library-sync deployment")
    return start(spec, {"server": run["server_id"], "mode": run["mode"]})


def _start_embedded(
    spec: FlowSpec, params: dict[str, Any], retry_of: str | None
) -> Started:
    wh = warehouse()
    job_id = jobs.new_job_id()
    log_path = settings().home / "logs" / "jobs" / f"{job_id}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with wh.write() as con:
        jobs.record_job(
            con,
            job_id,
            spec.name,
            params,
            "embedded",
            host=socket.gethostname(),
            log_path=str(log_path),
            retry_of=retry_of,
            requested_by="dashboard",
        )
    command = [
        sys.executable,
        "-m",
        "dashboards.jobrunner",
        job_id,
        spec.entrypoint,
        json.dumps(params),
    ]
    with log_path.open("ab") as log:
        child = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=project_dir(),
            start_new_session=True,
        )
    _children[job_id] = child
    with wh.write() as con:
        jobs.update_job(con, job_id, pid=child.pid)
    return Started(
        job_id,
        "embedded",
        f"started {spec.name} in a background process (pid {child.pid}); "
        f"its output goes to {log_path}",
    )


def cancel(job: dict[str, Any]) -> str:
    """Cancel a running job; return what was done, in words."""
    if job["backend"] == "prefect":
        from dashboards import prefect_control

        return prefect_control.cancel(warehouse(), job)
    pid = job.get("pid")
    if pid and _alive(pid) and job.get("host") == socket.gethostname():
        os.kill(pid, signal.SIGTERM)  # the runner stops its flow and closes the job
        if _wait_closed(job["job_id"], timeout_s=15) and _closed(job["job_id"]):
            return f"cancelled job {job['job_id'][:8]}"
        _kill_group(pid)  # (a runner still starting up ends without closing its job)
    _close_cancelled(warehouse(), job, "cancelled from the dashboard")
    return f"cancelled job {job['job_id'][:8]}"


def cancel_flow_run(flow_run_id: str) -> str:
    """Cancel a flow run on the Prefect server (one the dashboard did not start)."""
    from dashboards import prefect_control

    return prefect_control.cancel_flow_run(flow_run_id)


def _wait_closed(job_id: str, timeout_s: float) -> bool:
    child = _children.get(job_id)
    if child is not None:
        try:
            child.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return False
        return True
    try:
        psutil.Process(_job_pid(job_id)).wait(timeout=timeout_s)
    except psutil.TimeoutExpired:
        return False
    except (psutil.NoSuchProcess, ValueError):
        pass
    return True


def _closed(job_id: str) -> bool:
    with warehouse().read() as con:
        job = jobs.get_job(con, job_id)
    return bool(job and job.get("status") != "running")


def _job_pid(job_id: str) -> int:
    with warehouse().read() as con:
        job = jobs.get_job(con, job_id)
    if not job or not job.get("pid"):
        raise ValueError(job_id)
    return int(job["pid"])


def _close_cancelled(wh: Warehouse, job: dict[str, Any], reason: str) -> None:
    server = job["params"].get("server")
    with wh.write() as con:
        if jobs.finish_job(con, job["job_id"], "cancelled", error=reason):
            jobs.cancel_sync_runs(
                con, job["requested_at"], [server] if server else None, reason
            )


def refresh() -> None:
    """Bring running jobs up to date: reap background processes that ended without
    closing their job, and read the state of Prefect flow runs."""
    for job_id, child in list(_children.items()):
        if child.poll() is not None:
            del _children[job_id]
    wh = warehouse()
    with wh.read() as con:
        running = jobs.running_jobs(con)
    host = socket.gethostname()
    for job in running:
        if job["backend"] == "prefect":
            from dashboards import prefect_control

            prefect_control.refresh(wh, job)
        elif job.get("host") == host and job.get("pid") and not _alive(job["pid"]):
            with wh.write() as con:
                jobs.finish_job(
                    con,
                    job["job_id"],
                    "failed",
                    error="the background process ended without reporting a result",
                )


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def log_tail(path: str | None, lines: int = 40) -> str:
    """The last lines of a job's log file ('' when there is none)."""
    if not path or not Path(path).exists():
        return ""
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])
