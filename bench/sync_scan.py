"""Benchmark: first scan vs unchanged rescan of a 20,000-file library.

Measures the scan and its warehouse writes (the task functions of ``library_sync``
called in the flow's order, without Prefect's start-up) and prints files/s and the
rescan's share of the first scan, both measured in this run.

    uv run python -m bench.sync_scan [--files 20000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.build_library import DEFAULT_DEST, build_bench_library


def sync_once(server: str, mode: str) -> dict[str, object]:
    """One run through the task functions, as flows/library_sync.py composes them."""
    from connectors.media_servers.base import SyncMode
    from medialake.runtime import settings
    from tasks import library_sync as t

    sync_mode = SyncMode(mode)
    run_id = t.open_run.fn(server, sync_mode)
    plan = t.plan.fn(server, run_id, sync_mode, settings().sync.batch_size)
    results = [t.read_and_store.fn(server, run_id, unit) for unit in plan.units]
    return t.finish.fn(server, run_id, plan, results)


def timed(server: str, mode: str) -> tuple[float, dict[str, object]]:
    started = time.perf_counter()
    summary = sync_once(server, mode)
    return time.perf_counter() - started, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--rescans", type=int, default=5)
    args = parser.parse_args()
    library = build_bench_library(DEFAULT_DEST, args.files)
    with tempfile.TemporaryDirectory(prefix="medialake-bench-") as home:
        os.environ["MEDIALAKE_HOME"] = home
        os.environ["MEDIALAKE_SERVERS_BENCH_KIND"] = "filesystem"
        os.environ["MEDIALAKE_SERVERS_BENCH_ROOTS"] = str(library)
        from tasks.context import warehouse

        warehouse()  # migrations are set-up, not scan
        first, summary = timed("bench", "full")
        rescans = [timed("bench", "full")[0] for _ in range(args.rescans)]
    files = int(summary["seen"])  # type: ignore[call-overload]
    rescan = statistics.median(rescans)
    print(f"library: {files} files ({Path(library).name})")
    print(
        f"first scan:     {first:7.2f} s  {files / first:8.0f} files/s (target >= 1000)"
    )
    print(f"unchanged scan: {rescan:7.2f} s  median of {len(rescans)} (target < 2 s)")
    print(f"rescan / first: {rescan / first:7.1%}  (target < 10%)")


if __name__ == "__main__":
    main()
