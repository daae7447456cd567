"""Benchmark: the DownloadEngine's per-source limit and its overhead per job.

Measured in one run against a local HTTP server (``tests.connectors.downloads.servers``)
on 127.0.0.1 and a Prefect API server started for the run (a temporary database):

1. Limits: 10 queued jobs of one source whose limit is 2, run by two processes with
   5 threads each, through the Prefect gate (``tasks.downloads.PrefectGate``: the
   global concurrency limit made by ``tasks.limits.ensure_limits``), so the limit must
   hold across processes. The server counts transfers in flight; the figure is the most
   it ever saw at once.
2. Overhead: a 20 MB FLAC served locally, once with the Prefect gate (what flows use)
   and once with the in-process ``LocalGate`` (the engine's default). The baseline is
   the bare transfer (the same streaming fetch, no engine); a job is submit -> search ->
   download -> verify (ffprobe and a decode of both ends) -> tag -> atomic move ->
   recorded: four warehouse transactions (submit, claim, downloading, finish) and
   one read (the last look for a cancel). Each job gets a new lake, made ready as a
   worker's is (migrated, empty tables primed, the small-transaction instance
   attached) before it is timed. Overhead = job time - the time its
   own transfer took (timed around the source's ``download_raw``), as a share of that
   transfer; medians of ``--repeats`` runs, at loopback speed and at throttled rates.
   The CPU seconds of the whole job (this process and its ffmpeg children) are
   printed too: on a busy machine they move less than the wall time.
   ``where it goes`` adds the median cost of one warehouse transaction, of
   verification, and of taking and giving back one Prefect slot.

    uv run python -m bench.downloads [--repeats 3] [--rates 0,10,2]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from connectors.downloads.base import build_sources
from connectors.downloads.engine import DownloadEngine
from connectors.downloads.fetch import fetch_to
from connectors.downloads.http_file import http_client
from connectors.downloads.records import Kind, Request
from connectors.downloads.verify import verify_file
from medialake.settings import DownloadsSettings, load_settings
from tasks.downloads import PrefectGate
from tasks.limits import ensure_limits
from tests.connectors.downloads.servers import MediaServer, ffmpeg, make_mp3
from warehouse.db import Warehouse
from warehouse.downloads import DownloadStore
from warehouse.migrate import migrate, prime_statistics

REPO = Path(__file__).resolve().parents[1]
SETTINGS = DownloadsSettings(sources=["http"], default_concurrency=2)
LIMIT_ENV = {"MEDIALAKE_DOWNLOADS_SOURCES": '["http"]'}  # default_concurrency 2


def engine_for(work: Path, prefect: bool = True) -> DownloadEngine:
    """An engine over the ``http`` source on the warehouse in ``work``, with the
    Prefect gate (or the in-process one)."""
    return DownloadEngine(
        build_sources(SETTINGS),
        DownloadStore(Warehouse(work / "wh.duckdb")),
        SETTINGS,
        library_root=work / "library",
        staging_root=work / "staging",
        gate=PrefectGate(SETTINGS.min_interval_s) if prefect else None,
    )


def worker(work: Path, ids: list[str]) -> None:
    """Run ``ids`` on 5 threads (the second process of the limit benchmark)."""
    engine = engine_for(work)
    threads = [threading.Thread(target=engine.run, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def bench_limit(work: Path, media: Path, api: str) -> tuple[int, int, float]:
    """10 jobs, limit 2, two processes: (max in flight, imported, seconds)."""
    for n in range(10):
        make_mp3(media / f"limit-{n}.mp3", seconds=6, artist="Bench", title=f"Tune {n}")
    with MediaServer(media) as server:
        engine = engine_for(work)
        ids = [
            engine.submit(Request.parse(server.url(f"limit-{n}.mp3", rate=200_000)))[0]
            for n in range(10)
        ]
        started = time.perf_counter()
        other = subprocess.Popen(
            [sys.executable, "-m", "bench.downloads", "--worker", str(work), *ids[5:]],
            cwd=REPO,
            env={**os.environ, "PREFECT_API_URL": api},
        )
        worker(work, ids[:5])
        other.wait()
        seconds = time.perf_counter() - started
    with Warehouse(work / "wh.duckdb").read() as con:
        row = con.execute("SELECT count(*) FROM download_jobs WHERE state = 'imported'")
        imported = int((row.fetchone() or (0,))[0])
    return server.max_active, imported, seconds


def _timed(engine: DownloadEngine, spent: list[float]) -> None:
    """Add the time each transfer takes inside the job to ``spent``."""
    source = engine.sources[0]
    download = source.download_raw

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return download(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    source.download_raw = timed  # type: ignore[method-assign]


def bench_overhead(
    work: Path, media: Path, repeats: int, rate: float, prefect: bool
) -> list[float]:
    """Size, median bare transfer, median in-job transfer, median job overhead
    (job time minus its own transfer) and median CPU seconds of a whole job (this
    process and its ffmpeg children) of the 20 MB file at ``rate`` B/s."""
    big = media / "big.flac"
    if not big.exists():
        ffmpeg("-f", "lavfi", "-i", "anoisesrc=c=white:r=44100:a=0.3", "-ac", "2",
               "-t", "165", "-c:a", "flac", str(big))  # fmt: skip
    bare: list[float] = []
    inside: list[float] = []
    overheads: list[float] = []
    cpus: list[float] = []
    with MediaServer(media) as server:
        params = {"rate": int(rate)} if rate else {}
        http = http_client("bench", SETTINGS)
        for n in range(repeats + 1):  # the first of each is a warm-up
            url = server.url("big.flac", **params, n=n)
            dest = work / f"raw-{rate}-{prefect}-{n}" / "big.flac"
            dest.parent.mkdir(parents=True)
            started = time.perf_counter()
            fetch_to(http, url, dest, lambda d, t: None)
            bare.append(time.perf_counter() - started)
            engine = engine_for(work / f"job-{rate}-{prefect}-{n}", prefect)
            ready(engine.store.warehouse)  # type: ignore[attr-defined]
            _timed(engine, inside)
            cpu = _cpu()
            started = time.perf_counter()
            outcome = engine.run(engine.submit(Request.parse(url, Kind.TRACK))[0])
            overheads.append(time.perf_counter() - started - inside[-1])
            cpus.append(_cpu() - cpu)
            assert outcome.status == "imported", outcome.reason
    med = [statistics.median(x[1:]) for x in (bare, inside, overheads, cpus)]
    return [big.stat().st_size, *med]


def ready(wh: Warehouse) -> None:
    """Make the lake as ``warehouse.current.warehouse()`` does in a worker (migrated,
    empty tables primed) and attach this process's small-transaction instance, which
    a worker does once, not per job."""
    migrate(wh)
    with wh.write() as con:
        prime_statistics(con)
    DownloadStore(wh).due_wanted(1)


def _cpu() -> float:
    """CPU seconds of this process and its finished children (ffprobe, ffmpeg)."""
    mine = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return sum(u.ru_utime + u.ru_stime for u in (mine, children))


def bench_parts(
    work: Path, media: Path, repeats: int = 20
) -> tuple[float, float, float]:
    """Where the overhead goes: median seconds of one small warehouse transaction
    (update a job row, commit), of verifying the 20 MB file, and of taking and giving
    back one slot of the Prefect limit."""
    wh = Warehouse(work / "parts" / "wh.duckdb")
    ready(wh)
    transaction, verify, slot = [], [], []
    gate = PrefectGate({})
    for _ in range(repeats):
        started = time.perf_counter()
        with gate.slot("http", 30):
            pass
        slot.append(time.perf_counter() - started)
        started = time.perf_counter()
        with wh.write(small=True) as con:  # as the job store writes
            con.execute("UPDATE download_jobs SET heartbeat_at = now() WHERE false")
        transaction.append(time.perf_counter() - started)
        started = time.perf_counter()
        verify_file(media / "big.flac")
        verify.append(time.perf_counter() - started)
    return (
        statistics.median(transaction),
        statistics.median(verify),
        statistics.median(slot),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--rates", default="0,10,2", help="server rates in MB/s (0: loopback speed)"
    )
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(Path(args.worker[0]), args.worker[1:])
        return
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # its server

    with (
        tempfile.TemporaryDirectory(prefix="medialake-bench-") as tmp,
        prefect_test_harness(server_startup_timeout=120),
    ):
        work, media = Path(tmp) / "limit", Path(tmp) / "media"
        work.mkdir()
        media.mkdir()
        ensure_limits(load_settings(home=Path(tmp), environ=LIMIT_ENV))
        migrate(Warehouse(work / "wh.duckdb"))
        most, imported, seconds = bench_limit(work, media, str(PREFECT_API_URL.value()))
        print(f"limit 2, 10 jobs, 2 processes x 5 threads (Prefect limit): at most"
              f" {most} transfers in flight; {imported}/10 imported in"
              f" {seconds:.1f} s")  # fmt: skip
        for rate in (float(r) * 1e6 for r in args.rates.split(",")):
            for prefect in (True, False):
                size, bare, inside, overhead, cpu = bench_overhead(
                    Path(tmp), media, args.repeats, rate, prefect
                )
                label = "loopback" if not rate else f"{rate / 1e6:g} MB/s"
                gate = "Prefect gate" if prefect else "local gate"
                share = overhead / inside
                print(f"{size / 1e6:.1f} MB at {label}, {gate}: bare transfer"
                      f" {bare:.3f} s, transfer inside the job {inside:.3f} s, engine"
                      f" overhead {overhead:.3f} s = {share:.1%} of the"
                      f" transfer; CPU of the whole job {cpu:.3f} s")  # fmt: skip
        transaction, verify, slot = bench_parts(Path(tmp), media)
        print(f"where it goes: one warehouse transaction {transaction * 1000:.0f} ms"
              f" (four per job), verification {verify * 1000:.0f} ms, one Prefect"
              f" slot taken and given back {slot * 1000:.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
