"""Benchmark: an unchanged incremental rescan as the user runs it, the whole command.

``medialake sync bench`` over the 20,000-file bench library, nothing changed since the
last run, timed from the shell's point of view (process start, imports, the Prefect
API, the flow, the summary). Two ways, measured in this run:

- baseline: a Prefect server for each command (``[prefect] server = "ephemeral"``,
  what every command paid before the reused server);
- reused: the background server the first command starts (``"background"``, the
  default), as with ``medialake up`` running.

CPU is the command's own (user + system, its waited-for children included) plus, for
the reused server, what the server spent during the command. The per-command server of
the baseline is not waited for by the command, so its CPU is not counted: the
baseline's CPU is an underestimate.

    uv run python -m bench.cli_rescan [--files 20000] [--runs 3]
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

from bench.build_library import DEFAULT_DEST, build_bench_library


def run_command(env: dict[str, str], *args: str) -> tuple[float, float]:
    """Run ``medialake ARGS``; return (wall seconds, CPU seconds of it)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", *args],
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


def measure(env: dict[str, str], home: Path, runs: int) -> list[tuple[float, float]]:
    """``runs`` unchanged incremental syncs: (wall, CPU incl. the server's) each."""
    out = []
    for _ in range(runs):
        _, before = server_cpu(home)
        wall, cpu = run_command(env, "sync", "bench")
        _, after = server_cpu(home)
        out.append((wall, cpu + max(0.0, after - before)))
    return out


def line(label: str, figures: list[tuple[float, float]]) -> tuple[float, float]:
    wall = statistics.median(w for w, _ in figures)
    cpu = statistics.median(c for _, c in figures)
    runs = len(figures)
    print(f"{label:<34} {wall:6.2f} s wall  {cpu:6.2f} CPU-s  (median of {runs})")
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    library = build_bench_library(DEFAULT_DEST, args.files)
    with tempfile.TemporaryDirectory(prefix="medialake-bench-") as tmp:
        home = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.update(
            MEDIALAKE_HOME=str(home),
            MEDIALAKE_SERVERS_BENCH_KIND="filesystem",
            MEDIALAKE_SERVERS_BENCH_ROOTS=str(library),
            MEDIALAKE_PREFECT_SERVER="ephemeral",
        )
        load = run_command(env, "sync", "bench", "--mode", "full")
        print(f"library: {args.files} files; first full sync {load[0]:.1f} s")
        base_wall, base_cpu = line(
            "baseline: a server per command", measure(env, home, args.runs)
        )
        env["MEDIALAKE_PREFECT_SERVER"] = "background"
        line("reused: the first (starts it)", measure(env, home, 1))
        wall, cpu = line("reused: later commands", measure(env, home, args.runs))
        proc, _ = server_cpu(home)
        run_command(env, "server", "stop")
        if proc is not None and proc.is_running():
            proc.kill()
    print(
        f"reused vs baseline: {base_wall / wall:.1f}x faster wall, "
        f"{base_cpu / cpu:.1f}x less CPU (target: < 2 s wall; beet update 2.7 s and "
        "a supysonic rescan 11.7 s as measured in issue 14, not here)"
    )


if __name__ == "__main__":
    main()
