"""Prefect tasks of a library sync: open the run, plan, read-and-store batches, finish.

Each task handles one batch (hundreds to thousands of items), never one file. Retries
live in one layer only, the connectors' HTTP client (bounded backoff on timeouts, 429
and 5xx); a fault that outlasts them fails the batch, and the run records it. Every
write is an idempotent merge, so re-running the flow is the retry of last resort.
"""

from __future__ import annotations

import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl
from prefect import task
from prefect.cache_policies import NO_CACHE

from connectors.media_servers.base import SyncMode
from connectors.media_servers.records import SyncPlan
from medialake import progress
from medialake.runtime import settings
from tasks import server_progress
from tasks.context import engine, flow_run_id, logger, warehouse
from tasks.errors import TaskError
from tasks.unchanged import CURSOR_KEY
from warehouse import library, runs, spool
from warehouse.current import build
from warehouse.db import WarehouseBusy, WarehouseError
from warehouse.upsert import frame_from_flat_records

if TYPE_CHECKING:
    from collections.abc import Iterator

    from connectors.media_servers.records import LibraryBatch


@dataclass(slots=True)
class BatchResult:
    """What one stored batch contributed to its run."""

    seen_ids: set[str] = field(default_factory=set)
    counts: runs.RunCounts = field(default_factory=runs.RunCounts)


class SyncRunning(TaskError, RuntimeError):
    """Another sync of the server is running (in this process or another machine)."""


@contextmanager
def server_lock(server: str, mode: SyncMode) -> Iterator[None]:
    """Hold the server's sync lock for the whole run: one sync of a server at a time
    on every machine, so a ``running`` row the next run finds was truly left by a
    process that ended. A run refused because another holds it still gets its row
    (``failed``, naming the holder)."""
    with ExitStack() as stack:
        try:
            stack.enter_context(warehouse().exclusive(f"sync-{server}"))
        except WarehouseBusy as exc:
            reason = str(exc).removeprefix("the warehouse is busy: ")
            reason = f"another sync of {server} is running: {reason}"
            run_id = uuid.uuid4().hex
            with warehouse().write() as con:
                runs.start_run(con, run_id, server, mode.value, flow_run_id())
                runs.finish_run(con, run_id, "failed", runs.RunCounts(), error=reason)
            raise SyncRunning(reason) from None
        yield


@contextmanager
def recorded(server: str, mode: SyncMode, run_id: str) -> Iterator[None]:
    """Make sure a run the warehouse refuses still gets its row: when the warehouse
    cannot be opened or written (its write lock held past ``lock_timeout_s``), the
    failed run goes to the spool (:mod:`warehouse.spool`), which the next process to
    reach the warehouse replays into ``sync_runs``."""
    try:
        yield
    except WarehouseError as exc:
        cause = exc.__context__
        reason = (
            f"{cause}; then {exc}" if cause and str(cause) != str(exc) else f"{exc}"
        )
        spool.spool_failed_run(
            build().location,
            server,
            mode.value,
            f"the warehouse refused the run: {reason}",
            run_id=run_id,
            flow_run_id=flow_run_id(),
        )
        logger().error("%s: run %s failed and was spooled: %s", server, run_id, reason)
        raise


@task(name="sync-open-run", cache_policy=NO_CACHE)
def open_run(server: str, mode: SyncMode, run_id: str | None = None) -> str:
    """Record the server and a new ``running`` run; close runs a killed process left.
    Runs refused earlier (spooled) are recorded first."""
    client = engine().get(server)
    run_id = run_id or uuid.uuid4().hex
    spool.replay(warehouse())
    with warehouse().write() as con:
        library.upsert_server(con, server, client.kind, client.public_location())
        runs.close_interrupted(con, server)
        runs.start_run(con, run_id, server, mode.value, flow_run_id())
    return run_id


@task(name="sync-plan", cache_policy=NO_CACHE)
def plan(server: str, run_id: str, mode: SyncMode, batch_size: int) -> SyncPlan:
    """List what to read, given what the warehouse already holds for the server."""
    with warehouse().read() as con:
        known = library.known_fingerprints(con, server)
        # no active row: a count (removed rows included) tells a first scan, which has
        # nothing to compare with, to move or to remove
        fresh = not known and library.count_rows(con, server) == 0
        cursor = None if fresh else library.get_state(con, server, CURSOR_KEY)
    result = engine().get(server).plan_sync(mode, known, cursor, batch_size)
    result.fresh = fresh
    with warehouse().write() as con:
        runs.add_progress(con, run_id, len(result.unchanged), result.total_items)
    logger().info(
        "%s: %d items listed, %d unchanged, %d batches to read",
        server,
        result.total_items,
        len(result.unchanged),
        len(result.units),
    )
    return result


