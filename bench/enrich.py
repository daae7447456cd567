"""Benchmark: ffprobe throughput, and what a re-run costs next to the first run.

Builds a library of N short videos in a temporary folder, syncs it (task functions in
the flow's order, without Prefect's start-up), then measures in this one run:

1. probing: a naive one-at-a-time ffprobe loop over every file (the baseline) against
   the enrichment probe tasks (bounded thread pool, results stored in the warehouse);
2. identification against local fake TMDb/MusicBrainz servers: the first run, a re-run
   with nothing new, and a ``redo`` run answered from the response cache, with the
   requests each made and the ffprobe calls of the re-run.

    uv run python -m bench.enrich [--videos 200]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from connectors.metadata.probe import FFPROBE_ARGS


def build_videos(root: Path, count: int) -> list[Path]:
    """``count`` distinct small H.264 files named like films (one encode, copies)."""
    template = root / "template.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=160x90:rate=12:duration=2",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-threads",
            "1",
            str(template),
        ],
        check=True,
    )
    files = []
    for n in range(count):
        path = root / "library" / "Video" / "Movies" / f"Bench Film {n:04d} (2001).mp4"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(template, path)
        files.append(path)
    return files


def naive_probe(files: list[Path]) -> float:
    """The baseline: one ffprobe at a time; returns seconds."""
    started = time.perf_counter()
    for path in files:
        subprocess.run(
            ["ffprobe", *FFPROBE_ARGS, str(path)], capture_output=True, check=False
        )
    return time.perf_counter() - started


def probe_tasks(redo: bool = False) -> tuple[float, int]:
    """The enrichment probe tasks; returns seconds and files probed."""
    from tasks import enrich as t

    started = time.perf_counter()
    run_id = t.open_run.fn()
    probed = sum(
        t.probe_batch.fn(run_id, b)["probed"] for b in t.plan_probes.fn(run_id, redo)
    )
    return time.perf_counter() - started, probed


def identify_tasks(redo: bool = False) -> tuple[float, dict[str, int]]:
    """The identification tasks in the flow's order; returns seconds and counts."""
    from tasks import enrich as t

    started = time.perf_counter()
    run_id = t.open_run.fn()
    totals: dict[str, int] = {}
    for unit in t.plan_identify.fn(run_id, redo):
        for name, value in t.identify_batch.fn(run_id, unit).items():
            totals[name] = totals.get(name, 0) + value
    return time.perf_counter() - started, totals


def configure(home: Path, library: Path, tmdb_url: str, mb_url: str) -> None:
    os.environ.update(
        {
            "MEDIALAKE_HOME": str(home),
            "MEDIALAKE_SERVERS_LOCAL_KIND": "filesystem",
            "MEDIALAKE_SERVERS_LOCAL_ROOTS": str(library),
            "MEDIALAKE_ENRICHMENT_TMDB_API_KEY": "test-tmdb-key",
            "MEDIALAKE_ENRICHMENT_TMDB_BASE_URL": f"{tmdb_url}/3",
            "MEDIALAKE_ENRICHMENT_TMDB_IMAGE_BASE_URL": f"{tmdb_url}/t/p",
            "MEDIALAKE_ENRICHMENT_TMDB_MIN_INTERVAL_S": "0",
            "MEDIALAKE_ENRICHMENT_MUSICBRAINZ_BASE_URL": mb_url,
            "MEDIALAKE_ENRICHMENT_IDENTIFY_BATCH_SIZE": "100",
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=200)
    args = parser.parse_args()
    from bench.sync_scan import sync_once
    from tests.connectors.metadata.fakes import FakeMusicBrainz, FakeTmdb

    work = Path(tempfile.mkdtemp(prefix="medialake-bench-enrich-"))
    try:
        files = build_videos(work, args.videos)
        # 50 ms per answer, as over a fast home connection (the fake alone takes 1 ms)
        with FakeTmdb(per_second=100_000, delay=0.05) as tmdb, FakeMusicBrainz() as mb:
            configure(work / "home", work / "library", tmdb.url, mb.url)
            sync_once("local", "full")
            report(files, tmdb)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(files: list[Path], tmdb: Any, rounds: int = 3) -> None:
    from connectors.metadata.probe import probe_many
    from medialake.runtime import settings

    workers = settings().enrichment.probe_workers
    naive, pooled = [], []
    for _ in range(rounds):  # interleaved, so a busy moment hurts both alike
        naive.append(naive_probe(files))
        started = time.perf_counter()
        probe_many(files, workers=workers)
        pooled.append(time.perf_counter() - started)
    ours, probed = probe_tasks()
    base, pool = statistics.median(naive), statistics.median(pooled)
    print(
        f"probe: {len(files)} videos, {os.cpu_count()} cores, {workers} probe workers,"
        f" medians of {rounds} rounds"
    )
    print(f"  one at a time      {len(files) / base:7.1f} files/s ({base:.2f} s)")
    print(
        f"  probe_many         {len(files) / pool:7.1f} files/s ({pool:.2f} s)"
        f"  {base / pool:.2f}x"
    )
    print(
        f"  enrichment tasks   {probed / ours:7.1f} files/s ({ours:.2f} s)"
        f"  {base / ours:.2f}x (incl. planning and warehouse writes, one round)"
    )
    _, reprobed = probe_tasks()
    first_s, first = identify_tasks()
    asked = len(tmdb.requests())
    again_s, again = identify_tasks()
    redo_s, redo = identify_tasks(redo=True)
    print(f"identify: {first.get('rejected', 0) + first.get('accepted', 0)} movies")
    print(f"  first run         {first_s:7.2f} s, {asked} requests")
    print(
        f"  re-run, nothing new {again_s:5.2f} s, {again.get('requests', 0)} requests, "
        f"{reprobed} ffprobe calls"
    )
    print(
        f"  redo from cache   {redo_s:7.2f} s, {redo.get('requests', 0)} requests, "
        f"{redo.get('cache_hits', 0)} cache hits, {len(tmdb.requests()) - asked} new"
        f" on the fake"
    )
    print(f"  cached redo / first run: {redo_s / first_s:.2f}x the time")


if __name__ == "__main__":
    main()
