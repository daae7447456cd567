"""Benchmark: the Library page as a grid with artwork over 1,000,000 tracks, against the
same page as a list without artwork, measured in the same run.

A generated warehouse (``bench.dashboard``'s 1M tracks over 80,000 albums) gets an
``item_artwork`` row for every album, pointing at 40 real thumbnails (content-addressed,
so albums share files as they do when covers repeat). The page is rendered by
Streamlit's AppTest, signed in as a member, with the dashboard's cache cleared before
each run, at page 1 and at page 1000 (the keyset cursor a member reaches by pressing
Next), after one warm-up render that is not counted.

    uv run python -m bench.library_grid [--tracks 1000000] [--runs 5]

Target (issue 15): the grid page with artwork under 1 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import scratch
from bench.dashboard import APP, deep_cursor, generate
from connectors.metadata import images
from warehouse import artwork

if TYPE_CHECKING:
    from warehouse.db import Warehouse


def add_artwork(wh: Warehouse, home: Path, distinct: int = 40) -> float:
    """Thumbnails for every album; return the seconds it took."""
    import io

    from PIL import Image

    started = time.perf_counter()
    kept = []
    for n in range(distinct):
        out = io.BytesIO()
        Image.new("RGB", (600, 600), (n * 6, 90, 200 - n * 4)).save(out, "JPEG")
        kept.append(images.store(out.getvalue(), home, 10**7, 240))
    with wh.write() as con:
        con.execute(
            "INSERT INTO item_artwork (entity, server_id, native_id, source, basis,"
            " digest, image_path, thumb_path, width, height, size_bytes)"
            " SELECT 'album', t.server_id, t.album_native_id, 'musicbrainz', '|',"
            " k.digest, k.image_path, k.thumb_path, 600, 600, 1000"
            " FROM (SELECT DISTINCT server_id, album_native_id FROM tracks) t"
            " JOIN (SELECT unnest($d) AS digest, unnest($i) AS image_path,"
            "   unnest($t) AS thumb_path, generate_subscripts($d, 1) - 1 AS n) k"
            " ON k.n = hash(t.album_native_id) % $k",
            {
                "d": [k.digest for k in kept],
                "i": [k.image_path for k in kept],
                "t": [k.thumb_path for k in kept],
                "k": distinct,
            },
        )
    return time.perf_counter() - started


def sign_in(wh: Warehouse) -> None:
    """A member signed in for AppTest (which cannot send the cookie)."""
    import dashboards.auth
    from warehouse import accounts

    accounts.add_user(wh, "bench", "a long password", "member")
    signed = accounts.sign_in(wh, "bench", "a long password", roles=accounts.ROLES)
    dashboards.auth.session_cookie = lambda: signed.cookie  # type: ignore[assignment]


def render(view: str, cursor: Any, runs_: int) -> tuple[float, int]:
    """Median seconds of the Library page in ``view`` starting at ``cursor``, and how
    many pictures it showed."""
    from streamlit.testing.v1 import AppTest

    from dashboards import data

    at = AppTest.from_file(str(APP), default_timeout=300)
    at.run()
    at.switch_page("screens/library.py")
    at.session_state["library_view"] = view
    seconds, shown = [], 0
    for _ in range(runs_):
        at.run()  # sets the filter; then start where the cursor says
        at.session_state["library_cursors"] = (
            [None]
            if cursor is None
            else [
                None,
                cursor,
            ]
        )
        data.clear_cache()
        started = time.perf_counter()
        at.run()
        seconds.append(time.perf_counter() - started)
        assert not at.exception, at.exception
        shown = sum(len(el.proto.imgs) for el in at.get("image"))
    return statistics.median(seconds), shown


def run(work: Path, tracks: int, runs_: int) -> None:
    """Generate, add artwork, render list and grid."""
    os.environ["MEDIALAKE_HOME"] = str(work)
    from warehouse.current import warehouse

    wh = warehouse()
    print(f"generated {tracks} tracks in {generate(wh, tracks):.1f} s")
    print(f"artwork for every album in {add_artwork(wh, work):.1f} s")
    with wh.read() as con:
        rows = con.execute("SELECT count(*) FROM item_artwork").fetchone()
    print(f"item_artwork rows: {rows[0] if rows else 0}")
    sign_in(wh)
    deep = deep_cursor(wh) if tracks >= 50_000 else None
    render("List", None, 1)  # warm-up, not counted: the first read of the lake's files
    for label, cursor in (("page 1", None), ("page 1000", deep)):
        if label == "page 1000" and deep is None:
            continue
        base, _ = render("List", cursor, runs_)
        grid, shown = render("Grid", cursor, runs_)
        flag = "" if grid < 1.0 else "  OVER 1 s"
        print(
            f"{label:<10} list without artwork {base * 1000:6.0f} ms;"
            f" grid with {shown} pictures {grid * 1000:6.0f} ms;"
            f" ratio {grid / base:4.2f}x{flag}"
        )
    started = time.perf_counter()
    with wh.read() as con:
        keys = con.execute(
            "SELECT server_id, native_id, 'track', album_native_id FROM tracks LIMIT 50"
        ).fetchall()
        artwork.page_art(con, keys)
    took = (time.perf_counter() - started) * 1000
    print(f"page_art query alone (50 tracks): {took:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tracks", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with scratch("grid") as work:
        run(work, args.tracks, args.runs)


if __name__ == "__main__":
    main()
