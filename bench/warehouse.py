"""Benchmark: the DuckLake warehouse against the previous release's policy (one DuckDB
file, opened for each transaction) measured beside it in the same run.

    uv run python -m bench.warehouse [--rows 1000000] [--small 300] [--seconds 10]
                                     [--postgres postgresql://user:pw@host/db]

1. Bulk MERGE of N track rows (10% changed, 1% new) into N rows; targets: the lake
   within 1.2x of the file and >= 300,000 rows/s.
2. A small transaction (a job finished and the next one recorded: one UPDATE and one
   INSERT): median and p95; with ``--postgres`` also on a PostgreSQL catalog (a scratch
   database made beside the one the URL names, dropped afterwards).
3. bench.dashboard's queries over N tracks before and after 1,000 small commits and
   after maintenance; target: every query under 500 ms.
4. A reader (the running jobs, every 50 ms) while two writer processes commit small
   transactions for ``--seconds``; target: reader p95 under 100 ms.

The baseline, :class:`FileWarehouse`, is the previous release's ``warehouse/db.py``:
``duckdb.connect(file)``, BEGIN, work, COMMIT, close, a taken file lock retried with
jittered backoff. Its schema comes from the same migration and view files, which no
longer declare the PRIMARY KEYs the previous release had: its MERGE maintains no index.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import random
import statistics
import time
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit, urlunsplit

import duckdb

from bench import scratch
from bench.dashboard import CASES, DEEP, deep_cursor, generate, timed
from bench.upsert import resync, tracks
from medialake.settings import WarehouseSettings
from warehouse.db import Warehouse, WarehouseBusy, close_all
from warehouse.maintenance import maintain, snapshot_count
from warehouse.migrate import migrate
from warehouse.queries import jobs
from warehouse.upsert import merge_frame

if TYPE_CHECKING:
    from collections.abc import Iterator

COMMITS = 1000  # small commits between the "before" and "after" dashboard timings
RUNS = 3  # each dashboard query's median of this many runs
# What the Jobs page polls: small, so the figure is the wait for writers, not the query.
READER_SQL = "SELECT count(*) FROM jobs WHERE status = 'running'"
READER_PAUSE_S = 0.05
WRITERS = 2
RETENTION_S = WarehouseSettings().snapshot_retention_days * 86400


class FileWarehouse:
    """The previous release's policy: every transaction opens the DuckDB file, runs,
    commits and closes it; a lock held by another process is retried with jittered
    backoff until ``lock_timeout_s``."""

    def __init__(self, path: Path, lock_timeout_s: float = 30.0) -> None:
        self.path = path
        self.lock_timeout_s = lock_timeout_s
        self.location = SimpleNamespace(exists=path.exists)  # what migrate() asks

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_timeout_s
        delay = 0.01
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.IOException as exc:
                text = str(exc).lower()
                if "lock" not in text or not (
                    "could not set" in text or "conflicting" in text
                ):
                    raise
                if time.monotonic() + delay > deadline:
                    raise WarehouseBusy("the warehouse file is busy") from None
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 0.5)

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = self._open(read_only=False)
        try:
            con.begin()
            yield con
            con.commit()
        except BaseException:
            try:
                con.rollback()
            except duckdb.Error:
                pass
            raise
        finally:
            con.close()

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = self._open(read_only=True)
        try:
            yield con
        finally:
            con.close()


# --- measurements -------------------------------------------------------------------


def bulk_merge(wh: Any, n: int) -> tuple[float, int]:
    """Seconds to merge the next sync of ``n`` tracks into ``n``, and its rows."""
    migrate(wh)
    with wh.write() as con:
        merge_frame(con, "tracks", tracks(n))
    batch = resync(n)
    started = time.perf_counter()
    with wh.write() as con:
        merge_frame(con, "tracks", batch)
    return time.perf_counter() - started, batch.height


def small_transaction(wh: Any, previous: str | None) -> str:
    """A job's bookkeeping: the previous job finished, the next one recorded."""
    job_id = jobs.new_job_id()
    with wh.write() as con:
        if previous:
            jobs.finish_job(con, previous, "succeeded", exit_code=0)
        jobs.record_job(con, job_id, "bench", {}, "embedded", pid=os.getpid())
    return job_id


