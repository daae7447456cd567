"""Job control: run a flow now, retry, cancel, follow (the dashboard and the CLI).

The flows that can be run are the deployments of ``prefect.yaml``. When a Prefect server
is configured (``prefect.api_url``) a job is a flow run of the deployment on it
(:mod:`jobs.on_prefect`); on the embedded default it is the deployment's entrypoint in a
detached background process (:mod:`jobs.embedded`) whose output goes to
``<data folder>/logs/jobs/<job id>.log``. :func:`backend` is the one place that picks
between them. Either way a row in the ``jobs`` table records the request, and the
flow's own rows (``sync_runs``) show its progress.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobs import embedded, on_prefect
from jobs.base import (
    FlowSpec,
    Started,
    UnknownFlow,
    UnknownJob,
    find_spec,
    flow_specs,
    project_dir,
)
from medialake.runtime import settings
from warehouse.current import warehouse
from warehouse.queries import jobs

if TYPE_CHECKING:
    from jobs.base import Backend

__all__ = [
    "FlowSpec",
    "Started",
    "backend",
    "cancel",
    "cancel_flow_run",
    "find_job",
    "find_spec",
    "flow_specs",
    "log_tail",
    "project_dir",
    "refresh",
    "retry",
    "retry_sync_run",
    "start",
    "ui_url",
    "uses_prefect",
]

_BACKENDS: dict[str, Backend] = {
    "embedded": embedded.EmbeddedBackend(),
    "prefect": on_prefect.PrefectBackend(),
}


def uses_prefect() -> bool:
    """Whether new jobs go to a Prefect server rather than background processes."""
    return bool(settings().prefect.api_url)


def backend(name: str | None = None) -> Backend:
    """The backend called ``name`` (a job's recorded ``backend``), or, without a
    name, the one new jobs use: the Prefect server when one is configured."""
    if name is None:
        name = "prefect" if uses_prefect() else "embedded"
    return _BACKENDS.get(name, _BACKENDS["embedded"])


def start(
    spec: FlowSpec,
    overrides: dict[str, Any] | None = None,
    retry_of: str | None = None,
    requested_by: str = "dashboard",
) -> Started:
    """Run ``spec`` now with its parameters updated by ``overrides``."""
    params = {**spec.parameters, **(overrides or {})}
    return backend().start(warehouse(), spec, params, retry_of, requested_by)


def retry(job: dict[str, Any], requested_by: str = "dashboard") -> Started:
    """Run a finished job again with the same deployment and parameters."""
    return start(find_spec(job["kind"]), job["params"], job["job_id"], requested_by)


def find_job(prefix: str) -> dict[str, Any]:
    """The job whose id is ``prefix`` or starts with it (pages and the CLI show the
    first 8 characters); :class:`UnknownJob` if none or several match."""
    with warehouse().read() as con:
        found = jobs.jobs_by_prefix(con, prefix)
    if len(found) != 1:
        what = "no job" if not found else f"{len(found)} jobs"
        raise UnknownJob(f"{what} with an id starting {prefix!r}")
    return found[0]


def retry_sync_run(run: dict[str, Any]) -> Started:
    """Sync a server again in the mode of one of its (failed or suspect) runs."""
    spec = next((s for s in flow_specs() if s.takes_server), None)
    if spec is None:
        raise UnknownFlow("prefect.yaml has no library-sync deployment")
    return start(spec, {"server": run["server_id"], "mode": run["mode"]})


def cancel(job: dict[str, Any]) -> str:
    """Cancel a running job; return what was done, in words."""
    return backend(job["backend"]).cancel(warehouse(), job)


def cancel_flow_run(flow_run_id: str) -> str:
    """Cancel a flow run on the Prefect server (one the dashboard did not start)."""
    return on_prefect.cancel_flow_run(flow_run_id)


def ui_url() -> str:
    """The Prefect UI's address (when a Prefect server is configured)."""
    return on_prefect.ui_url()


def refresh() -> None:
    """Bring running jobs up to date: reap background processes that ended without
    closing their job, and read the state of Prefect flow runs."""
    embedded.reap()
    wh = warehouse()
    with wh.read() as con:
        running = jobs.running_jobs(con)
    for job in running:
        backend(job["backend"]).refresh(wh, job)


def log_tail(path: str | None, lines: int = 40) -> str:
    """The last lines of a job's log file ('' when there is none)."""
    if not path or not Path(path).exists():
        return ""
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])
