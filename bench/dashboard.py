"""Benchmark: every dashboard query over a generated warehouse of 1,000,000 tracks, as a
ratio to ``SELECT count(*) FROM tracks`` measured in the same run; then each page
rendered with Streamlit's AppTest (uncached) and the process's memory.

    uv run python -m bench.dashboard [--tracks 1000000] [--runs 3]

Targets (issue 4): every query under 500 ms, the Library page under 1 s, under 500 MB.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

import psutil

from bench import scratch
from warehouse.db import Warehouse
from warehouse.library import store_derived_keys
from warehouse.migrate import migrate, prime_statistics
from warehouse.queries import jobs, library, overview, runs, sql
from warehouse.queries.library import LibraryFilter

APP = Path(__file__).resolve().parents[1] / "dashboards" / "app.py"
DEEP = "the cursor of page 1000"  # replaced by the real one once generated
CASES: list[tuple[str, Any, tuple[Any, ...]]] = [
    ("overview.servers", overview.servers, ()),
    ("overview.totals", overview.totals, ()),
    ("overview.flagged_runs", overview.flagged_runs, ()),
    ("library.facets", library.facets, ()),
    ("library.search, no filter, page 1", library.search, (LibraryFilter(), None, 50)),
    ("library.search, page 1000", library.search, (LibraryFilter(), DEEP, 50)),
    ("library.search, free text", library.search, (LibraryFilter(text="title 4242"),)),
    ("library.search, artist+genre+years", library.search,
     (LibraryFilter(artist="artist 17", genre="Rock", year_from=1990, year_to=2000),)),
    ("library.search, codec+server", library.search,
     (LibraryFilter(codec="mp3", server="b"),)),
    ("library.item_detail", library.item_detail, ("a", "t1")),
    ("runs.sync_runs", runs.sync_runs, (50,)),
    ("runs.running_syncs", runs.running_syncs, ()),
    ("jobs.latest_jobs", jobs.latest_jobs, ()),
    ("overview.plays_per_day", overview.plays_per_day, ()),
    ("overview.top_artists", overview.top_artists, ()),
    ("overview.top_albums", overview.top_albums, ()),
    ("overview.quality_mix", overview.quality_mix, ()),
    ("overview.bitrate_bands", overview.bitrate_bands, ()),
    ("overview.growth", overview.growth, ()),
    ("overview.server_comparison", overview.server_comparison, ()),
    ("overview.growth_by_kind", overview.growth_by_kind, ()),
    ("overview.job_outcomes", overview.job_outcomes, ()),
    ("overview.queue_depth", overview.queue_depth, ()),
    ("sql.schema_objects", sql.schema_objects, ()),
]  # fmt: skip
GENERATE = [
    "INSERT INTO servers (server_id, kind, location)"
    " VALUES ('a', 'filesystem', '/a'), ('b', 'plex', 'http://b')",
    """INSERT INTO tracks (server_id, native_id, title, artist, album_artist, album,
         album_native_id, artist_native_id, track_no, disc_no, year, genre, duration_s,
         file_native_id, mb_recording_id, play_count)
       SELECT CASE WHEN i % 3 = 0 THEN 'b' ELSE 'a' END, 't' || i, 'Title ' || i,
         'Artist ' || (i % 20000), 'Artist ' || (i % 20000), 'Album ' || (i % 80000),
         'al' || (i % 80000), 'ar' || (i % 20000), i % 12 + 1, 1, 1960 + i % 60,
         ['Rock', 'Pop', 'Jazz', 'Électro', 'Ambient'][i % 5 + 1], 120 + i % 300,
         'f' || i, CASE WHEN i % 4 = 0 THEN NULL ELSE md5(CAST(i % 600000 AS TEXT)) END,
         i % 7
       FROM range($n) r(i)""",
    """INSERT INTO media_files (server_id, native_id, path, media_kind, size, container,
         bitrate, duration_s, item_table, item_native_id)
       SELECT CASE WHEN i % 3 = 0 THEN 'b' ELSE 'a' END, 'f' || i,
         'Music/x/' || i || '.flac', 'audio', 5000000 + i,
         ['flac', 'mp3', 'ogg', 'opus', 'mp4'][i % 5 + 1], 128000 + (i % 5) * 64000,
         120 + i % 300, 'tracks', 't' || i
       FROM range($n) r(i)""",
    "INSERT INTO albums (server_id, native_id, title)"
    " SELECT 'a', 'al' || i, 'Album ' || i FROM range($n // 12) r(i)",
    "INSERT INTO artists (server_id, native_id, name)"
    " SELECT 'a', 'ar' || i, 'Artist ' || i FROM range($n // 50) r(i)",
    """INSERT INTO play_events (server_id, user_name, item_native_id, played_at)
       SELECT 'a', 'u' || (i % 5), 't' || (i * 7 % $n),
         TIMESTAMPTZ '2026-01-01' + to_minutes(i)
       FROM range($n // 2) r(i)""",
    """INSERT INTO sync_runs (run_id, server_id, mode, status, started_at, duration_s)
       SELECT 'r' || i, 'a', 'full', 'succeeded', now() - to_hours(i), 30
       FROM range(2000) r(i)""",
]


