"""Prefect tasks of an enrichment run: open, probe batches, identify batches, write
back, finish.

A task handles a batch (hundreds of files, tens of albums), never one item. ffprobe runs
in a thread pool inside the probe task, bounded for the whole process by
``enrichment.probe_workers``. Service faults never fail a task: when TMDb or
MusicBrainz is unreachable or refuses the key, the rest of the batch is recorded as
``skipped`` with the reason and the next run picks it up.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import polars as pl
from prefect import task
from prefect.cache_policies import NO_CACHE

from connectors.errors import AuthError, ConnectorError, TransientError
from connectors.media_servers.base import Unsupported
from connectors.metadata import artwork, identify, probe, services
from medialake import progress
from medialake.runtime import settings
from tasks.context import engine, flow_run_id, logger, warehouse
from warehouse import enrichment as store

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

PROBE_LABEL, IDENTIFY_LABEL = "enrich:probe", "enrich:identify"
_probe_slots: dict[int, threading.BoundedSemaphore] = {}
_lock = threading.Lock()
_progress: dict[str, list[int]] = {}


@task(name="enrich-open-run", cache_policy=NO_CACHE)
def open_run() -> str:
    """Record a new ``running`` enrichment run."""
    run_id = uuid.uuid4().hex
    with warehouse().write() as con:
        store.start_run(con, run_id, flow_run_id())
    with _lock:
        _progress.clear()
    return run_id


@task(name="enrich-plan-probes", cache_policy=NO_CACHE)
def plan_probes(run_id: str, redo: bool = False) -> list[list[dict[str, Any]]]:
    """Files to probe (new or changed since their last probe), in batches."""
    with warehouse().read() as con:
        files = store.files_to_probe(con, redo)
    size = settings().enrichment.probe_batch_size
    with warehouse().write() as con:
        store.add_progress(con, run_id, 0, len(files))
    _start_progress(PROBE_LABEL, len(files))
    logger().info("enrich: %d files to probe", len(files))
    return [files[i : i + size] for i in range(0, len(files), size)]


@task(name="enrich-probe-batch", cache_policy=NO_CACHE)
def probe_batch(run_id: str, files: list[dict[str, Any]]) -> dict[str, int]:
    """ffprobe every file of the batch (bounded parallelism) and store what it found."""
    config = settings().enrichment
    exe = probe.ffprobe_path()
    slots = _slots(config.probe_workers)

    def one(file: dict[str, Any]) -> probe.ProbeResult | None:
        local = _local_path(file["server_id"], file["path"])
        if local is None:
            return None
        with slots:
            result = probe.probe_file(
                local, timeout_s=config.probe_timeout_s, ffprobe=exe
            )
        _advance(PROBE_LABEL)
        return result

    with ThreadPoolExecutor(max_workers=config.probe_workers) as pool:
        results = list(pool.map(one, files))
    probes, streams = probe_frames(run_id, files, results)
    with warehouse().write() as con:
        store.store_probes(con, probes, streams)
        store.add_progress(con, run_id, len(files))
    errors = sum(1 for r in results if r is None or not r.ok)
    return {"probed": len(files), "probe_errors": errors}


@task(name="enrich-plan-identify", cache_policy=NO_CACHE)
def plan_identify(run_id: str, redo: bool = False) -> list[dict[str, Any]]:
    """Apply manual overrides, then list what to identify, as units of work by kind."""
    size = settings().enrichment.identify_batch_size
    with warehouse().write() as con:
        store.apply_overrides(con, run_id)
        found = {
            "movie": store.movies_to_identify(con, redo),
            "show": store.shows_to_identify(con, redo),
            "album": store.albums_to_identify(con, redo),
        }
        total = sum(len(items) for items in found.values())
        store.add_progress(con, run_id, 0, total)
    _start_progress(IDENTIFY_LABEL, total)
    logger().info("enrich: %s to identify", {k: len(v) for k, v in found.items()})
    return [
        {"kind": kind, "items": items[i : i + size]}
        for kind, items in found.items()
        for i in range(0, len(items), size)
    ]


@task(name="enrich-identify-batch", cache_policy=NO_CACHE)
def identify_batch(run_id: str, unit: dict[str, Any]) -> dict[str, int]:
    """Identify one unit (movies, shows or albums); a service fault skips the rest."""
    kind, items = unit["kind"], unit["items"]
    config = settings().enrichment
    cache = store.WarehouseCache(
        warehouse(), config.cache_ttl_days, config.not_found_ttl_days
    )
    svc = services.build(config, settings().home, cache, _local_path)
    outcomes: list[identify.Outcome] = []
    stop = svc.unavailable(kind)
    for item in items:
        if stop is None:
            try:
                outcomes.append(getattr(svc.identifier, kind)(item))
            except (AuthError, TransientError) as exc:
                stop = services.skip_reason(exc)
                logger().warning("enrich: %s; skipping the rest of this batch", stop)
        if stop is not None:
            outcomes.append(identify.skipped(kind, item, stop))
        _advance(IDENTIFY_LABEL)
    images = _artwork(svc, outcomes) if config.download_artwork else []
    identities, candidates = identity_frames(run_id, outcomes)
    with warehouse().write() as con:
        store.store_cache(con, cache.drain())
        store.store_identities(con, identities, candidates)
        store.store_rows(con, "artwork", images, ("provider", "provider_id", "kind"))
        store.add_progress(con, run_id, len(items))
    svc.close()
    return services.decision_counts(outcomes, svc.stats, kind)


@task(name="enrich-writeback", cache_policy=NO_CACHE)
def writeback(run_id: str) -> dict[str, int]:
    """Send accepted album covers and artist genres to the active server, once each;
    an operation the server cannot do is recorded as ``unsupported``."""
    eng = engine()
    server = eng.active.name
    with warehouse().read() as con:
        plan = store.writeback_plan(con, server)
    rows = []
    for item in plan:
        payload: Any = item["payload"]
        if item["operation"] == "set_album_poster":
            payload = (settings().home / payload).read_bytes()
        else:
            payload = [g for g in str(payload).split("|") if g]
        try:
            result = eng.call(
                item["operation"], item["native_id"], payload, server=server
            )
        except (ConnectorError, OSError) as exc:
            outcome, detail = "failed", str(exc) or type(exc).__name__
        else:
            unsupported = isinstance(result, Unsupported)
            outcome = (
                "unsupported" if unsupported else "written" if result else "failed"
            )
            detail = str(result) if unsupported else ""
        rows.append(
            {
                "server_id": server,
                "entity": item["entity"],
                "native_id": item["native_id"],
                "operation": item["operation"],
                "payload_key": item["payload_key"],
                "outcome": outcome,
                "detail": detail,
                "run_id": run_id,
            }
        )
    with warehouse().write() as con:
        store.store_rows(
            con, "writebacks", rows, ("server_id", "entity", "native_id", "operation")
        )
    return {"writebacks": sum(1 for r in rows if r["outcome"] == "written")}


@task(name="enrich-finish", cache_policy=NO_CACHE)
def finish(run_id: str, parts: list[dict[str, int]]) -> dict[str, Any]:
    """Add up the batches' counts and close the run as succeeded."""
    counts: dict[str, int] = dict.fromkeys(store.RUN_COUNTS, 0)
    for part in parts:
        for name, value in part.items():
            counts[name] = counts.get(name, 0) + value
    with warehouse().write() as con:
        store.finish_run(con, run_id, "succeeded", counts)
    return {"run_id": run_id, "status": "succeeded", **counts}


