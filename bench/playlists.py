"""Playlist matching and push benchmark.

One run, on a temporary data folder:

- a warehouse of ``--tracks`` tracks on server ``jf`` (default 1,000,000): the
  ``--entries`` tracks a fake Jellyfin holds (realistic names: accents, shared words)
  and fillers by other artists that share the title words;
- a playlist of ``--entries`` entries (default 5,000) written the ways people write
  them: 30% with a typo, accents dropped, ``feat.`` and remaster notes, no duration for
  half, 2% not in the library;
- **matching alone** (the warehouse's blocking plus the scorer): entries/s, and the
  share right / wrong / ambiguous / missing;
- **import + match + push** to the fake Jellyfin (``playlist-push``'s task functions,
  Prefect's start-up not counted): seconds (target < 30 s);
- baselines in the same run: (a) an exact join on normalized artist and title in
  SQL (what a naive importer does): its time and how many it finds; (b) brute force,
  rapidfuzz ``extractOne`` over every title for 20 entries, extrapolated.

Usage: ``uv run python -m bench.playlists [--tracks N] [--entries N]``.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

API_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
FIRST = (
    "Zoë Sigur Björk Beyoncé Amon Mogwai Röyksopp Motörhead Sade Portishead Low "
    "Blonde Café Señor Nina Arcade Idles Bonobo Caribou Daft Solange Mø Alt Kings Wet "
    "Black Red Blue Lost Young Old New Dark Bright Silent"
).split()
LAST = (
    "Keating Rós Tobin Redhead Machine Fires Orchestra Brothers Collective Parade "
    "Lights Harbour Tigers Société Garçons Punk Leg Drum Valley Union Sisters Birds "
    "Wolves Engines Saints Rivers"
).split()
WORDS = (
    "quiet signal northern lights river glass heart winter morning empty streets "
    "golden hour falling paper moon electric dreams broken radio silver summer "
    "midnight train ocean eyes velvet storm hollow bones static fever distant "
    "thunder crimson tide wandering ghost neon rain lonely planet frozen fire "
    "shadow dance secret garden burning bridges open road sleeping giant wild "
    "horses tiger mountain city stars blood orange satellite heartbeat"
).split()


def _typo(rng: random.Random, text: str) -> str:
    words = text.split()
    long = [i for i, w in enumerate(words) if len(w) >= 5]
    if not long:
        return text
    i = rng.choice(long)
    j = rng.randrange(1, len(words[i]) - 1)
    words[i] = words[i][:j] + words[i][j + 1 :]
    return " ".join(words)


def _plain(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def build_fake(entries: int, rng: random.Random) -> Any:
    """A fake Jellyfin library of ``entries`` tracks, unique (artist, title)."""
    from tests.connectors.media_servers.jellyfin import library as lib

    served = lib.Library(lib.guid("server", "bench"))
    artists = [f"{a} {b}" for a in FIRST for b in LAST]
    seen: set[tuple[str, str]] = set()
    while len(seen) < entries:
        artist = rng.choice(artists)
        title = " ".join(rng.sample(WORDS, rng.choice((1, 2, 2, 3)))).title()
        if (artist, title) in seen:
            continue
        seen.add((artist, title))
        album = served.album(
            f"{rng.choice(WORDS).title()} Sessions", artist, 2001, "Rock", None
        )
        n = len(seen)
        served.track(
            f"/m/{n}.flac", title, artist, album, 1, 1, float(rng.randint(150, 420)), {}
        )
    return served


def fill_warehouse(served: Any, total: int, rng: random.Random) -> list[dict[str, Any]]:
    """The fake's tracks plus fillers, ``total`` rows on server ``jf``."""
    import polars as pl

    from tasks.context import warehouse
    from warehouse.upsert import merge_frame

    own = [
        {
            "native_id": item.id,
            "title": item.dto["Name"],
            "artist": item.dto["Artists"][0],
            "album_artist": item.dto["AlbumArtist"],
            "album": item.dto["Album"],
            "duration_s": item.dto["RunTimeTicks"] / 10_000_000,
        }
        for item in served.items.values()
        if item.type == "Audio"
    ]
    fillers = total - len(own)
    words = pl.Series(WORDS)
    idx = pl.Series([rng.randrange(len(WORDS)) for _ in range(fillers * 2)])
    left, right = idx[:fillers], idx[fillers:]
    frame = pl.DataFrame(
        {
            "native_id": [f"f{i}" for i in range(fillers)],
            "title": (
                words.gather(left).str.to_titlecase()
                + " "
                + words.gather(right).str.to_titlecase()
            ),
            "artist": [f"Filler Band {i % 50_000}" for i in range(fillers)],
            "album": [f"Filler Album {i % 100_000}" for i in range(fillers)],
            "duration_s": [float(150 + i % 270) for i in range(fillers)],
        }
    )
    frame = pl.concat([pl.DataFrame(own).drop("album_artist"), frame])
    frame = frame.with_columns(pl.lit("jf").alias("server_id"))
    with warehouse().write() as con:
        merge_frame(con, "tracks", frame)
        con.execute(  # as the library writer stores it
            "UPDATE tracks SET match_key = ml_track_match_key(mb_recording_id,"
            " coalesce(artist, album_artist), album, title, duration_s)"
        )
    return own


