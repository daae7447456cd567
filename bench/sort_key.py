"""Benchmark: would one stored sort key speed up the tracks list? The seven sort
expressions the list uses (:data:`warehouse.queries.catalog.TRACKS`) against one text
column holding the same order (added here, as a library writer would store it), over a
generated warehouse of 1,000,000 tracks, timed alternately in the same run (so a loaded
machine slows both alike).

    uv run python -m bench.sort_key [--tracks 1000000] [--runs 7]

Each case is a keyset page of 51 rows of ``tracks`` alone (no files joined), at page 1
and at page 1000; also on a copy of the table written in ``sort_key`` order (the top-N
then skips row groups by their min/max statistics: DuckDB's dynamic filter), which is
what a lake whose files are rewritten in that order would read; then the whole API list
(:func:`warehouse.queries.catalog.tracks`, files and assets joined), for the share the
sort has of a request.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from bench import scratch
from bench.dashboard import generate
from warehouse.db import Warehouse
from warehouse.queries import catalog

OLD = (
    "coalesce(artist, album_artist, '')",
    "coalesce(album, '')",
    "coalesce(disc_no, -1)",
    "coalesce(track_no, 2147483647)",
    "title",
    "server_id",
    "native_id",
)
NEW = ("sort_key",)
SORTED = "tracks_sorted"
# the same order in one text: parts joined by chr(1), numbers offset and zero-padded
KEY = """concat_ws(chr(1), coalesce(artist, album_artist, ''), coalesce(album, ''),
  lpad(CAST(CAST(coalesce(disc_no, -1) AS BIGINT) + 2147483648 AS TEXT), 10, '0'),
  lpad(CAST(CAST(coalesce(track_no, 2147483647) AS BIGINT) + 2147483648 AS TEXT), 10,
    '0'), coalesce(title, ''), server_id, native_id)"""


def page_sql(sort: tuple[str, ...], deep: bool, table: str = "tracks") -> str:
    """A keyset page of tracks in ``sort`` order (after ``$after_n`` when ``deep``)."""
    keys = ", ".join(f"{e} AS k{n}" for n, e in enumerate(sort))
    after = ", ".join(f"$after_{n}" for n in range(len(sort)))
    where = f" AND ({', '.join(sort)}) > ({after})" if deep else ""
    order = ", ".join(f"k{n}" for n in range(len(sort)))
    return (
        f"SELECT native_id, title, {keys} FROM {table} WHERE removed_at IS NULL{where}"
        f" ORDER BY {order} LIMIT 51"
    )


def cursor(wh: Warehouse, sort: tuple[str, ...]) -> dict[str, Any]:
    """The parameters of page 1000 (50 rows a page) in ``sort`` order."""
    with wh.read() as con:
        row = con.execute(
            f"SELECT {', '.join(sort)} FROM tracks WHERE removed_at IS NULL"
            f" ORDER BY ALL LIMIT 1 OFFSET {999 * 50 - 1}"
        ).fetchone()
    assert row is not None
    return {f"after_{n}": v for n, v in enumerate(row)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tracks", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with scratch("sort", home=True) as work:
        run(Warehouse(work / "medialake.sqlite"), args.tracks, args.runs)


def run(wh: Warehouse, tracks: int, runs: int) -> None:
    print(f"generated {tracks} tracks in {generate(wh, tracks):.1f} s")
    with wh.write() as con:
        con.execute("ALTER TABLE tracks ADD COLUMN sort_key TEXT")
        con.execute(f"UPDATE tracks SET sort_key = {KEY}")
        con.execute("CREATE TABLE tracks_sorted AS FROM tracks ORDER BY sort_key")
    deep = {"old": cursor(wh, OLD), "new": cursor(wh, NEW)}
    cases: dict[str, Any] = {
        "old: 7 expressions, page 1": (page_sql(OLD, False), {}),
        "new: sort_key, page 1": (page_sql(NEW, False), {}),
        "old: 7 expressions, page 1000": (page_sql(OLD, True), deep["old"]),
        "new: sort_key, page 1000": (page_sql(NEW, True), deep["new"]),
        "new, files in key order, page 1": (page_sql(NEW, False, SORTED), {}),
        "new, files in key order, page 1000": (
            page_sql(NEW, True, SORTED),
            deep["new"],
        ),
    }
    after = tuple(deep["old"].values())
    seconds: dict[str, list[float]] = {name: [] for name in cases}
    seconds |= {"API list (catalog.tracks), page 1": []}
    seconds |= {"API list (catalog.tracks), page 1000": []}
    with wh.read() as con:
        for sql, params in cases.values():  # warm up: plan, read the files once
            con.execute(sql, params).fetchall()
        for _ in range(runs):
            for name, (sql, params) in cases.items():
                started = time.perf_counter()
                con.execute(sql, params).fetchall()
                seconds[name].append(time.perf_counter() - started)
            for name, cur in (("page 1", None), ("page 1000", after)):
                started = time.perf_counter()
                catalog.tracks(con, after=cur, limit=50)
                seconds[f"API list (catalog.tracks), {name}"].append(
                    time.perf_counter() - started
                )
    median = {name: statistics.median(s) for name, s in seconds.items()}
    for name, value in median.items():
        print(f"{name:<40} median {value * 1000:6.0f} ms")
    for page in ("page 1", "page 1000"):
        ratio = median[f"old: 7 expressions, {page}"] / median[f"new: sort_key, {page}"]
        print(f"{page}: the stored key is {ratio:.2f}x faster than 7 expressions")
        ratio = (
            median[f"old: 7 expressions, {page}"]
            / median[f"new, files in key order, {page}"]
        )
        print(f"{page}: in key order, {ratio:.2f}x faster than 7 expressions")


if __name__ == "__main__":
    main()