@task(name="enrich-fail-run", cache_policy=NO_CACHE)
def fail_run(run_id: str, error: str) -> None:
    """Close the run as failed with its error text."""
    with warehouse().write() as con:
        store.finish_run(con, run_id, "failed", {}, error=error)


def _slots(workers: int) -> threading.BoundedSemaphore:
    """One ffprobe semaphore per process and size: the bound holds across batches."""
    with _lock:
        return _probe_slots.setdefault(workers, threading.BoundedSemaphore(workers))


def _start_progress(label: str, total: int) -> None:
    with _lock:
        _progress[label] = [0, total]
    progress.report(label, 0, total)


def _advance(label: str) -> None:
    with _lock:
        state = _progress.setdefault(label, [0, 0])
        state[0] += 1
        done, total = state
    progress.report(label, done, max(total, done))


def _artwork(
    svc: services.Services, outcomes: Sequence[identify.Outcome]
) -> list[dict[str, Any]]:
    with warehouse().read() as con:
        known = store.known_artwork(con)
    return artwork.fetch_all(
        outcomes, settings().home, known, svc.tmdb, svc.musicbrainz
    )


_PROBE_SCHEMA: dict[str, Any] = {
    "server_id": pl.String,
    "native_id": pl.String,
    "probe_key": pl.String,
    "status": pl.String,
    "container": pl.String,
    "duration_s": pl.Float64,
    "bitrate": pl.Int64,
    "video_streams": pl.Int32,
    "audio_streams": pl.Int32,
    "subtitle_streams": pl.Int32,
    "error": pl.String,
    "probe_seconds": pl.Float64,
    "run_id": pl.String,
    "probed_at": pl.Datetime("us", "UTC"),
}
_STREAM_COLUMNS = list(probe.StreamInfo.__dataclass_fields__)


