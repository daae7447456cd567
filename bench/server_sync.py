"""Media-server sync benchmark: the Jellyfin client against the fake Jellyfin.

Measures, in one run, against a fake holding 100,000 tracks (its own process, without
response validation):

- full sync throughput (tracks/s) of extraction plus warehouse writes;
- an incremental sync after 1% of the tracks changed, as a share of the full sync's
  time (target: at most 10%);
- peak RSS of a full extraction of 100,000 tracks against one of 10,000, each in a
  fresh process (target: at most 1.5x).

The sync calls the task functions (``open_run``, ``plan``, ``read_and_store``,
``finish``; their ``.fn``) in the flow's order, reading batches two at a time as the
flow does, with ``MEDIALAKE_HOME`` in a temporary folder, so Prefect's start-up is not
counted. Usage: ``uv run python -m bench.server_sync [--tracks N] [--small N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

FAKE = "tests.connectors.media_servers.jellyfin.fake_server"
API_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


def _sync(mode: str) -> dict[str, Any]:
    """One server run through the task functions, timed."""
    from prefect.logging import disable_run_logger

    from connectors.media_servers.base import SyncMode
    from medialake.runtime import settings
    from tasks import library_sync as t

    sync_mode = SyncMode(mode)
    started = time.perf_counter()
    with disable_run_logger(), ThreadPoolExecutor(max_workers=2) as pool:
        run_id = t.open_run.fn("jf", sync_mode)
        plan = t.plan.fn("jf", run_id, sync_mode, settings().sync.batch_size)
        results = list(
            pool.map(lambda u: t.read_and_store.fn("jf", run_id, u), plan.units)
        )
        summary = t.finish.fn("jf", run_id, plan, results)
    summary["seconds"] = time.perf_counter() - started
    summary["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return summary


def worker(url: str, modes: list[str]) -> None:
    """Run syncs in this (fresh) process; between two, wait for a line on stdin."""
    home = Path(tempfile.mkdtemp(prefix="medialake-bench-"))
    os.environ.update(
        MEDIALAKE_HOME=str(home),
        PREFECT_HOME=str(home / "prefect"),
        MEDIALAKE_SERVERS_JF_KIND="jellyfin",
        MEDIALAKE_SERVERS_JF_URL=url,
        MEDIALAKE_SERVERS_JF_API_KEY=API_KEY,
    )
    for n, mode in enumerate(modes):
        if n:
            sys.stdin.readline()
        print(json.dumps(_sync(mode), default=str), flush=True)


class Process:
    """A child process spoken to by lines."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def say(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def hear(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.proc.args!r} ended early")
        return line.strip()

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


def fake_server(tracks: int) -> tuple[Process, str]:
    """Start the fake Jellyfin with ``tracks`` tracks; its process and URL."""
    server = Process(FAKE, "--tracks", str(tracks))
    return server, f"http://127.0.0.1:{server.hear()}"


def measure(tracks: int, changed: float) -> dict[str, Any]:
    """A full sync, then ``changed`` of the tracks re-tagged, then an incremental."""
    server, url = fake_server(tracks)
    try:
        sync = Process("bench.server_sync", "--worker", url, "full", "incremental")
        full = json.loads(sync.hear())
        server.say(f"touch {changed}")
        touched = int(server.hear())
        sync.say("go")
        incremental = json.loads(sync.hear())
        sync.close()
    finally:
        server.say("quit")
        server.close()
    return {"full": full, "incremental": incremental, "touched": touched}


def memory(tracks: int) -> float:
    """Peak RSS (MiB) of a fresh process doing a full sync of ``tracks`` tracks."""
    server, url = fake_server(tracks)
    try:
        sync = Process("bench.server_sync", "--worker", url, "full")
        result = json.loads(sync.hear())
        sync.close()
    finally:
        server.say("quit")
        server.close()
    return float(result["peak_rss_mib"])


def main() -> None:
    parser = argparse.ArgumentParser(description="Jellyfin sync benchmark")
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--worker", nargs="+", metavar=("URL", "MODE"))
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], args.worker[1:])
        return
    run = measure(args.tracks, args.changed)
    full, incremental = run["full"], run["incremental"]
    share = incremental["seconds"] / full["seconds"]
    print(
        f"full sync of {args.tracks:,} tracks: {full['seconds']:.1f} s, "
        f"{args.tracks / full['seconds']:,.0f} tracks/s "
        f"(added {full['added']:,}, status {full['status']})"
    )
    print(
        f"incremental after {run['touched']:,} tracks changed: "
        f"{incremental['seconds']:.2f} s (updated {incremental['updated']:,}) = "
        f"{share:.1%} of the full sync (target <= 10%)"
    )
    big, small = memory(args.tracks), memory(args.small)
    print(
        f"peak RSS of a full sync: {big:.0f} MiB for {args.tracks:,} tracks, "
        f"{small:.0f} MiB for {args.small:,}: ratio {big / small:.2f}x "
        "(target <= 1.5x)"
    )


if __name__ == "__main__":
    main()
