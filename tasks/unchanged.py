"""The unchanged fast path of an incremental sync: decide "nothing changed" and record
the run, without a Prefect task run.

The scheduled incremental sync finds nothing new most of the time. Listing a folder
library is a walk of ``stat`` calls (260k files/s) and a read of the stored
fingerprints; everything else an unchanged run paid was Prefect (importing it, task
runs, API round-trips). :func:`record_if_unchanged` lists a server exactly as the flow's
plan does and, when there is nothing to read, no moved file and the same cursor, writes
the run's ``sync_runs`` row (succeeded, what was seen) and returns its summary, the same
one the flow returns. Otherwise it writes nothing and returns None: the caller runs the
flow.

Prefect is not imported here: the CLI calls this before it connects to a Prefect API,
and the ``library-sync`` flow calls it first for every incremental run.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from connectors.media_servers.base import MediaServerClient, SyncMode
from medialake.runtime import settings
from tasks.context import engine, warehouse
from warehouse import library, runs
from warehouse.db import WarehouseBusy

CURSOR_KEY = "incremental_cursor"
SUMMARY_COLUMNS = ("server", "status", "seen", "added", "updated", "removed", "failed")
_EXTRAS = ("get_play_history", "get_track_play_counts", "get_playlists")


def has_extras(client: MediaServerClient) -> bool:
    """Whether a sync of the server also reads plays or playlists (the client
    overrides one of the contract's "unsupported" defaults): those need the flow."""
    return any(
        getattr(type(client), name) is not getattr(MediaServerClient, name)
        for name in _EXTRAS
    )


def record_if_unchanged(
    server: str, mode: SyncMode, flow_run_id: str | None = None
) -> dict[str, Any] | None:
    """Record an incremental run of ``server`` that found nothing to read, and return
    its summary; None (nothing recorded) when the flow must run: another mode, a server
    with plays or playlists, ``[sync] quick_unchanged`` off, anything new, changed or
    moved, a listing that fails, or another sync of the server holding its lock."""
    client = engine().get(server)
    quick = settings().sync.quick_unchanged
    if not quick or mode is not SyncMode.INCREMENTAL or has_extras(client):
        return None
    started = datetime.now(UTC)
    clock = time.monotonic()
    try:
        with warehouse().exclusive(f"sync-{server}"):
            with warehouse().read() as con:
                known = library.known_fingerprints(con, server)
                cursor = library.get_state(con, server, CURSOR_KEY)
            try:
                plan = client.plan_sync(mode, known, cursor, settings().sync.batch_size)
            except Exception:  # the flow records the failure or the suspect run
                return None
            if plan.units or (plan.cursor is not None and plan.cursor != cursor):
                return None
            return _record(client, plan.total_items, started, flow_run_id, clock)
    except WarehouseBusy:  # the flow records the refusal, naming the holder
        return None


def _record(
    client: MediaServerClient,
    seen: int,
    started: datetime,
    flow_run_id: str | None,
    clock: float,
) -> dict[str, Any]:
    server = client.name
    run_id = uuid.uuid4().hex
    counts = runs.RunCounts(seen=seen)
    with warehouse().write() as con:
        library.upsert_server(con, server, client.kind, client.public_location())
        runs.close_interrupted(con, server)
        runs.start_run(
            con, run_id, server, SyncMode.INCREMENTAL.value, flow_run_id, started
        )
        runs.add_progress(con, run_id, seen, seen)
        runs.finish_run(con, run_id, "succeeded", counts)
        library.set_server_status(con, server, "ok", None)
    return {
        "server": server,
        "run_id": run_id,
        "status": "succeeded",
        "reason": None,
        **asdict(counts),
        "unchanged": True,
        "seconds": round(time.monotonic() - clock, 3),
    }