def generate(wh: Warehouse, tracks: int) -> float:
    """Fill a fresh warehouse; return the seconds it took."""
    started = time.perf_counter()
    migrate(wh)
    with wh.write() as con:
        prime_statistics(con)  # as warehouse.current.warehouse() does after migrating
        for statement in GENERATE:
            params = {"n": tracks} if "$n" in statement else None
            con.execute(statement, params)
        for table in ("tracks", "media_files"):  # what the library writer stores
            store_derived_keys(con, table)
    return time.perf_counter() - started


def deep_cursor(wh: Warehouse) -> tuple[Any, ...]:
    """Where page 1000 starts (the Library page reaches it by pressing Next)."""
    with wh.read() as con:
        row = con.execute(
            f"SELECT {', '.join(library.SORT_KEY)} FROM library_entries"
            f" ORDER BY ALL LIMIT 1 OFFSET {999 * 50 - 1}"
        ).fetchone()
    assert row is not None
    return tuple(row)


def timed(wh: Warehouse, runs_: int, fn: Any, *args: Any) -> float:
    """Median seconds of ``fn(con, *args)`` on a fresh read-only connection."""
    seconds = []
    for _ in range(runs_):
        started = time.perf_counter()
        with wh.read() as con:
            fn(con, *args)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def pages(runs_: int) -> None:
    """Each page rendered by AppTest with the cache cleared, and the memory used."""
    from streamlit.testing.v1 import AppTest

    from dashboards import data

    at = AppTest.from_file(str(APP), default_timeout=300)
    at.run()
    rss = 0.0
    for name in ("overview", "library", "jobs", "analytics", "sql"):
        at.switch_page(f"screens/{name}.py")
        seconds = []
        for _ in range(runs_):
            data.clear_cache()
            started = time.perf_counter()
            at.run()
            seconds.append(time.perf_counter() - started)
            assert not at.exception, at.exception
        print(f"page {name:<10} {statistics.median(seconds) * 1000:7.0f} ms (AppTest)")
        rss = max(rss, psutil.Process().memory_info().rss / 2**20)
    print(f"largest resident memory after a page: {rss:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tracks", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with scratch("dashboard", home=True) as work:
        run(Warehouse(work / "medialake.duckdb"), args.tracks, args.runs)


def run(wh: Warehouse, tracks: int, runs_: int) -> None:
    """Generate, time the queries, render the pages."""
    print(f"generated {tracks} tracks in {generate(wh, tracks):.1f} s")
    base = timed(wh, runs_, lambda con: con.execute(
        "SELECT count(*) FROM tracks").fetchall())  # fmt: skip
    print(f"baseline: SELECT count(*) FROM tracks {base * 1000:.0f} ms")
    deep = deep_cursor(wh)
    for name, fn, fn_args in CASES:
        fn_args = tuple(deep if a is DEEP else a for a in fn_args)
        seconds = timed(wh, runs_, fn, *fn_args)
        flag = "" if seconds < 0.5 else "  OVER 500 ms"
        print(f"{name:<40} {seconds * 1000:6.0f} ms {seconds / base:6.1f}x{flag}")
    pages(runs_)


if __name__ == "__main__":
    main()
