"""Benchmark: the library API's list endpoints over a generated warehouse of 1,000,000
tracks (and their 1,000,000 media files) plus 50,000 movies, through the real ASGI app
(sign-in check, query, JSON), as a ratio to ``SELECT count(*) FROM tracks`` measured in
the same run. Page 1000 is reached with the cursor a client would hold there.

    uv run python -m bench.library_api [--tracks 1000000] [--requests 40]

Targets (issue 15): p95 under 200 ms per list request; page 1000 as fast as page 1.
Also timed: albums, artists, search, an album with its tracks, collections, and a list
with an API token (``Authorization: Bearer``) instead of the cookie.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from bench import scratch
from bench.dashboard import generate
from playback.api import encode_cursor
from playback.app import PlaybackConfig, create_app
from playback.auth import COOKIE, Accounts
from warehouse import accounts, api_tokens
from warehouse.db import Warehouse

MOVIES = [
    """INSERT INTO movies (server_id, native_id, title, year, duration_s,
         file_native_id)
       SELECT 'a', 'm' || i, 'Movie ' || i, 1950 + i % 70, 5400, 'mf' || i
       FROM range(50000) r(i)""",
    """INSERT INTO media_files (server_id, native_id, path, media_kind, size,
         container, item_table, item_native_id)
       SELECT 'a', 'mf' || i, 'Movies/' || i || '.mkv', 'video', 4000000000,
         'matroska', 'movies', 'm' || i
       FROM range(50000) r(i)""",
]


def library(work: Path, tracks: int) -> Warehouse:
    """A warehouse in ``work`` with ``tracks`` generated tracks and their files
    (``bench.dashboard.generate``) and the 50,000 movies of :data:`MOVIES`."""
    wh = Warehouse(work / "medialake.sqlite")
    print(f"generated {tracks} tracks in {generate(wh, tracks):.1f} s")
    with wh.write() as con:
        for statement in MOVIES:
            con.execute(statement)
    return wh


def deep(wh: Warehouse, sql: str) -> str | None:
    """The cursor of page 1000 (50 rows a page) of a list sorted by ``sql``'s key."""
    with wh.read() as con:
        row = con.execute(
            f"{sql} ORDER BY ALL LIMIT 1 OFFSET {999 * 50 - 1}"
        ).fetchone()
    assert row is not None
    return encode_cursor(tuple(row))


def p95(client: Any, url: str, cookie: str, n: int) -> tuple[float, float]:
    """Median and 95th percentile seconds of ``n`` GETs of ``url`` (with the session
    cookie, or with ``cookie`` as an API token when it starts with ``mlt_``)."""
    seconds = []
    token = cookie.startswith(api_tokens.PREFIX)
    for _ in range(n):
        started = time.perf_counter()
        if token:
            response = client.get(url, headers={"authorization": f"Bearer {cookie}"})
        else:
            response = client.get(url, cookies={COOKIE: cookie})
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    seconds.sort()
    return statistics.median(seconds), seconds[int(0.95 * (len(seconds) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tracks", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    with scratch("api", home=True) as work:
        run(work, args.tracks, args.requests)


def run(work: Path, tracks: int, n: int) -> None:
    from starlette.testclient import TestClient

    wh = library(work, tracks)
    accounts.add_user(wh, "bench", "a long password", "member")
    cookie = accounts.sign_in(wh, "bench", "a long password").cookie
    token = api_tokens.create_token(wh, "bench", "bench").token
    app = create_app(
        PlaybackConfig(
            assets_root=work / "hls", key=b"k" * 32, accounts=Accounts(wh, work)
        )
    )
    seconds = []
    for _ in range(n):
        started = time.perf_counter()
        with wh.read() as con:
            con.execute("SELECT count(*) FROM tracks").fetchall()
        seconds.append(time.perf_counter() - started)
    base = statistics.median(seconds)
    print(f"baseline: SELECT count(*) FROM tracks {base * 1000:.0f} ms (median)")
    files_1000 = deep(
        wh,
        "SELECT server_id, path, native_id FROM media_files WHERE removed_at IS NULL",
    )
    movies_1000 = deep(
        wh,
        "SELECT lower(title), server_id, native_id FROM movies"
        " WHERE removed_at IS NULL",
    )
    tracks_1000 = deep(
        wh,
        "SELECT coalesce(artist, album_artist, ''), coalesce(album, ''),"
        " coalesce(disc_no, -1), coalesce(track_no, 2147483647), title, server_id,"
        " native_id FROM tracks WHERE removed_at IS NULL",
    )
    albums_1000 = deep(
        wh,
        "SELECT lower(title), server_id, native_id FROM albums"
        " WHERE removed_at IS NULL",
    )
    cases = [
        ("tracks, page 1", "/api/library/tracks"),
        ("tracks, page 1000", f"/api/library/tracks?cursor={tracks_1000}"),
        ("tracks, text", "/api/library/tracks?q=title%204242"),
        ("media-files, page 1", "/api/library/media-files"),
        ("media-files, page 1000", f"/api/library/media-files?cursor={files_1000}"),
        ("media-files, kind+container", 
         "/api/library/media-files?kind=audio&container=mp3"),
        ("media-files, path text", "/api/library/media-files?q=4242"),
        ("movies, page 1", "/api/library/movies"),
        ("movies, page 1000", f"/api/library/movies?cursor={movies_1000}"),
        ("movies, title text", "/api/library/movies?q=movie%204242"),
        ("shows, page 1", "/api/library/shows"),
        ("item detail", "/api/library/items/a/t4243"),
        ("albums, page 1", "/api/library/albums"),
        ("albums, page 1000", f"/api/library/albums?cursor={albums_1000}"),
        ("artists, page 1", "/api/library/artists"),
        ("search (5 kinds)", "/api/library/search?q=title%204242"),
        ("album with its tracks", "/api/library/albums/a/al4243"),
        ("collections", "/api/collections"),
    ]  # fmt: skip
    cases.append(("tracks, page 1, API token", "/api/library/tracks"))
    with TestClient(app) as client:
        for name, url in cases:
            who = token if name.endswith("API token") else cookie
            p95(client, url, who, 2)  # warm the connection's caches
            median, worst = p95(client, url, who, n)
            flag = "" if worst < 0.2 else "  OVER 200 ms"
            print(
                f"{name:<30} median {median * 1000:6.0f} ms  p95 {worst * 1000:6.0f} ms"
                f"  {median / base:5.1f}x baseline{flag}"
            )


if __name__ == "__main__":
    main()