def small_transactions(wh: Any, count: int) -> list[float]:
    """Seconds of each of ``count`` small transactions (after one to warm up)."""
    previous = small_transaction(wh, None)
    seconds = []
    for _ in range(count):
        started = time.perf_counter()
        previous = small_transaction(wh, previous)
        seconds.append(time.perf_counter() - started)
    return seconds


def read_once(wh: Any) -> None:
    with wh.read() as con:
        con.execute(READER_SQL).fetchall()


def _writer(wh: Any, start: Any, stop: Any, results: Any) -> None:
    """A writer process: small transactions until ``stop``; puts (commits, errors)."""
    previous = small_transaction(wh, None)
    start.wait()
    commits = errors = 0
    while not stop.is_set():
        try:
            previous = small_transaction(wh, previous)
            commits += 1
        except Exception:
            errors += 1
    results.put((commits, errors))


def reader_under_writers(wh: Any, seconds: float) -> dict[str, float]:
    """Reader latencies while ``WRITERS`` processes commit small transactions."""
    ctx = multiprocessing.get_context("spawn")
    start, stop, results = ctx.Barrier(WRITERS + 1), ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=_writer, args=(wh, start, stop, results))
        for _ in range(WRITERS)
    ]
    for proc in procs:
        proc.start()
    read_once(wh)
    start.wait(timeout=300)
    latencies, errors = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.perf_counter()
        try:
            read_once(wh)
            latencies.append(time.perf_counter() - started)
        except Exception:
            errors += 1
        time.sleep(READER_PAUSE_S)
    stop.set()
    written = [results.get(timeout=300) for _ in procs]
    for proc in procs:
        proc.join()
    return {
        "reads": len(latencies),
        "median": statistics.median(latencies),
        "p95": p95(latencies),
        "max": max(latencies),
        "read errors": errors,
        "commits": sum(c for c, _ in written),
        "write errors": sum(e for _, e in written),
    }


def dashboard_times(wh: Any, n: int) -> dict[str, float]:
    """bench.dashboard's queries: the median seconds of each."""
    deep = deep_cursor(wh) if n >= 50_000 else None  # page 1000 needs 49,950 tracks
    return {
        name: timed(wh, RUNS, fn, *(deep if a is DEEP else a for a in fn_args))
        for name, fn, fn_args in CASES
    }


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """The URL of a new database beside the one ``url`` names; dropped afterwards."""
    import psycopg

    name = f"medialake_bench_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlunsplit(urlsplit(url)._replace(path="/" + name))
        finally:
            close_all()
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


# --- printing -----------------------------------------------------------------------


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, math.ceil(0.95 * len(values)) - 1)]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def ratio(lake: float, base: float) -> str:
    return f"{lake / base:.2f}x" if base else "-"


def verdict(ok: bool, target: str) -> str:
    return f"target {target}: {'ok' if ok else 'MISSED'}"


def line(label: str, *cells: str, note: str = "") -> None:
    text = f"{label:<36}" + "".join(f"{cell:>12}" for cell in cells)
    print(text + (f"  {note}" if note else ""))


def heading(title: str, *cells: str) -> None:
    print(f"\n{title}")
    line("", *cells)


def load() -> str:
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())


# --- the run ------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--postgres", metavar="URL")
    args = parser.parse_args()
    with scratch("warehouse") as work:
        try:
            run(args, work)
        finally:
            close_all()


