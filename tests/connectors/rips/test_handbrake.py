"""The real HandBrakeCLI on a real DVD-Video folder (authored with ffmpeg + dvdauthor):
scan titles, pick the main feature, encode with progress, cancel."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from connectors.downloads.verify import probe
from connectors.rips.handbrake import (
    DiscScan,
    DiscTitle,
    HandBrake,
    RipFailed,
    _follow,
    pick_main_feature,
)

PRESET = "Very Fast 480p30"


def test_scan_lists_the_dvd_titles_and_the_main_feature_is_the_longest(dvd_folder):
    scan = HandBrake(min_title_s=1).scan(dvd_folder)

    assert [t.index for t in scan.titles] == [1, 2]
    assert [round(t.duration_s) for t in scan.titles] == [2, 6]
    assert scan.titles[1].width == 720
    assert pick_main_feature(scan, min_s=3, max_s=3600).index == 2
    assert pick_main_feature(scan, min_s=3, max_s=3600, wanted=1).index == 1
    with pytest.raises(RipFailed, match="no title between 10 s and 3600 s"):
        pick_main_feature(scan, min_s=10, max_s=3600)


def test_obfuscated_discs_prefer_handbrakes_main_feature_among_equals() -> None:
    titles = [
        DiscTitle(1, 7000.0, "", 1920, 1080, 2, 20),
        DiscTitle(2, 7050.0, "", 1920, 1080, 2, 20),
        DiscTitle(3, 40000.0, "", 1920, 1080, 2, 1),  # an absurd fake title
    ]

    chosen = pick_main_feature(DiscScan(titles, 1, "DISC"), 600, 4 * 3600)

    assert chosen.index == 1


def test_encode_reports_progress_and_writes_a_playable_file(dvd_folder, tmp_path):
    seen: list[float] = []
    out = tmp_path / "film.mkv"

    HandBrake(min_title_s=1).encode(dvd_folder, 2, out, PRESET, seen.append)

    info = probe(out)
    assert info.has_video
    assert info.has_audio
    assert abs(info.duration_s - 6) < 0.5
    assert seen == sorted(seen)
    assert seen[-1] == pytest.approx(1.0)


def test_a_cancelled_encode_stops_and_leaves_no_file(dvd_folder, tmp_path) -> None:
    out = tmp_path / "film.mkv"

    def cancel(fraction: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        HandBrake(min_title_s=1).encode(dvd_folder, 2, out, PRESET, cancel)

    assert not out.exists()


def test_progress_lines_become_fractions_over_all_tasks() -> None:
    output = b"Encoding: task 1 of 2, 50.00 %\rEncoding: task 2 of 2, 50.00 % (fps)\r"
    seen: list[float] = []

    _follow(io.BufferedReader(io.BytesIO(output)), seen.append)  # type: ignore[arg-type]

    assert seen == [0.25, 0.75]


def test_a_source_without_titles_fails_with_a_reason(tmp_path: Path) -> None:
    empty = tmp_path / "VIDEO_TS"
    empty.mkdir()

    with pytest.raises(RipFailed, match="no titles"):
        HandBrake(min_title_s=1).scan(empty)
