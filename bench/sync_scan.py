"""Benchmark: first scan vs unchanged rescan of a 20,000-file library, against mutagen
reading the same files in 2 processes, all measured in this run.

Measures, with the tag reader's fallbacks and move detection on (they always are):

- the baseline: ``mutagen.File`` over every file in 2 worker processes (the machine's
  ceiling for reading tags);
- CPU per file of the scan's read path against ``mutagen.File`` on 2,000 of the files
  in one process (CPU time: the one ratio a loaded machine does not distort);
- the flow alone: the task functions of ``library_sync`` called in the flow's order
  and with its two batch threads, without Prefect's start-up (first scan, then
  unchanged rescans), in wall-clock time and in CPU time (its process and its reader
  processes, against mutagen's reader processes: a loaded machine distorts this
  ratio far less);
- a rescan after renaming a folder of 100 files (move detection at work);
- the whole command (``medialake sync --mode full`` in a fresh process and a fresh
  warehouse), unless ``--no-command``: once starting the background Prefect server (a
  first command: the server's database is new), once with that server running (every
  later command); the server is stopped afterwards.

    uv run python -m bench.sync_scan [--files 20000] [--no-command]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from bench.build_library import DEFAULT_DEST, build_bench_library

WORKERS = 2


def sync_once(server: str, mode: str) -> dict[str, object]:
    """One run through the task functions, as flows/library_sync.py composes them."""
    from connectors.media_servers.base import SyncMode
    from medialake.runtime import settings
    from tasks import library_sync as t

    sync_mode = SyncMode(mode)
    run_id = t.open_run.fn(server, sync_mode)
    plan = t.plan.fn(server, run_id, sync_mode, settings().sync.batch_size)
    with ThreadPoolExecutor(2) as pool:  # the flow's ThreadPoolTaskRunner(2)
        results = list(
            pool.map(
                lambda unit: t.read_and_store.fn(server, run_id, unit, plan.fresh),
                plan.units,
            )
        )
    return t.finish.fn(server, run_id, plan, results)


def timed(server: str, mode: str) -> tuple[float, dict[str, object]]:
    started = time.perf_counter()
    summary = sync_once(server, mode)
    return time.perf_counter() - started, summary


def timed_cpu(server: str, mode: str) -> tuple[float, float, float, dict[str, object]]:
    """:func:`timed`, with the CPU seconds of this process and of its readers."""
    cpu, readers = time.process_time(), _children_cpu()
    seconds, summary = timed(server, mode)
    cpu, readers = time.process_time() - cpu, _children_cpu() - readers
    return seconds, cpu, readers, summary


def _read_tags(paths: list[str]) -> int:
    import mutagen

    for path in paths:
        mutagen.File(path)
    return len(paths)


def mutagen_rate(library: Path) -> tuple[int, float, float]:
    """(files, files/s, CPU s) of mutagen alone over the library in ``WORKERS``
    processes (the CPU time of the processes' reading, start-up excluded)."""
    files = sorted(str(p) for p in (library / "Music").rglob("*") if p.is_file())
    step = max(1, len(files) // (WORKERS * 16))
    chunks = [files[i : i + step] for i in range(0, len(files), step)]
    with ProcessPoolExecutor(WORKERS) as pool:
        list(pool.map(_read_tags, [[] for _ in range(WORKERS)]))  # started
        before = _children_cpu()
        started = time.perf_counter()
        done = sum(pool.map(_read_tags, chunks))
        rate = done / (time.perf_counter() - started)
        cpu = _children_cpu() - before
    return done, rate, cpu


def _children_cpu() -> float:
    """CPU seconds of this process's live child processes (the readers)."""
    import psutil

    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def read_cpu(library: Path, sample: int = 2000) -> tuple[int, float, float]:
    """(files, CPU s of mutagen.File, CPU s of the scan's read path) over the same
    ``sample`` files in this one process: CPU time, so the ratio holds on a loaded
    machine where wall-clock rates do not (the read path: tags with their fallbacks
    and cross-checks, the content key for move detection, the records)."""
    import mutagen

    from connectors.media_servers.filesystem.reader import read_entries
    from connectors.media_servers.filesystem.scan import walk_roots

    entries = list(walk_roots([library]))[:: max(1, 20_000 // sample)][:sample]
    paths = [os.fsdecode(os.path.join(os.fsencode(library), e.rel)) for e in entries]
    best_m, best_r = float("inf"), float("inf")
    for _ in range(3):  # best of three: the least disturbed
        started = time.process_time()
        for path in paths:
            mutagen.File(path)
        best_m = min(best_m, time.process_time() - started)
        started = time.process_time()
        read_entries([library], entries)
        best_r = min(best_r, time.process_time() - started)
    return len(paths), best_m, best_r


def command_seconds(library: Path) -> list[tuple[float, float]]:
    """``medialake sync --mode full`` in a fresh process and warehouse, twice: as a
    first command (it starts the background Prefect server, whose database is new)
    and with that server already running (as every later command finds it). The
    server is stopped afterwards. Each as (wall s, CPU s of the command and its
    reader processes; the background server's CPU is not counted)."""
    seconds: list[tuple[float, float]] = []
    for _ in range(2):
        with tempfile.TemporaryDirectory(prefix="medialake-bench-cmd-") as home:
            env = {
                **os.environ,
                "MEDIALAKE_HOME": home,
                "MEDIALAKE_SERVERS_BENCH_KIND": "filesystem",
                "MEDIALAKE_SERVERS_BENCH_ROOTS": str(library),
                "PREFECT_HOME": str(Path(home) / "prefect"),
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            }
            env.pop("PREFECT_API_URL", None)

            def cli(*args: str, env: dict[str, str] = env, check: bool = True) -> None:
                command = [sys.executable, "-m", "cli", *args]
                subprocess.run(command, env=env, check=check, stdout=subprocess.DEVNULL)

            try:
                if seconds:  # the second: against a server already running
                    cli("server", "start")
                cpu = _waited_cpu()
                started = time.perf_counter()
                cli("sync", "--mode", "full")
                wall = time.perf_counter() - started
                seconds.append((wall, _waited_cpu() - cpu))
            finally:
                cli("server", "stop", check=False)
    return seconds


def _waited_cpu() -> float:
    """CPU seconds of this process's finished child processes and theirs."""
    import resource

    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def rename_rescan(library: Path) -> tuple[float, dict[str, object]]:
    """Rename the first album folder (10 files) ten times over 10 albums: a folder
    of 100 files moved, then a full rescan."""
    artist = sorted((library / "Music").iterdir())[0]
    moved = artist.with_name(artist.name + " (moved)")
    # an artist holds 200 files; move 100 of them (10 albums) into a new folder
    moved.mkdir(exist_ok=True)
    albums = sorted(p for p in artist.iterdir() if p.is_dir())[:10]
    for album in albums:
        album.rename(moved / album.name)
    try:
        return timed("bench", "full")
    finally:
        for album in albums:
            (moved / album.name).rename(album)
        shutil.rmtree(moved, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--rescans", type=int, default=5)
    parser.add_argument("--no-command", action="store_true")
    args = parser.parse_args()
    library = build_bench_library(DEFAULT_DEST, args.files)
    count, baseline, baseline_cpu = mutagen_rate(library)
    sampled, mutagen_cpu, read_cpu_s = read_cpu(library)
    with tempfile.TemporaryDirectory(prefix="medialake-bench-") as home:
        os.environ["MEDIALAKE_HOME"] = home
        os.environ["MEDIALAKE_SERVERS_BENCH_KIND"] = "filesystem"
        os.environ["MEDIALAKE_SERVERS_BENCH_ROOTS"] = str(library)
        import tasks.library_sync  # noqa: F401  (imports are set-up, not scan)
        from connectors.media_servers.filesystem import pool
        from tasks.context import warehouse

        warehouse()  # migrations are set-up, not scan
        pool.prime()  # so are the worker processes' start and imports
        first, parent_cpu, readers_cpu, summary = timed_cpu("bench", "full")
        rescans = [timed("bench", "full")[0] for _ in range(args.rescans)]
        moved_s, moved = rename_rescan(library)
    commands = None if args.no_command else command_seconds(library)
    files = int(summary["seen"])  # type: ignore[call-overload]
    rescan = statistics.median(rescans)
    flow_rate = files / first
    print(f"library: {files} files ({Path(library).name}); mutagen read {count}")
    print(f"baseline, mutagen in {WORKERS} processes: {baseline:8.0f} files/s")
    print(
        f"CPU per file over {sampled} files, one process: mutagen.File"
        f" {mutagen_cpu / sampled * 1e3:.3f} ms, the scan's read path"
        f" {read_cpu_s / sampled * 1e3:.3f} ms = {mutagen_cpu / read_cpu_s:6.1%}"
        " of mutagen's rate"
    )
    print(
        f"first scan, flow alone: {first:7.2f} s  {flow_rate:8.0f} files/s"
        f"  = {flow_rate / baseline:6.1%} of the baseline (target >= 50%)"
    )
    flow_cpu = parent_cpu + readers_cpu
    print(
        f"first scan, flow alone, CPU: {parent_cpu:.2f} s in the flow's process +"
        f" {readers_cpu:.2f} s in its readers = {flow_cpu:.2f} CPU-s, against"
        f" {baseline_cpu:.2f} CPU-s for mutagen = {baseline_cpu / flow_cpu:6.1%}"
        " (the rate ratio on a machine whose 2 cores are both busy)"
    )
    if commands is not None:
        cores = os.cpu_count() or 1
        for what, (command, cpu) in zip(
            ("starting the Prefect server", "the Prefect server already running"),
            commands,
            strict=True,
        ):
            rate = files / command
            print(
                f"first scan, whole command ({what}): {command:7.2f} s"
                f"  {rate:8.0f} files/s  = {rate / baseline:6.1%} of the baseline;"
                f" {cpu:.2f} CPU-s, so even with all {cores} cores busy throughout"
                f" at best {files / (cpu / cores) / baseline:6.1%}"
                f" ({cpu - flow_cpu:.2f} CPU-s more than the flow alone)"
            )
    print(f"unchanged scan: {rescan:7.2f} s  median of {len(rescans)} (target < 2 s)")
    print(f"rescan / first: {rescan / first:7.1%}  (target < 10%)")
    print(
        f"rescan after moving a folder of 100 files: {moved_s:7.2f} s,"
        f" added {moved['added']}, removed {moved['removed']}"
        f" ({moved_s / rescan:.2f}x the unchanged rescan)"
    )


if __name__ == "__main__":
    main()