def run(args: argparse.Namespace, work: Path) -> None:
    n = args.rows
    print(
        f"DuckDB {duckdb.__version__}, {os.cpu_count()} CPUs, {load()}; file = the"
        " previous release (one DuckDB file, open-transact-close), lake = DuckLake"
        " (SQLite catalog), pg = DuckLake (PostgreSQL catalog)"
    )

    file, lake = FileWarehouse(work / "merge.duckdb"), Warehouse(work / "merge.sqlite")
    (file_s, rows), (lake_s, _) = bulk_merge(file, n), bulk_merge(lake, n)
    heading(f"Bulk MERGE of {rows:,} tracks into {n:,}", "file", "lake", "lake/file")
    line(
        "seconds",
        f"{file_s:.2f} s",
        f"{lake_s:.2f} s",
        ratio(lake_s, file_s),
        note=verdict(lake_s <= 1.2 * file_s, "<= 1.20x"),
    )
    line(
        "rows/s",
        f"{rows / file_s:,.0f}",
        f"{rows / lake_s:,.0f}",
        ratio(rows / lake_s, rows / file_s),
        note=verdict(rows / lake_s >= 300_000, ">= 300,000 rows/s"),
    )

    file, lake = FileWarehouse(work / "dash.duckdb"), Warehouse(work / "dash.sqlite")
    made = [generate(cast("Warehouse", file), n), generate(lake, n)]  # duck-typed
    print(
        f"\n(dashboard data, {n:,} tracks: file {made[0]:.1f} s, lake {made[1]:.1f} s)"
    )
    before = {"file": dashboard_times(file, n), "lake": dashboard_times(lake, n)}
    commits = max(COMMITS, args.small)
    small = {
        "file": small_transactions(file, commits)[: args.small],
        "lake": small_transactions(lake, commits)[: args.small],
    }
    if args.postgres:
        with scratch_database(args.postgres) as url:
            shared = Warehouse(url, data_path=work / "pg.files")
            migrate(shared)
            small["pg"] = small_transactions(shared, args.small)
    others = [name for name in small if name != "file"]
    heading(
        f"Small transaction (finish_job + record_job), {args.small} of them",
        "file",
        *(head for name in others for head in (name, f"{name}/file")),
    )
    for label, stat in (("median", statistics.median), ("p95", p95)):
        base = stat(small["file"])
        values = [stat(small[name]) for name in others]
        line(label, ms(base), *(c for v in values for c in (ms(v), ratio(v, base))))

    after = {"file": dashboard_times(file, n), "lake": dashboard_times(lake, n)}
    snapshots = snapshot_count(lake)
    took = maintain(lake, RETENTION_S)
    maintained = dashboard_times(lake, n)
    heading(
        f"Dashboard queries over {n:,} tracks (median of {RUNS}), before and after"
        f" {commits:,} small commits, then after maintenance",
        *("file", "lake", "lake/file", "file+", "lake+", "lake+/file+"),
        *("lake maint", "maint/file+"),
    )
    for name in before["file"]:
        times = [before["file"][name], before["lake"][name], after["file"][name]]
        times += [after["lake"][name], maintained[name]]
        slow = [t for t in times[1::2] + times[4:] if t >= 0.5]
        line(
            name,
            *(ms(times[0]), ms(times[1]), ratio(times[1], times[0])),
            *(ms(times[2]), ms(times[3]), ratio(times[3], times[2])),
            *(ms(times[4]), ratio(times[4], times[2])),
            note="OVER 500 ms" if slow else "",
        )
    slowest = [max(d.values()) for d in (before["lake"], after["lake"], maintained)]
    line(
        "slowest lake query",
        "",
        ms(slowest[0]),
        "",
        "",
        ms(slowest[1]),
        "",
        ms(slowest[2]),
        note=verdict(max(slowest) < 0.5, "< 500 ms"),
    )
    steps = ", ".join(f"{step} {s:.2f} s" for step, s in took.items())
    print(
        f"maintenance {sum(took.values()):.2f} s ({steps}); snapshots {snapshots:,}"
        f" -> {snapshot_count(lake):,} (retention {RETENTION_S / 86400:g} days)"
    )

    stress = {"file": reader_under_writers(file, args.seconds)}
    stress["lake"] = reader_under_writers(lake, args.seconds)
    heading(
        f"Reader ({READER_SQL}, every {READER_PAUSE_S * 1000:.0f} ms) while"
        f" {WRITERS} processes write small transactions for {args.seconds:g} s",
        "file",
        "lake",
        "lake/file",
    )
    for key, value in stress["file"].items():
        lake_value = stress["lake"][key]
        timing = key in ("median", "p95", "max")
        show = ms if timing else (lambda v: f"{v:,.0f}")
        note = verdict(lake_value < 0.1, "< 100 ms") if key == "p95" else ""
        line(
            f"reader {key}" if timing else key,
            show(value),
            show(lake_value),
            ratio(lake_value, value),
            note=note,
        )
    print(f"\n{load()}")


if __name__ == "__main__":
    main()
