"""Job controls on a Prefect server: run a deployment, follow it, cancel it.

The backend :mod:`jobs.control` uses when ``prefect.api_url`` is configured
(``medialake up`` sets it for the dashboard). Every call pins Prefect's API URL to
that setting, so the dashboard talks to the configured server whatever else the
process has set up. The dashboard links each job to its flow run in the Prefect UI.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, cast

from jobs.base import (
    CANCEL_REASON,
    NoDeployment,
    NoPrefectServer,
    Started,
    close_cancelled,
)
from medialake.runtime import settings
from warehouse.queries import jobs

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from prefect.client.schemas.objects import FlowRun

    from jobs.base import FlowSpec
    from warehouse.db import Warehouse

FINAL_STATES = {
    "COMPLETED": "succeeded",
    "FAILED": "failed",
    "CRASHED": "failed",
    "CANCELLED": "cancelled",
}


def api_url() -> str:
    """The configured Prefect API URL (``.../api``)."""
    url = settings().prefect.api_url
    if not url:
        raise NoPrefectServer("no Prefect server configured (prefect.api_url)")
    return url.rstrip("/")


def ui_url() -> str:
    """The Prefect UI's address: ``PREFECT_UI_URL`` or the API URL without ``/api``."""
    configured = os.environ.get("PREFECT_UI_URL")
    if configured:
        return configured.rstrip("/")
    url = api_url()
    return url[: -len("/api")] if url.endswith("/api") else url


def flow_run_url(flow_run_id: str) -> str:
    """A flow run's page in the Prefect UI."""
    return f"{ui_url()}/runs/flow-run/{flow_run_id}"


def _pinned() -> AbstractContextManager[Any]:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    return temporary_settings(updates={PREFECT_API_URL: api_url()})


def cancel_flow_run(flow_run_id: str) -> str:
    """Ask Prefect to cancel a flow run (its worker stops the process)."""
    from prefect.client.orchestration import get_client
    from prefect.states import Cancelling

    with _pinned(), get_client(sync_client=True) as client:
        client.set_flow_run_state(flow_run_id, Cancelling(), force=True)
    return f"asked Prefect to cancel flow run {flow_run_id}"


class PrefectBackend:
    """Jobs as flow runs of the deployments on the configured Prefect server."""

    name = "prefect"

    def start(
        self,
        wh: Warehouse,
        spec: FlowSpec,
        params: dict[str, Any],
        retry_of: str | None,
        requested_by: str = "dashboard",
    ) -> Started:
        """Run the deployment ``spec`` now (without waiting) and record the job."""
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.filters import (
            DeploymentFilter,
            DeploymentFilterName,
        )
        from prefect.deployments import run_deployment

        with _pinned(), get_client(sync_client=True) as client:
            found = client.read_deployments(
                deployment_filter=DeploymentFilter(
                    name=DeploymentFilterName(any_=[spec.name])
                )
            )
            if not found:
                raise NoDeployment(
                    f"the Prefect server has no deployment {spec.name!r}: run "
                    "'medialake up' or 'prefect deploy --all' first"
                )
            flow_run = cast(
                "FlowRun", run_deployment(found[0].id, parameters=params, timeout=0)
            )
        run_id = str(flow_run.id)
        url = flow_run_url(run_id)
        job_id = jobs.new_job_id()
        with wh.write() as con:
            jobs.record_job(
                con,
                job_id,
                spec.name,
                params,
                self.name,
                flow_run_id=run_id,
                flow_run_url=url,
                retry_of=retry_of,
                requested_by=requested_by,
            )
        return Started(
            job_id, self.name, f"flow run {flow_run.name} of {spec.name} created", url
        )

    def refresh(self, wh: Warehouse, job: dict[str, Any]) -> None:
        """Close the job when its flow run reached a final state."""
        from prefect.client.orchestration import get_client

        with _pinned(), get_client(sync_client=True) as client:
            run = client.read_flow_run(job["flow_run_id"])
        state = run.state
        if state is None or state.type.value not in FINAL_STATES:
            return
        status = FINAL_STATES[state.type.value]
        with wh.write() as con:
            jobs.finish_job(
                con,
                job["job_id"],
                status,
                error=None if status == "succeeded" else (state.message or state.name),
            )

    def cancel(self, wh: Warehouse, job: dict[str, Any]) -> str:
        """Cancel the job's flow run and close the job (and the sync runs it left)."""
        message = cancel_flow_run(job["flow_run_id"])
        with wh.write() as con:
            close_cancelled(con, job, CANCEL_REASON)
        return message
