"""Benchmark: short reads and writes on the one-thread DuckDB instance
(``Warehouse.read(small=True)``/``write(small=True)``) against the instance with every
thread, alternately in one process, and the library API's track search on the stored
key against the per-row key it used to compute as a fallback.

1. The library API's search (the five lists of ``/api/library/search``, 10 rows each)
   over 1,000,000 tracks and 50,000 movies.
2. The track list's text filter: ``search_key`` against
   ``coalesce(search_key, ml_track_search_key(title, artist, album))``.
3. A new warehouse's statistics (``prime_statistics`` after ``migrate``), each on a
   fresh warehouse.

    uv run python -m bench.one_thread [--tracks 1000000] [--runs 10]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from bench import scratch
from bench.library_api import library
from warehouse.db import Warehouse
from warehouse.migrate import migrate, prime_statistics
from warehouse.queries import catalog

QUERY = "title 4242"
KINDS = ("movies", "shows", "tracks", "albums", "artists")
FALLBACK = dataclasses.replace(
    catalog.TRACKS,
    keyed=(
        (
            "q",
            "coalesce(search_key,"
            " ml_track_search_key(title, coalesce(artist, album_artist), album))",
        ),
    ),
)


def alternate(runs: int, **variants: Callable[[], object]) -> dict[str, float]:
    """Median seconds of each variant, run in turn ``runs`` times (after a warm-up)."""
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    for fn in variants.values():
        fn()
    for _ in range(runs):
        for name, fn in variants.items():
            started = time.perf_counter()
            fn()
            seconds[name].append(time.perf_counter() - started)
    return {name: statistics.median(s) for name, s in seconds.items()}


def show(title: str, times: dict[str, float]) -> None:
    (base_name, base), *rest = times.items()
    print(title)
    print(f"  {base_name:<28} {base * 1000:7.0f} ms  (baseline)")
    for name, value in rest:
        print(f"  {name:<28} {value * 1000:7.0f} ms  {value / base:5.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tracks", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with scratch("one-thread", home=True) as work:
        run(work, args.tracks, args.runs)


def run(work: Path, tracks: int, runs: int) -> None:
    wh = library(work, tracks)

    def search(small: bool) -> Callable[[], object]:
        def go() -> None:
            with wh.read(small=small) as con:
                for kind in KINDS:
                    getattr(catalog, kind)(con, q=QUERY, limit=10)

        return go

    show(
        f"search, five lists of 10 (medians of {runs})",
        alternate(runs, **{"every thread": search(False), "one thread": search(True)}),
    )

    def tracks_q(spec: catalog.Kind) -> Callable[[], object]:
        def go() -> None:
            with wh.read() as con:
                catalog.listing(con, spec, q=QUERY, limit=10)

        return go

    show(
        f"tracks list, text filter (medians of {runs})",
        alternate(
            runs,
            **{
                "per-row fallback key": tracks_q(FALLBACK),
                "stored key": tracks_q(catalog.TRACKS),
            },
        ),
    )

    fresh = iter(range(10**6))

    def prime(small: bool) -> Callable[[], object]:
        def go() -> None:
            new = Warehouse(work / f"new-{next(fresh)}.sqlite")
            migrate(new)
            with new.write(small=small) as con:
                prime_statistics(con)

        return go

    show(
        f"a new warehouse's statistics, with migrations (medians of {min(runs, 5)})",
        alternate(
            min(runs, 5), **{"every thread": prime(False), "one thread": prime(True)}
        ),
    )


if __name__ == "__main__":
    main()
