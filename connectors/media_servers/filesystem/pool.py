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
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from connectors.media_servers.filesystem.reader import read_entries
from connectors.media_servers.records import LibraryBatch
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


def prime() -> None:
    """Start the worker processes and their imports now (a benchmark's set-up)."""
    pool = _pool()
    if pool is not None:
        for future in [pool.submit(read_entries, [], []) for _ in range(workers())]:
            future.result()


def read_parallel(roots: Sequence[Path], entries: Sequence[ScanEntry]) -> LibraryBatch:
    """:func:`read_entries` over ``entries``, split across the worker processes."""
    pool = _pool() if len(entries) >= IN_PLACE_BELOW else None
    if pool is None:
        return read_entries(roots, entries)
    parts = workers()
    step = -(-len(entries) // parts)
    chunks = [list(entries[i : i + step]) for i in range(0, len(entries), step)]
    try:
        futures = [pool.submit(read_entries, list(roots), chunk) for chunk in chunks]
        batches = [future.result() for future in futures]
    except BrokenProcessPool:
        _reset()
        return read_entries(roots, entries)
    merged = LibraryBatch()
    for batch in batches:
        for name, records in batch.tables().items():
            getattr(merged, name).extend(records)
        merged.failed += batch.failed
    return merged
