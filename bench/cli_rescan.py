"""Benchmark: an unchanged incremental rescan as the user runs it, the whole command.

``medialake sync bench`` over the 20,000-file bench library (or the sample library,
``--library sample``), nothing changed since the last run, timed from the shell's point
of view (process start, imports, the warehouse, Prefect, the summary). Measured in this
run, one after the other:

- baseline: the flow with a Prefect server per command (``[prefect] server =
  "ephemeral"``, ``[sync] quick_unchanged = false``: every command before issue 14);
- the flow with the reused background server (``quick_unchanged = false``: what the
  first part of issue 14 landed);
- a scheduled run's CPU: the flow in a process of its own, as Prefect's process worker
  runs it, with task runs and with the fast path;
- the unchanged fast path (the default) while a Prefect server runs (as with
  ``medialake up``: the run is also recorded in the Prefect UI over its REST API);
- the unchanged fast path with no Prefect server running at all;
- with ``--compare``: ``beet update`` (beets 2.14.1) and a supysonic 0.7.9 rescan
  (``supysonic-cli folder scan``) of the same, unchanged, library, each in a throwaway
  virtual environment under ``bench/.work`` (never in the product).

CPU is the command's own (user + system, its waited-for children included) plus what
the reused server spent during the command. The per-command server of the baseline is
not waited for by the command, so its CPU is not counted: the baseline's CPU is an
underestimate.

    uv run python -m bench.cli_rescan [--files 20000] [--runs 3] [--library sample]
        [--compare] [--fast-only]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from bench import command_env
from bench.build_library import DEFAULT_DEST, build_bench_library

# What a scheduled run costs: the flow in a process of its own, as Prefect's process
# worker starts one per flow run (the worker's own polling not counted).
SCHEDULED = """
from medialake.runtime import connect_prefect, prepare_environment
prepare_environment()
connect_prefect()
from flows.library_sync import library_sync
library_sync(server="bench", mode="incremental")
"""


def run_command(env: dict[str, str], *args: str) -> tuple[float, float]:
    """Run ``medialake ARGS`` (``-c CODE``: that Python code); return (wall seconds,
    CPU seconds of it)."""
    started = time.perf_counter()
    argv = list(args) if args[0] == "-c" else ["-m", "cli", *args]
    process = subprocess.Popen(
        [sys.executable, *argv],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"medialake {' '.join(args)} failed")
    return wall, usage.ru_utime + usage.ru_stime


def server_cpu(home: Path) -> tuple[psutil.Process | None, float]:
    """The recorded background server (its keeper) and the CPU it and the server
    have used so far."""
    try:
        pid = json.loads((home / "prefect" / "server.json").read_text())["pid"]
        proc = psutil.Process(pid)
        used = 0.0
        for each in (proc, *proc.children(recursive=True)):
            times = each.cpu_times()
            used += times.user + times.system
    except (OSError, psutil.NoSuchProcess):
        return None, 0.0
    return proc, used


def measure(
    env: dict[str, str], home: Path, runs: int, *command: str
) -> list[tuple[float, float]]:
    """``runs`` unchanged incremental syncs (``medialake sync bench``, or
    ``command``): (wall, CPU incl. the server's) each."""
    out = []
    for _ in range(runs):
        _, before = server_cpu(home)
        wall, cpu = run_command(env, *(command or ("sync", "bench")))
        _, after = server_cpu(home)
        out.append((wall, cpu + max(0.0, after - before)))
    return out


def line(label: str, figures: list[tuple[float, float]]) -> tuple[float, float]:
    wall = statistics.median(w for w, _ in figures)
    cpu = statistics.median(c for _, c in figures)
    runs = len(figures)
    print(f"{label:<34} {wall:6.2f} s wall  {cpu:6.2f} CPU-s  (median of {runs})")
    return wall, cpu


def fast_path_rows(env: dict[str, str], home: Path, runs: int) -> float:
    """The flow with the reused server, then the unchanged fast path with a server
    running and with none; return the fast path's median wall time (server running)."""
    env.update(MEDIALAKE_PREFECT_SERVER="background")
    line("flow, reused server: the first", measure(env, home, 1))
    line("flow, reused server: later", measure(env, home, runs))
    line("scheduled run, task runs", measure(env, home, runs, "-c", SCHEDULED))
    env["MEDIALAKE_SYNC_QUICK_UNCHANGED"] = "true"
    line("scheduled run, fast path", measure(env, home, runs, "-c", SCHEDULED))
    wall, _ = line("fast path, a server running", measure(env, home, runs))
    proc, _ = server_cpu(home)
    run_command(env, "server", "stop")
    if proc is not None and proc.is_running():
        proc.kill()
    line("fast path, no server running", measure(env, home, runs))
    if (home / "prefect" / "server.json").exists():
        raise SystemExit("the fast path started a Prefect server")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--library", choices=("bench", "sample"), default="bench")
    parser.add_argument("--compare", action="store_true", help="beets and supysonic")
    parser.add_argument(
        "--fast-only",
        action="store_true",
        help="only the fast path with no server running (then --compare's peers)",
    )
    args = parser.parse_args()
    if args.library == "sample":
        from medialake.sample import generate_sample

        library = generate_sample(DEFAULT_DEST.parent / "sample").root
    else:
        library = build_bench_library(DEFAULT_DEST, args.files)
    with tempfile.TemporaryDirectory(prefix="medialake-bench-") as tmp:
        home = Path(tmp)
        env = command_env(home, "bench", library)
        load = run_command(env, "sync", "bench", "--mode", "full")
        print(f"library: {library} ({args.library}); first full sync {load[0]:.1f} s")
        if args.fast_only:
            env["MEDIALAKE_SYNC_QUICK_UNCHANGED"] = "true"
            fast = measure(env, home, args.runs)
            wall, _ = line("fast path, no server running", fast)
            if args.compare:
                from bench.rescan_peers import compare

                compare(library, args.runs, wall)
            return
        base = measure(env, home, args.runs)
        base_wall, _ = line("baseline: flow, server per command", base)
        wall = fast_path_rows(env, home, args.runs)
    print(f"fast path vs baseline: {base_wall / wall:.1f}x faster wall")
    if args.compare:
        from bench.rescan_peers import compare

        compare(library, args.runs, wall)


if __name__ == "__main__":
    main()
