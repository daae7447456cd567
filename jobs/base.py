"""What both job backends share: the flows a job can run, what a start returns, the
interface a backend implements, the cancel rule, and stopping a process tree.

The flows that can be run are the deployments of ``prefect.yaml`` (:func:`flow_specs`).
A backend (:class:`Backend`) starts a job, cancels it and brings it up to date;
:mod:`jobs.control` picks the backend in one place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import psutil
import yaml

from medialake.settings import PROJECT_DIR_ENV
from warehouse.queries import jobs

if TYPE_CHECKING:
    import duckdb

    from warehouse.db import Warehouse

STOP_GRACE_S = 10.0
CANCEL_REASON = "cancelled from the dashboard"


class JobError(Exception):
    """Base of the errors of job control."""


class UnknownFlow(JobError, KeyError):
    """prefect.yaml declares no deployment of that name (or no library sync)."""


class UnknownJob(JobError, LookupError):
    """No job (or more than one) has that id."""


class NoDeployment(JobError, LookupError):
    """The Prefect server has no deployment of that name."""


class NoPrefectServer(JobError, RuntimeError):
    """Job control was asked for the Prefect server but none is configured."""


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


class Backend(Protocol):
    """How jobs run: background processes here, or flow runs on a Prefect server."""

    name: str

    def start(
        self,
        wh: Warehouse,
        spec: FlowSpec,
        params: dict[str, Any],
        retry_of: str | None,
        requested_by: str = "dashboard",
    ) -> Started:
        """Start ``spec`` with ``params`` now (without waiting) and record the job
        (``requested_by``: ``dashboard`` or ``cli``)."""
        ...

    def cancel(self, wh: Warehouse, job: dict[str, Any]) -> str:
        """Stop a running job and close it; say what was done."""
        ...

    def refresh(self, wh: Warehouse, job: dict[str, Any]) -> None:
        """Close a running job whose run has ended."""
        ...


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
    """The deployment called ``name``; :class:`UnknownFlow` if prefect.yaml has none."""
    for spec in flow_specs():
        if spec.name == name:
            return spec
    raise UnknownFlow(f"no deployment called {name!r} in prefect.yaml")


def close_cancelled(
    con: duckdb.DuckDBPyConnection,
    job: dict[str, Any],
    reason: str = CANCEL_REASON,
    exit_code: int | None = None,
) -> bool:
    """The cancel rule, for either backend: close the job as ``cancelled`` and, if it
    was still open, the sync runs it left ``running`` (of its server, since it was
    requested) too. Returns whether the job was still open."""
    if not jobs.finish_job(
        con, job["job_id"], "cancelled", exit_code=exit_code, error=reason
    ):
        return False
    server = (job.get("params") or {}).get("server")
    jobs.cancel_sync_runs(
        con, job.get("requested_at"), [server] if server else None, reason
    )
    return True


def stop_tree(pid: int, grace_s: float = STOP_GRACE_S) -> None:
    """Terminate a process and its descendants; kill what is left after ``grace_s``."""
    try:
        root = psutil.Process(pid)
        procs = [*root.children(recursive=True), root]
    except psutil.NoSuchProcess:
        return
    for proc in procs:
        try:
            proc.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(procs, timeout=grace_s)
    for proc in alive:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=grace_s)