@task(name="sync-read-batch", cache_policy=NO_CACHE)
def read_and_store(
    server: str, run_id: str, unit: Any, fresh: bool = False
) -> BatchResult:
    """Read one unit of work from the server and merge it into the warehouse
    (append its items when ``fresh``, the plan found no row of the server, and the
    server's listing names each item once)."""
    client = engine().get(server)
    batch = client.read_unit(unit)
    frames = batch_frames(server, batch)
    append = fresh and client.lists_each_item_once
    with warehouse().write() as con:
        counts = library.write_batch(con, frames, fresh=append)
        server_progress.store(con, server, batch)
        done, total = runs.add_progress(con, run_id, batch.files() or _size(batch))
    progress.report(server, done, total)
    return BatchResult(
        seen_ids=batch.native_ids(),
        counts=runs.RunCounts(
            added=counts.added, updated=counts.updated, failed=batch.failed
        ),
    )


def _size(batch: LibraryBatch) -> int:
    items = [len(getattr(batch, t)) for t in ("tracks", "movies", "episodes")]
    columns = [batch.frames[t].height for t in _ITEMS & batch.frames.keys()]
    return sum(items) + sum(columns)


_ITEMS = {"tracks", "movies", "episodes"}


def batch_frames(server: str, batch: LibraryBatch) -> dict[str, Any]:
    """The batch's records as frames by table, each with its ``server_id`` (rows a
    reader sent as columns get the column; records are turned into columns here)."""
    frames = {
        table: frame.select(pl.lit(server).alias("server_id"), pl.all())
        for table, frame in batch.frames.items()
    }
    for table, records in batch.tables().items():
        if records:
            frames[table] = frame_from_flat_records(records, server_id=server)
    return frames


@task(name="sync-finish", cache_policy=NO_CACHE)
def finish(
    server: str, run_id: str, plan_result: SyncPlan, results: list[BatchResult]
) -> dict[str, Any]:
    """Detect removals (when the listing was complete), store the cursor, close the
    run."""
    counts = runs.RunCounts(seen=plan_result.total_items)
    seen = set(plan_result.unchanged)
    for result in results:
        seen |= result.seen_ids
        counts.added += result.counts.added
        counts.updated += result.counts.updated
        counts.failed += result.counts.failed
    reason = None
    with warehouse().write() as con:
        # a first scan (fresh) wrote every row the server has: nothing to remove
        if plan_result.complete and not plan_result.fresh:
            removal = library.detect_removals(
                con, server, seen, settings().sync.removal_threshold
            )
            counts.removed, reason = removal.removed, removal.suspect_reason
        if plan_result.cursor and reason is None:
            library.set_state(con, server, CURSOR_KEY, plan_result.cursor)
        status = "suspect" if reason else "succeeded"
        runs.finish_run(con, run_id, status, counts, suspect_reason=reason)
        library.set_server_status(con, server, "suspect" if reason else "ok", reason)
    if reason:
        logger().warning("%s: run marked suspect, nothing removed: %s", server, reason)
    return {
        "server": server,
        "run_id": run_id,
        "status": status,
        "reason": reason,
        **asdict(counts),
    }


@task(name="sync-close-run", cache_policy=NO_CACHE)
def close_run(server: str, run_id: str, status: str, reason: str) -> dict[str, Any]:
    """Close a run that could not proceed: ``suspect`` (library unavailable) or
    ``failed``."""
    with warehouse().write() as con:
        runs.finish_run(
            con,
            run_id,
            status,
            runs.RunCounts(),
            suspect_reason=reason if status == "suspect" else None,
            error=reason if status == "failed" else None,
        )
        library.set_server_status(
            con, server, "suspect" if status == "suspect" else "error", reason
        )
    logger().warning("%s: run %s: %s", server, status, reason)
    return {
        "server": server,
        "run_id": run_id,
        "status": status,
        "reason": reason,
        **asdict(runs.RunCounts()),
    }
