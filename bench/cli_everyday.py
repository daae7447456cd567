"""Benchmark: everyday commands as the user runs them, whole commands, with the way
they ran before measured in the same run.

1. ``medialake sync`` of the unchanged sample library:
   - baseline: a Prefect server per command and the flow (``[prefect] server =
     "ephemeral"``, ``[sync] quick_unchanged = false``: every command before issue 14);
   - with a Prefect server running (``medialake server start``, as under
     ``medialake up``): the unchanged run is decided and recorded without Prefect's
     client and told to the server over its REST API;
   - the second command of a session with no server started: the first command
     (``medialake sync --mode full``) started the background server, the second
     (``medialake sync``) is timed.
2. ``make demo`` on a fresh ``git clone`` of this checkout's HEAD (uv's cache warm),
   unless ``--no-demo``:
   - baseline: what ``make demo`` ran before (``uv sync --compile-bytecode``, the
     rest of ``scripts/setup.sh``, then ``medialake sample`` and ``medialake sync --mode
     full`` one after the other);
   - ``make demo`` as it is now.
   Each in its own clone; the background Prefect server the demo leaves is stopped
   after its CPU is counted.

CPU is the command's own (user + system, its waited-for children included) plus
what a background Prefect server spent during it.

    uv run python -m bench.cli_everyday [--runs 3] [--no-demo | --demo-only]
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
from pathlib import Path

from bench import command_env
from bench.build_library import DEFAULT_DEST
from bench.cli_rescan import server_cpu

REPO = Path(__file__).resolve().parent.parent


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Run ``argv``; return (wall seconds, CPU seconds of it and its children)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        err = process.stderr.read().decode()[-2000:] if process.stderr else ""
        raise SystemExit(f"{' '.join(argv)} failed: {err}")
    return wall, usage.ru_utime + usage.ru_stime


def medialake(env: dict[str, str], home: Path, *args: str) -> tuple[float, float]:
    """``medialake ARGS`` in a new process: (wall, CPU incl. the server's)."""
    _, before = server_cpu(home)
    wall, cpu = timed([sys.executable, "-m", "cli", *args], env, REPO)
    _, after = server_cpu(home)
    return wall, cpu + max(0.0, after - before)


def line(label: str, figures: list[tuple[float, float]]) -> float:
    wall = statistics.median(w for w, _ in figures)
    cpu = statistics.median(c for _, c in figures)
    print(
        f"{label:<44} {wall:6.2f} s wall  {cpu:6.2f} CPU-s  (median of {len(figures)})"
    )
    return wall


def stop_server(env: dict[str, str], home: Path, cwd: Path = REPO) -> None:
    proc, _ = server_cpu(home)
    python = cwd / ".venv" / "bin" / "python" if cwd != REPO else Path(sys.executable)
    subprocess.run(
        [str(python), "-m", "cli", "server", "stop"], env=env, cwd=cwd,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    if proc is not None and proc.is_running():
        proc.kill()


def sample_syncs(runs: int) -> None:
    from medialake.sample import generate_sample

    library = generate_sample(DEFAULT_DEST.parent / "sample").root
    with tempfile.TemporaryDirectory(prefix="medialake-bench-day-") as tmp:
        home = Path(tmp)
        env = command_env(home, "sample", library)
        first = medialake(env, home, "sync", "--mode", "full")
        print(f"sample library: {library}; first full sync {first[0]:.1f} s")
        base = line(
            "baseline: flow, a server per command",
            [medialake(env, home, "sync") for _ in range(runs)],
        )
        env.update(
            MEDIALAKE_PREFECT_SERVER="background", MEDIALAKE_SYNC_QUICK_UNCHANGED="true"
        )
        medialake(env, home, "server", "start")
        try:
            up = line(
                "unchanged sync, a Prefect server running",
                [medialake(env, home, "sync") for _ in range(runs)],
            )
        finally:
            stop_server(env, home)
        seconds = []
        for _ in range(runs):  # a session: its first command starts the server
            medialake(env, home, "sync", "--mode", "full")
            seconds.append(medialake(env, home, "sync"))
            stop_server(env, home)
        second = line("second command of a session (no 'up')", seconds)
    print(
        f"unchanged sample sync vs baseline: {base / up:.1f}x faster with a server "
        f"running, {base / second:.1f}x as a session's second command (target < 3 s)"
    )


def demo(baseline: bool, rev: str | None = None) -> tuple[float, float]:
    """``make demo`` (or, ``baseline``, its former steps) in a fresh clone (of the
    commit ``rev``, else of HEAD)."""
    with tempfile.TemporaryDirectory(prefix="medialake-demo-") as tmp:
        clone = Path(tmp) / "medialake"
        subprocess.run(
            ["git", "clone", "-q", str(REPO), str(clone)], check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        if rev:
            subprocess.run(["git", "-C", str(clone), "checkout", "-q", rev], check=True)
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PREFECT_", "MEDIALAKE_", "VIRTUAL_ENV", "UV_"))
        }
        home = clone / "data"
        env["MEDIALAKE_HOME"] = str(home)
        if baseline:
            uv = shutil.which("uv") or "uv"
            steps = [
                [uv, "sync", "--frozen", "--quiet", "--compile-bytecode"],
                ["scripts/setup.sh"],
                [uv, "run", "medialake", "sample"],
                [uv, "run", "medialake", "sync", "--mode", "full"],
            ]
        else:
            steps = [["make", "demo"]]
        wall = cpu = 0.0
        try:
            for step in steps:
                _, before = server_cpu(home)
                w, c = timed(step, env, clone)
                _, after = server_cpu(home)
                wall, cpu = wall + w, cpu + c + max(0.0, after - before)
        finally:
            stop_server(env, home, clone)
        return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-demo", action="store_true")
    parser.add_argument("--demo-only", action="store_true", help="only make demo")
    parser.add_argument(
        "--before", metavar="REV", help="also time `make demo` of this commit"
    )
    args = parser.parse_args()
    if not args.demo_only:
        sample_syncs(args.runs)
    if args.no_demo:
        return
    base = line("baseline: the former make demo, fresh clone", [demo(True)])
    if args.before:
        line(f"make demo of {args.before}, fresh clone", [demo(False, args.before)])
    now = line("make demo, fresh clone (target <= 40 s)", [demo(False)])
    print(f"make demo vs baseline: {base / now:.1f}x faster wall")


if __name__ == "__main__":
    main()
