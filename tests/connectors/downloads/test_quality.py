"""Quality filter, ranking and dedup of search results; naming and placing files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from connectors.downloads.importer import place, render_name
from connectors.downloads.quality import QualityPrefs, choose
from connectors.downloads.records import Candidate, Kind, Request

PREFS = QualityPrefs(
    formats=("flac", "mp3"), min_bitrate_kbps=192, max_sample_rate_hz=48000,
    duration_tolerance_s=5,
)  # fmt: skip
TRACK = Request.parse("Artist - Song", Kind.TRACK, duration_s=200.0)


def cand(key: str, **kw: object) -> Candidate:
    values: dict = {"source": "slskd", "key": key, "title": "Song", "size": 1000}
    return Candidate(**(values | kw))


def test_filter_rejects_what_the_user_does_not_accept() -> None:
    candidates = [
        cand("low", extension="mp3", bitrate_kbps=128),
        cand("flac", extension="flac", bitrate_kbps=900, size=2),
        cand("hires", extension="flac", sample_rate_hz=96000, size=3),
        cand("ogg", extension="ogg", bitrate_kbps=320, size=4),
        cand("short", extension="mp3", bitrate_kbps=320, duration_s=120.0, size=5),
        cand("mp3", extension="mp3", bitrate_kbps=320, duration_s=203.0, size=6),
        cand("blocked", extension="flac", size=7),
    ]

    chosen = choose(candidates, TRACK, PREFS, blocked={"blocked"})

    assert [c.key for c in chosen] == ["flac", "mp3"]
    assert PREFS.rejection(candidates[0], TRACK) == "bitrate 128 kbps < 192"


def test_ranking_prefers_format_then_free_slot_then_short_queue() -> None:
    candidates = [
        cand("mp3-free", extension="mp3", free_slot=True, size=1),
        cand("flac-busy", extension="flac", free_slot=False, queue_length=3, size=2),
        cand("flac-queue", extension="flac", free_slot=True, queue_length=9, size=3),
        cand("flac-best", extension="flac", free_slot=True, queue_length=0, size=4),
    ]

    chosen = choose(candidates, TRACK, PREFS, blocked=set())

    assert [c.key for c in chosen] == [
        "flac-best",
        "flac-queue",
        "flac-busy",
        "mp3-free",
    ]


def test_dedup_keeps_one_of_each_result_and_other_copies_as_fallbacks() -> None:
    same = {"extension": "flac", "size": 5000, "title": "01 Song"}
    candidates = [
        cand("alice|a.flac", queue_length=4, **same),
        cand("bob|b.flac", queue_length=0, **same),
        cand("bob|b.flac", queue_length=0, **same),
        cand("carol|c.flac", extension="flac", size=4000, queue_length=1),
    ]

    chosen = choose(candidates, TRACK, PREFS, blocked=set())

    assert [c.key for c in chosen] == ["bob|b.flac", "carol|c.flac", "alice|a.flac"]


def test_names_follow_the_template_and_are_safe() -> None:
    fields = {"artist": "AC/DC", "album": None, "title": 'What? "Now"', "year": None}

    music = render_name("Music/{artist}/{album}/{title}", fields, "MP3")
    film = render_name("Video/Movies/{title} ({year})/{title} ({year})", fields, "mkv")

    assert music == Path("Music/AC_DC/Singles/What_ _Now_.mp3")
    assert film.parts[-1] == "What_ _Now_.mkv"
    with pytest.raises(ValueError, match="unknown field"):
        render_name("{nope}", fields, "mp3")


def test_place_never_overwrites_and_leaves_no_partial(tmp_path: Path) -> None:
    root, staging = tmp_path / "library", tmp_path / "staging"
    staging.mkdir()
    for n in range(2):
        (staging / f"{n}.mp3").write_bytes(b"x" * (n + 1))

    first = place(staging / "0.mp3", root, Path("Music/a.mp3"))
    second = place(staging / "1.mp3", root, Path("Music/a.mp3"))

    assert (first.name, second.name) == ("a.mp3", "a (2).mp3")
    assert first.read_bytes() == b"x"
    assert sorted(os.listdir(root / "Music")) == ["a (2).mp3", "a.mp3"]
    assert list(staging.iterdir()) == []
