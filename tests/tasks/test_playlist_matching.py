"""Matching accuracy on a labelled set of 500 entries through the real pipeline (the
warehouse's blocking, then the scorer): at least 98% right and not one wrong "matched"
at or above the auto-accept score; the confusion table is printed (``pytest -s``)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import polars as pl

from tasks.context import warehouse
from tasks.playlist_sources import match_entries
from tests.tasks.playlist_labelled import cases, library
from warehouse.upsert import merge_frame


def load(songs: list) -> None:
    frame = pl.DataFrame(
        [
            {
                "server_id": "lib",
                "native_id": s.native_id,
                "title": s.title,
                "artist": s.artist,
                "album_artist": s.artist,
                "album": s.album,
                "duration_s": s.duration_s,
            }
            for s in songs
        ]
    )
    with warehouse().write() as con:
        merge_frame(con, "tracks", frame)


def test_labelled_set_accuracy_and_no_wrong_accept(ml_home: Path) -> None:
    songs, groups = library()
    load(songs)
    labelled = cases(groups)
    rows = [
        {
            "entry_key": f"e{i}",
            "title": c.title,
            "artist": c.artist,
            "duration_s": c.duration_s,
        }
        for i, c in enumerate(labelled)
    ]
    decided = match_entries("lib", rows)
    table: Counter[tuple[str, str]] = Counter()
    right = wrong = 0
    for i, case in enumerate(labelled):
        got = decided[f"e{i}"]
        if got["status"] == "matched":
            outcome = "right" if got["track_native_id"] == case.expected else "WRONG"
        elif case.expected is None:
            outcome = f"right ({got['status']})"
        else:
            outcome = got["status"]
        right += outcome.startswith("right")
        wrong += outcome == "WRONG"
        table[(case.kind, outcome)] += 1
    print("\nkind                 outcome            n")
    for (kind, outcome), n in sorted(table.items()):
        print(f"{kind:20} {outcome:18} {n}")
    print(f"right {right}/{len(labelled)}, wrong matched {wrong}")
    assert len(labelled) == 500
    assert wrong == 0
    assert right / len(labelled) >= 0.98
