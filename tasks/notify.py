"""Notifications of what a flow did, to the targets in ``[notify]`` (Apprise URLs).

:func:`notify` sends one notice when its event is enabled; :func:`on_flow_failure` is
the Prefect ``on_failure`` hook every flow carries, so a failed run, scheduled or not,
reaches the user. Sending never fails the flow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectors.notify import Notice, Notifier
from medialake.runtime import settings

if TYPE_CHECKING:
    from prefect import Flow
    from prefect.client.schemas.objects import FlowRun
    from prefect.states import State


def notify(event: str, title: str, body: str) -> bool:
    """Send a notice if ``event`` is enabled and a target is set; True when sent."""
    config = settings().notify
    if event not in config.events or not config.targets:
        return False
    targets = [target.get_secret_value() for target in config.targets]
    return Notifier(targets).send(Notice(event, f"medialake: {title}", body))


def on_flow_failure(flow: Flow[Any, Any], flow_run: FlowRun, state: State) -> None:
    """Prefect hook: tell the user a flow run failed, and why."""
    why = (state.message or "no reason given").strip()
    notify(
        "failed",
        f"{flow.name} failed",
        f"Flow run {flow_run.name!r} of {flow.name} failed: {why}",
    )


def notify_sync(summaries: list[dict[str, Any]]) -> None:
    """One notice per suspect server run (nothing was removed; the reason says why)."""
    for summary in summaries:
        if summary.get("status") == "suspect":
            notify(
                "suspect",
                f"sync of {summary['server']} is suspect",
                f"{summary['server']}: nothing was removed: {summary.get('reason')}",
            )


def notify_done(event: str, items: list[dict[str, Any]], what: str) -> None:
    """One notice listing what a download or rip run brought into the library."""
    paths = [str(item.get("path")) for item in items if item.get("path")]
    if paths:
        shown = "\n".join(paths[:20]) + ("\n..." if len(paths) > 20 else "")
        notify(event, f"{len(paths)} {what}", shown)
