"""ffprobe on real files: the sample library's videos, and broken files made here."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from connectors.metadata.probe import (
    ProbeUnavailable,
    parse_probe,
    probe_file,
    probe_many,
)
from medialake.sample import SAMPLE_VIDEOS

pytestmark = pytest.mark.skipif(shutil.which("ffprobe") is None, reason="needs ffprobe")


def _videos(root: Path) -> list[Path]:
    return sorted(
        p for p in (root / "Video").rglob("*") if p.suffix in {".mkv", ".mp4"}
    )


def test_sample_video_has_container_duration_and_streams(sample_library) -> None:
    planned = next(v for v in SAMPLE_VIDEOS if v.path.endswith(".mkv"))
    result = probe_file(sample_library.root / planned.path)
    assert result.ok, result.error
    assert result.container == "matroska"
    assert result.duration_s == pytest.approx(planned.seconds, abs=0.5)
    kinds = {s.kind: s for s in result.streams}
    assert kinds["video"].codec == "h264"
    assert (kinds["video"].width, kinds["video"].height) == (320, 180)
    assert kinds["video"].frame_rate == 24.0
    assert kinds["video"].hdr is None
    assert kinds["audio"].codec == "aac"
    assert kinds["audio"].sample_rate == 44100


def test_broken_files_become_errors_without_their_path(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mkv"
    empty.write_bytes(b"")
    corrupt = tmp_path / "corrupt.mkv"
    corrupt.write_bytes(b"\x1a\x45\xdf\xa3" + os.urandom(4096))
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 50)
    results = probe_many([empty, corrupt, text], workers=2)
    for path, result in zip([empty, corrupt, text], results, strict=True):
        assert not result.ok
        assert result.error
        assert str(tmp_path) not in result.error
        assert result.streams == []
        assert path.name  # the file itself is untouched
    assert empty.stat().st_size == 0


def test_probe_many_keeps_order_with_good_and_bad_files(
    sample_library, tmp_path: Path
) -> None:
    good = _videos(sample_library.root)[:3]
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    done: list[int] = []
    results = probe_many(
        [good[0], bad, good[1], good[2]], workers=2, on_done=done.append
    )
    assert [r.ok for r in results] == [True, False, True, True]
    assert done == [1, 2, 3, 4]


def test_hdr_forced_subtitles_and_languages_are_parsed() -> None:
    data = {
        "format": {
            "format_name": "mov,mp4,m4a,3gp,3g2,mj2",
            "duration": "5400.5",
            "bit_rate": "8000000",
        },
        "streams": [
            {
                "index": 0,
                "codec_type": "video",
                "codec_name": "hevc",
                "profile": "Main 10",
                "width": 3840,
                "height": 2160,
                "avg_frame_rate": "24000/1001",
                "color_transfer": "smpte2084",
                "pix_fmt": "yuv420p10le",
            },
            {
                "index": 1,
                "codec_type": "video",
                "codec_name": "hevc",
                "side_data_list": [{"side_data_type": "DOVI configuration record"}],
                "avg_frame_rate": "0/0",
                "r_frame_rate": "25/1",
            },
            {
                "index": 2,
                "codec_type": "audio",
                "codec_name": "eac3",
                "channels": 6,
                "channel_layout": "5.1(side)",
                "sample_rate": "48000",
                "tags": {"language": "ger"},
                "disposition": {"default": 1},
            },
            {
                "index": 3,
                "codec_type": "subtitle",
                "codec_name": "subrip",
                "tags": {"LANGUAGE": "eng", "title": "Forced"},
                "disposition": {"forced": 1},
            },
            {
                "index": 4,
                "codec_type": "subtitle",
                "codec_name": "ass",
                "tags": {"language": "und"},
            },
        ],
    }
    result = parse_probe(data, ".mp4")
    assert (result.container, result.duration_s, result.bitrate) == (
        "mp4",
        5400.5,
        8000000,
    )
    video, dovi, audio, forced, plain = result.streams
    assert (video.hdr, video.frame_rate, video.width) == ("HDR10", 23.976, 3840)
    assert (dovi.hdr, dovi.frame_rate) == ("Dolby Vision", 25.0)
    assert (audio.channels, audio.sample_rate, audio.language, audio.is_default) == (
        6,
        48000,
        "ger",
        True,
    )
    assert (forced.forced, forced.language, forced.title) == (True, "eng", "Forced")
    assert (plain.forced, plain.language) == (False, None)
    assert parse_probe({"format": {}, "streams": []}).error


def test_missing_ffprobe_is_reported_not_recorded_per_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ProbeUnavailable, match="ffprobe"):
        probe_many([tmp_path / "x.mkv"])