def make_entries(own: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """The playlist: every fake track written as people write them, 2% absent."""
    out = []
    for n, t in enumerate(own):
        title, artist = t["title"], t["artist"]
        roll = rng.random()
        if roll < 0.3:
            title = _typo(rng, title)
        elif roll < 0.45:
            artist = _plain(artist).lower()
        elif roll < 0.55:
            title = f"{title} (feat. Guest)"
        elif roll < 0.65:
            title = f"{title} - Remastered 2009"
        if n % 50 == 49:
            title, artist, expected = f"Unknown Song {n}", "Nobody At All", None
        else:
            expected = t["native_id"]
        out.append(
            {
                "title": title,
                "artist": artist,
                "duration_s": t["duration_s"] if rng.random() < 0.5 else None,
                "expected": expected,
            }
        )
    return out


def _exact_join(rows: list[dict[str, Any]]) -> tuple[float, int]:
    import polars as pl

    from tasks.context import warehouse

    frame = pl.DataFrame([{"title": r["title"], "artist": r["artist"]} for r in rows])
    started = time.perf_counter()
    with warehouse().read() as con:
        con.register("_bench_entries", frame.to_arrow())
        [(found,)] = con.execute(
            "SELECT count(DISTINCT e.title || e.artist) FROM _bench_entries e JOIN"
            " tracks t ON ml_match_text(t.title) = ml_match_text(e.title) AND"
            " ml_match_text(t.artist) = ml_match_text(e.artist)"
            " WHERE t.server_id = 'jf'"
        ).fetchall()
    return time.perf_counter() - started, int(found)


def _brute_force(rows: list[dict[str, Any]], sample: int = 20) -> float:
    from rapidfuzz import fuzz, process

    from connectors.playlists.matching import fold
    from tasks.context import warehouse

    with warehouse().read() as con:
        titles = [
            f"{a} {t}"
            for a, t in con.execute(
                "SELECT artist, title FROM tracks WHERE server_id = 'jf'"
            ).fetchall()
        ]
    choices = [fold(t) for t in titles]
    started = time.perf_counter()
    for row in rows[:sample]:
        process.extractOne(
            fold(f"{row['artist']} {row['title']}"), choices, scorer=fuzz.ratio
        )
    return (time.perf_counter() - started) / sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=1_000_000)
    parser.add_argument("--entries", type=int, default=5_000)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="medialake-bench-playlists-"))
    os.environ.update(MEDIALAKE_HOME=str(home), PREFECT_HOME=str(home / "prefect"))
    rng = random.Random(5)

    from prefect.logging import disable_run_logger

    from tasks import playlist_push, playlist_sources
    from tasks.context import reset
    from tests.connectors.media_servers.jellyfin.fake_server import FakeJellyfin

    served = build_fake(args.entries, rng)
    with FakeJellyfin(served, validate=False) as fake:
        os.environ.update(
            MEDIALAKE_SERVERS_JF_KIND="jellyfin",
            MEDIALAKE_SERVERS_JF_URL=fake.url,
            MEDIALAKE_SERVERS_JF_API_KEY=API_KEY,
        )
        reset()
        started = time.perf_counter()
        own = fill_warehouse(served, args.tracks, rng)
        took = time.perf_counter() - started
        print(f"warehouse: {args.tracks:,} tracks in {took:.1f} s")
        entries = make_entries(own, rng)
        rows = [{**e, "entry_key": f"e{i}"} for i, e in enumerate(entries)]

        started = time.perf_counter()
        decided = playlist_sources.match_entries("jf", rows)
        match_s = time.perf_counter() - started
        outcome = {"right": 0, "wrong": 0, "ambiguous": 0, "missing": 0}
        for row in rows:
            got = decided[row["entry_key"]]
            if got["status"] == "matched":
                ok = got["track_native_id"] == row["expected"]
                outcome["right" if ok else "wrong"] += 1
            elif row["expected"] is None:
                outcome["right"] += 1
            else:
                outcome[got["status"]] += 1

        m3u = home / "bench.m3u8"
        lines = ["#EXTM3U"]
        for n, e in enumerate(entries):
            seconds = round(e["duration_s"]) if e["duration_s"] else -1
            lines += [f"#EXTINF:{seconds},{e['artist']} - {e['title']}", f"x/{n}.mp3"]
        m3u.write_text("\n".join(lines) + "\n", encoding="utf-8")
        started = time.perf_counter()
        with disable_run_logger():
            [done] = playlist_sources.import_playlists.fn(
                [{"source": str(m3u), "targets": ["jf"]}]
            )
            playlist_sources.match_playlists.fn("jf", [done["playlist_id"]])
            pushed = playlist_push.push_playlist.fn(done["playlist_id"], "jf")
        push_s = time.perf_counter() - started

        exact_s, exact_found = _exact_join(rows)
        brute_per_entry = _brute_force(rows)

    n = len(rows)
    print(f"playlist: {n:,} entries against {args.tracks:,} tracks")
    print(
        f"matching alone: {match_s:.2f} s = {n / match_s:,.0f} entries/s; right "
        f"{outcome['right']} ({outcome['right'] / n:.1%}), wrong {outcome['wrong']}, "
        f"ambiguous {outcome['ambiguous']}, missing {outcome['missing']}"
    )
    print(
        f"import + match + push to the fake Jellyfin: {push_s:.2f} s (target < 30 s);"
        f" {pushed['status']}, {pushed['added']} added, {pushed['missing']} missing,"
        f" {pushed['ambiguous']} ambiguous"
    )
    print(
        f"baseline exact join on normalized artist+title: {exact_s:.2f} s, finds "
        f"{exact_found} of {n - n // 50} present ({exact_found / (n - n // 50):.1%});"
        f" ours takes {match_s / exact_s:.1f}x its time and finds "
        f"{outcome['right'] - n // 50}"
    )
    brute_total = brute_per_entry * n
    print(
        f"baseline brute force (rapidfuzz extractOne over every title): "
        f"{brute_per_entry * 1000:.0f} ms/entry, {brute_total:.0f} s for the playlist;"
        f" ours is {brute_total / match_s:.0f}x faster"
    )


if __name__ == "__main__":
    main()