def probe_frames(
    run_id: str,
    files: Sequence[dict[str, Any]],
    results: Sequence[probe.ProbeResult | None],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``media_probes`` and ``media_streams`` rows for a probed batch (None: the file
    cannot be reached from this machine)."""
    now, rows, streams = datetime.now(UTC), [], []
    for file, result in zip(files, results, strict=True):
        res = result or probe.ProbeResult(error="not reachable from this machine")
        kinds = [s.kind for s in res.streams]
        status = "unreachable" if result is None else "ok" if res.ok else "error"
        rows.append(
            {
                "server_id": file["server_id"],
                "native_id": file["native_id"],
                "probe_key": file["probe_key"],
                "status": status,
                "container": res.container,
                "duration_s": res.duration_s,
                "bitrate": res.bitrate,
                "video_streams": kinds.count("video"),
                "audio_streams": kinds.count("audio"),
                "subtitle_streams": kinds.count("subtitle"),
                "error": res.error,
                "probe_seconds": round(res.seconds, 4),
                "run_id": run_id,
                "probed_at": now,
            }
        )
        for stream in res.streams:
            values = {name: getattr(stream, name) for name in _STREAM_COLUMNS}
            streams.append(
                {
                    "server_id": file["server_id"],
                    "native_id": file["native_id"],
                    **values,
                }
            )
    frame = pl.DataFrame(rows, schema=_PROBE_SCHEMA)
    return frame, pl.DataFrame(streams, infer_schema_length=None)


_IDENTITY_SCHEMA: dict[str, Any] = {
    "entity": pl.String,
    "server_id": pl.String,
    "native_id": pl.String,
    "item_key": pl.String,
    "provider": pl.String,
    "provider_id": pl.String,
    "title": pl.String,
    "year": pl.Int32,
    "status": pl.String,
    "confidence": pl.Float64,
    "reason": pl.String,
    "decided_by": pl.String,
    "genres": pl.List(pl.String),
}
_CANDIDATE_SCHEMA: dict[str, Any] = {
    "entity": pl.String,
    "server_id": pl.String,
    "native_id": pl.String,
    "provider": pl.String,
    "provider_id": pl.String,
    "rank": pl.Int32,
    "title": pl.String,
    "year": pl.Int32,
    "score": pl.Float64,
    "components": pl.String,
    "why": pl.String,
}


def identity_frames(
    run_id: str, outcomes: Sequence[identify.Outcome]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``identities`` and ``identity_candidates`` rows of a batch, stamped with the
    run."""
    now = datetime.now(UTC)
    stamp = [pl.lit(run_id).alias("run_id")]
    identities = pl.DataFrame(
        [row for out in outcomes for row in out.identities], schema=_IDENTITY_SCHEMA
    ).with_columns(*stamp, pl.lit(now).alias("decided_at"))
    candidates = pl.DataFrame(
        [row for out in outcomes for row in out.candidates], schema=_CANDIDATE_SCHEMA
    ).with_columns(*stamp, pl.lit(now).alias("scored_at"))
    return identities, candidates


def _local_path(server_id: str, path: str) -> Path | None:
    """Where a server's file can be read here (None: not reachable from this
    machine)."""
    try:
        client = engine().get(server_id)
    except KeyError:
        return None
    return client.local_path(path)
