"""Record a finished run in the Prefect UI without importing Prefect.

An unchanged incremental sync is decided and recorded in the warehouse in well under a
second (:mod:`tasks.unchanged`); importing Prefect's client alone takes 2-4 s on 2
cores. So the CLI tells Prefect's REST API (documented, versioned with the server) what
happened with four plain HTTP calls: the flow (get or create by name), a flow run in
state Running, its Completed state with a message, and the run's
markdown summary as an artifact, the same story a flow run publishes.

Only a server that already runs is told (``PREFECT_API_URL``, or the recorded one
``medialake up`` or an earlier command started): starting one costs seconds, and the
``sync_runs`` row stays the record the dashboard reads. Recording never fails the
command.
"""

from __future__ import annotations

import base64
import logging
import os
from typing import TYPE_CHECKING, Any

from medialake.prefect_server import running

if TYPE_CHECKING:
    import httpx

    from medialake.settings import Settings

log = logging.getLogger(__name__)
TIMEOUT_S = 5.0


def api_url(settings: Settings) -> str | None:
    """The Prefect API this process may tell about a run, without starting one."""
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        return configured
    state = running(settings)
    return state.url if state is not None else None


def _headers() -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    auth = os.environ.get("PREFECT_API_AUTH_STRING")
    key = os.environ.get("PREFECT_API_KEY")
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
    elif key:
        headers["Authorization"] = f"Bearer {key}"
    return headers


def record_completed_run(
    settings: Settings,
    flow_name: str,
    parameters: dict[str, Any],
    message: str,
    artifact: tuple[str, str, str] | None = None,
) -> str | None:
    """Record a run of ``flow_name`` that has just completed (Prefect's API sets a
    state's time itself: the run shows as starting and ending now; ``message`` says
    what it did and how long it took).

    Args:
        artifact: ``(key, description, markdown)`` of the run's summary.

    Returns:
        The flow run's id, or None when no server runs or it could not be told.
    """
    url = api_url(settings)
    if url is None:
        return None
    import httpx  # only when a server runs

    try:
        with httpx.Client(
            base_url=url.rstrip("/") + "/", headers=_headers(), timeout=TIMEOUT_S
        ) as client:
            return _record(client, flow_name, parameters, message, artifact)
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        log.warning("could not record the %s run in Prefect: %s", flow_name, exc)
        return None


def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> Any:
    answer = client.post(path, json=body)
    answer.raise_for_status()
    return answer.json() if answer.content else None


def _state(kind: str, name: str, message: str = "") -> dict[str, Any]:
    return {"type": kind, "name": name, "message": message}


def _record(
    client: httpx.Client,
    flow_name: str,
    parameters: dict[str, Any],
    message: str,
    artifact: tuple[str, str, str] | None,
) -> str:
    flow_id = _post(client, "flows/", {"name": flow_name})["id"]
    run = _post(
        client,
        "flow_runs/",
        {
            "flow_id": flow_id,
            "parameters": parameters,
            "state": _state("RUNNING", "Running"),
            "tags": ["unchanged"],
        },
    )
    run_id = str(run["id"])
    done = _state("COMPLETED", "Completed", message)
    _post(client, f"flow_runs/{run_id}/set_state", {"state": done, "force": True})
    if artifact is not None:
        key, description, markdown = artifact
        _post(
            client,
            "artifacts/",
            {
                "key": key,
                "type": "markdown",
                "description": description,
                "data": markdown,
                "flow_run_id": run_id,
            },
        )
    return run_id
