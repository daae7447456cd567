"""Reading files in worker processes.

Tag reading is pure Python (mutagen): threads share one interpreter lock, so a sync's
two batch threads read no faster than one. A unit of work is therefore split across a
small pool of worker processes (started once per process, with ``spawn``: the parent
holds DuckDB and Prefect threads that must not be forked), while the parent merges
the previous batch into the warehouse. Small units are read in place: a handful of
changed files is not worth a round trip, and a broken pool falls back to reading in
place too.
"""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from connectors.media_servers.filesystem.reader import (
    read_entries,
    read_frames,
    warm_up,
)
from connectors.media_servers.records import LEAF_TABLES, LibraryBatch
from medialake.runtime import settings

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from connectors.media_servers.filesystem.scan import ScanEntry

IN_PLACE_BELOW = 200
_LOCK = threading.Lock()
_POOL: ProcessPoolExecutor | None = None


def workers() -> int:
    """Worker processes: ``[sync] read_workers`` (default 2; 1 reads in place)."""
    return settings().sync.read_workers


def _pool() -> ProcessPoolExecutor | None:
    global _POOL
    with _LOCK:
        if _POOL is None and workers() > 1:
            context = multiprocessing.get_context("spawn")
            _POOL = ProcessPoolExecutor(workers(), mp_context=context)
        return _POOL


def _reset() -> None:
    global _POOL
    with _LOCK:
        if _POOL is not None:
            _POOL.shutdown(wait=False, cancel_futures=True)
        _POOL = None


def start() -> list[Future[None]]:
    """Start the worker processes and their imports, without waiting for them: a sync
    that will read many files calls this first, so that the workers' start-up
    (seconds of imports on a loaded machine) overlaps the walk and the plan."""
    pool = _pool()
    if pool is None:
        return []
    try:
        return [pool.submit(warm_up) for _ in range(workers())]
    except BrokenProcessPool:
        _reset()
        return []


def prime() -> None:
    """Start the worker processes and their imports now (a benchmark's set-up)."""
    for future in start():
        future.result()


def read_parallel(roots: Sequence[Path], entries: Sequence[ScanEntry]) -> LibraryBatch:
    """:func:`read_entries` over ``entries``, split across the worker processes,
    which send their rows back as columns (``batch.frames``); a small unit is read in
    place, as records."""
    pool = _pool() if len(entries) >= IN_PLACE_BELOW else None
    if pool is None:
        return read_entries(roots, entries)
    parts = workers()
    step = -(-len(entries) // parts)
    chunks = [list(entries[i : i + step]) for i in range(0, len(entries), step)]
    try:
        futures = [pool.submit(read_frames, list(roots), chunk) for chunk in chunks]
        batches = [future.result() for future in futures]
    except BrokenProcessPool:
        _reset()
        return read_entries(roots, entries)
    import polars as pl

    merged = LibraryBatch()
    for name in {name for batch in batches for name in batch.frames}:
        parts_ = [b.frames[name] for b in batches if name in b.frames]
        frame = pl.concat(parts_, how="vertical_relaxed")
        if name not in LEAF_TABLES:  # an artist or album both workers met
            frame = frame.unique(subset="native_id", keep="last", maintain_order=True)
        merged.frames[name] = frame
    for batch in batches:
        merged.progress.extend(batch.progress)
        merged.failed += batch.failed
    return merged
