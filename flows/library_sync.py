"""The ``library_sync`` flow: extract every configured server into the warehouse.

Modes: ``incremental`` (what changed since the last successful run), ``full``
(everything listed, unchanged items not re-read, removals detected under the safety
rule) and ``deep`` (everything re-read, nothing removed). One ``sync_runs`` row per
server and run.
"""

from __future__ import annotations

import uuid
from typing import Any

from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from connectors.errors import LibraryUnavailable
from connectors.media_servers.base import SyncMode
from flows.errors import FlowError
from medialake.runtime import settings
from tasks import library_sync as t
from tasks.context import engine, flow_run_id, logger
from tasks.flow_runs import recorded_run
from tasks.notify import notify_sync, on_flow_failure
from tasks.report import publish
from tasks.server_extras import sync_extras
from tasks.unchanged import SUMMARY_COLUMNS, record_if_unchanged


@flow(
    name="library-sync",
    task_runner=ThreadPoolTaskRunner(max_workers=2),  # type: ignore[arg-type]
    log_prints=True,
    on_failure=[on_flow_failure],
)
@recorded_run
def library_sync(
    server: str | None = None, mode: str = "incremental"
) -> list[dict[str, Any]]:
    """Sync ``server`` (every configured server when None) in ``mode``.

    Returns:
        One summary per server: status, counts (seen/added/updated/removed/failed) and,
        for a suspect or failed run, the reason.
    """
    sync_mode = SyncMode(mode)
    names = [server] if server else engine().names
    summaries, failures = [], []
    for name in names:
        try:
            summaries.append(sync_server(name, sync_mode))
        except Exception as exc:  # one server's fault must not stop the others
            text = str(exc)
            failures.append(text if text.startswith(f"{name}:") else f"{name}: {text}")
    notify_sync(summaries)
    _report(mode, summaries, failures)
    if failures:
        raise SyncFailed("; ".join(failures))
    return summaries


def _report(mode: str, summaries: list[dict[str, Any]], failures: list[str]) -> None:
    """The run's story for the Prefect UI: a row per server, failures and suspects
    with their reasons."""
    rows = [dict(s) for s in summaries]
    rows += [{"server": text.split(":", 1)[0], "status": "failed"} for text in failures]
    notes = [f"failed: {text}" for text in failures]
    notes += [
        f"suspect: {s['server']}: nothing removed: {s.get('reason')}"
        for s in summaries
        if s.get("status") == "suspect"
    ]
    publish("library-sync", f"library sync ({mode})", rows, SUMMARY_COLUMNS, notes)


class SyncFailed(FlowError):
    """At least one server's run failed (each failure is recorded in ``sync_runs``)."""


def sync_server(server: str, mode: SyncMode) -> dict[str, Any]:
    """One server's run, holding the server's sync lock: open, plan, read batches
    concurrently, finish; then plays and playlists where the server has them. An
    incremental run that finds nothing to read is recorded without task runs; a run
    the warehouse refuses is spooled and recorded later (``t.recorded``)."""
    quick = record_if_unchanged(server, mode, flow_run_id())
    if quick is not None:
        logger().info("%s: %d items listed, all unchanged", server, quick["seen"])
        return quick
    run_id = uuid.uuid4().hex
    with t.recorded(server, mode, run_id), t.server_lock(server, mode):
        return _sync_locked(server, mode, run_id)


def _sync_locked(server: str, mode: SyncMode, run_id: str) -> dict[str, Any]:
    run_id = t.open_run(server, mode, run_id)
    try:
        plan = t.plan(server, run_id, mode, settings().sync.batch_size)
    except LibraryUnavailable as exc:
        return t.close_run(server, run_id, "suspect", exc.detail)
    except Exception as exc:
        t.close_run(server, run_id, "failed", str(exc))
        raise
    # quote(unit): Prefect would otherwise walk (and copy) every entry of every unit
    # looking for futures, about 0.5 CPU-s per pass over 20,000 files
    futures = [
        t.read_and_store.submit(server, run_id, quote(unit), plan.fresh)
        for unit in plan.units
    ]
    try:
        results = [future.result() for future in futures]
    except Exception as exc:
        for future in futures:
            future.wait()
        t.close_run(server, run_id, "failed", str(exc))
        raise
    # quote(): Prefect would otherwise walk every id of the plan (20,000 for 20,000
    # files) looking for futures, on an unchanged rescan a good part of the run
    summary = t.finish(server, run_id, quote(plan), quote(results))  # type: ignore[call-overload]
    try:
        summary.update(sync_extras(server))
    except Exception as exc:  # plays and playlists must not undo a good library run
        summary["extras_error"] = str(exc)
    return summary
