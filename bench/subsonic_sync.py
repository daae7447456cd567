"""Benchmark: full vs incremental sync of a real supysonic (Subsonic API) server.

Starts supysonic with ``../shared/peers/supysonic/start.sh`` over the sample library's
music (or a bench library of ``--files`` tracks), then times, through the task
functions of ``library_sync`` (as ``bench.sync_scan`` does, without Prefect's start-up):
a first full sync into an empty warehouse, a repeated full sync, an incremental sync of
the unchanged library, and an incremental sync after one album was added and scanned.
Prints each time and the incremental runs' share of the full sync, measured in this run.

    uv run python -m bench.subsonic_sync [--files 2000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.sync_scan import sync_once

WORK = Path(__file__).resolve().parent / ".work"


def timed(mode: str, repeats: int = 1) -> tuple[float, dict[str, object]]:
    """Median seconds of ``repeats`` runs in ``mode``, and the last run's summary."""
    times, summary = [], {}
    for _ in range(repeats):
        started = time.perf_counter()
        summary = sync_once("music", mode)
        times.append(time.perf_counter() - started)
    return statistics.median(times), summary


def music_folder(files: int) -> Path:
    """The music to serve: the sample library's, or a bench library of ``files``."""
    if files:
        from bench.build_library import build_bench_library

        return build_bench_library(WORK / f"subsonic-{files}", files) / "Music"
    from medialake.sample import generate_sample

    return generate_sample(WORK / "subsonic-sample").root / "Music"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=0, help="0: the sample library")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from tests.connectors.media_servers.subsonic.helpers import add_track, scan_and_wait
    from tests.connectors.media_servers.subsonic.server import start_server

    music = music_folder(args.files)
    with tempfile.TemporaryDirectory(prefix="medialake-bench-") as scratch:
        server = start_server(Path(scratch) / "supysonic", music)
        try:
            os.environ["MEDIALAKE_HOME"] = str(Path(scratch) / "home")
            for key, value in server.config().items():
                os.environ[f"MEDIALAKE_SERVERS_MUSIC_{key.upper()}"] = str(value)
            from tasks.context import engine, warehouse

            warehouse()  # migrations are set-up, not sync
            first, summary = timed("full")
            again, _ = timed("full", args.repeats)
            quiet, _ = timed("incremental", args.repeats)
            add_track(server.music, "Bench Newcomer", "Bench Fresh", "Bench New Song")
            scan_and_wait(engine().get("music"))  # type: ignore[arg-type]
            one_new, new_summary = timed("incremental")
        finally:
            server.stop()
    tracks = int(summary["seen"])  # type: ignore[call-overload]
    print(f"supysonic library: {tracks} tracks")
    print(f"first full sync:          {first:6.2f} s  {tracks / first:7.0f} tracks/s")
    print(f"full sync, unchanged:     {again:6.2f} s  median of {args.repeats}")
    print(f"incremental, unchanged:   {quiet:6.2f} s  {quiet / again:6.1%} of full")
    print(
        f"incremental, 1 new album: {one_new:6.2f} s  {one_new / again:6.1%} of full"
        f"  (added {new_summary['added']})"
    )


if __name__ == "__main__":
    main()
