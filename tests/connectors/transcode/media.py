"""Test sources made with real ffmpeg: HEVC with 5.1 audio and text subtitles, MPEG-4
part 2, H.264 in MKV and MP4, music, and a corrupt file. Tiny sizes, seconds long."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

SUBTITLES = """1
00:00:00,500 --> 00:00:02,000
Hello there

2
00:00:03,000 --> 00:00:05,000
Second line
"""


def ffmpeg(*args: str) -> None:
    """Run ffmpeg quietly; fail the test with its error text."""
    done = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def _picture(seconds: float, size: str = "320x180", rate: int = 24) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]


def _tone(seconds: float, layout: str = "stereo") -> list[str]:
    return [
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency=440:duration={seconds},aformat=channel_layouts={layout}",
    ]


def hevc_with_subtitles(path: Path, seconds: float = 6) -> Path:
    """HEVC video, 5.1 AC-3 audio and an SRT subtitle track (English) in MKV."""
    srt = path.with_suffix(".srt")
    srt.write_text(SUBTITLES, encoding="utf-8")
    ffmpeg(
        *_picture(seconds),
        *_tone(seconds, "5.1"),
        "-i",
        str(srt),
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-map",
        "2:s",
        "-c:v",
        "libx265",
        "-preset",
        "ultrafast",
        "-x265-params",
        "log-level=error",
        "-c:a",
        "ac3",
        "-c:s",
        "srt",
        "-metadata:s:s:0",
        "language=eng",
        str(path),
    )
    return path


def mpeg4_avi(path: Path, seconds: float = 3) -> Path:
    """MPEG-4 part 2 video with MP3 audio in AVI (needs a transcode)."""
    ffmpeg(
        *_picture(seconds),
        *_tone(seconds),
        "-c:v",
        "mpeg4",
        "-q:v",
        "8",
        "-c:a",
        "libmp3lame",
        "-b:a",
        "64k",
        str(path),
    )
    return path


def h264(path: Path, seconds: float = 3, size: str = "320x180") -> Path:
    """H.264 with AAC stereo; the container follows the suffix (mp4, mkv)."""
    ffmpeg(
        *_picture(seconds, size),
        *_tone(seconds),
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-b:a",
        "64k",
        "-shortest",
        str(path),
    )
    return path


def music(path: Path, seconds: float = 3) -> Path:
    """A FLAC track."""
    ffmpeg(*_tone(seconds), "-c:a", "flac", str(path))
    return path


def corrupt(path: Path) -> Path:
    """A file named like a video holding garbage after a plausible MP4 header."""
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 64)
    return path


def fingerprint(path: Path) -> tuple[str, int]:
    """Content hash and mtime: proof a source was not touched."""
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns
