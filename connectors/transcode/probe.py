"""ffprobe: what a media file holds, as typed records.

One ffprobe process per file (process start dominates at ~17 files/s), with a timeout.
Paths are always passed as ``file:`` URLs of absolute paths, so a name can never be read
as an option or as another protocol, and only media demuxers may open them
(:mod:`connectors.media_input`): a playlist or concat list posing as a video is refused.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from connectors.media_input import input_args, refusal
from connectors.transcode.errors import ProbeFailed, ToolMissing

PROBE_TIMEOUT_S = 60.0
_LANG = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """One stream of a media file."""

    index: int
    kind: str  # video, audio, subtitle, data, attachment
    codec: str
    profile: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    pix_fmt: str | None = None
    channels: int | None = None
    language: str = "und"
    forced: bool = False
    attached_pic: bool = False
    duration_s: float | None = None
    empty: bool = False  # declared, but its length is zero: it holds no packets


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """A probed media file: container, duration and streams."""

    container: str
    duration_s: float
    bit_rate: int | None = None
    streams: tuple[StreamInfo, ...] = field(default_factory=tuple)

    @property
    def video(self) -> StreamInfo | None:
        """The first real video stream (cover art is not video, nor a stream that
        holds no packets)."""
        return next(
            (
                s
                for s in self.streams
                if s.kind == "video" and not s.attached_pic and not s.empty
            ),
            None,
        )

    @property
    def audio(self) -> StreamInfo | None:
        """The first audio stream that holds packets (a declared but empty one would
        fail every remux)."""
        return next(
            (s for s in self.streams if s.kind == "audio" and not s.empty), None
        )

    @property
    def empty_streams(self) -> list[StreamInfo]:
        """Audio and video streams that are declared but hold no packets."""
        return [s for s in self.streams if s.empty and s.kind in {"audio", "video"}]

    @property
    def media_duration_s(self) -> float:
        """How long the picture and sound last (a subtitle may end later or earlier).

        The longest of the first video and audio streams when their lengths are known,
        else the container's duration. This is what an HLS output must match.
        """
        lengths = [s.duration_s for s in (self.video, self.audio) if s and s.duration_s]
        return max(lengths) if lengths else self.duration_s

    @property
    def subtitles(self) -> list[StreamInfo]:
        """Every subtitle stream, text and bitmap."""
        return [s for s in self.streams if s.kind == "subtitle"]


def ffprobe_args(path: Path, ffprobe: str = "ffprobe") -> list[str]:
    """The ffprobe command for ``path`` (JSON with format and streams)."""
    return [
        ffprobe,
        *("-v", "error", "-hide_banner", "-print_format", "json"),
        *input_args(),
        *("-show_format", "-show_streams", f"file:{Path(path).absolute()}"),
    ]


def probe(path: Path, ffprobe: str = "ffprobe") -> MediaInfo:
    """Probe ``path``.

    Raises:
        ProbeFailed: the file is missing, corrupt or holds no media streams.
        ToolMissing: ffprobe is not installed.
    """
    try:
        done = subprocess.run(
            ffprobe_args(path, ffprobe),
            capture_output=True,
            timeout=PROBE_TIMEOUT_S,
            check=False,
        )
    except FileNotFoundError:
        raise ToolMissing(f"{ffprobe} is not installed") from None
    except subprocess.TimeoutExpired:
        raise ProbeFailed(f"ffprobe took more than {PROBE_TIMEOUT_S:g} s") from None
    if done.returncode != 0:
        why = refusal(done.stderr.decode("utf-8", "replace")) or last_line(
            done.stderr
        ).replace(f"file:{Path(path).absolute()}: ", "")
        raise ProbeFailed(f"ffprobe cannot read {Path(path).name}: {why}")
    try:
        data = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise ProbeFailed("ffprobe printed no readable answer") from None
    info = parse_probe(data)
    if not info.streams:
        raise ProbeFailed("the file holds no audio or video streams")
    return info


def parse_probe(data: dict[str, Any]) -> MediaInfo:
    """ffprobe's JSON as a :class:`MediaInfo`."""
    fmt = data.get("format") or {}
    streams = tuple(_stream(s) for s in data.get("streams") or [])
    duration = _float(fmt.get("duration")) or max(
        (_float(s.get("duration")) or 0.0 for s in data.get("streams") or []),
        default=0.0,
    )
    return MediaInfo(
        container=str(fmt.get("format_name") or "unknown"),
        duration_s=duration,
        bit_rate=_int(fmt.get("bit_rate")),
        streams=tuple(s for s in streams if s.kind in {"video", "audio", "subtitle"}),
    )


def info_from_rows(
    probe_row: dict[str, Any], streams: list[dict[str, Any]]
) -> MediaInfo:
    """A :class:`MediaInfo` from stored probe results (one row per stream).

    Rows use the warehouse's names: ``stream_index``, ``kind``, ``codec``, ``profile``,
    ``width``, ``height``, ``frame_rate``, ``pix_fmt``, ``channels``, ``language``,
    ``forced``.
    """
    converted = [
        {
            "index": row.get("stream_index"),
            "codec_type": row.get("kind"),
            "codec_name": row.get("codec"),
            "profile": row.get("profile"),
            "width": row.get("width"),
            "height": row.get("height"),
            "avg_frame_rate": row.get("frame_rate"),
            "pix_fmt": row.get("pix_fmt"),
            "channels": row.get("channels"),
            "tags": {"language": row.get("language") or "und"},
            "disposition": {"forced": int(bool(row.get("forced")))},
        }
        for row in streams
    ]
    return parse_probe(
        {
            "format": {
                "format_name": probe_row.get("container"),
                "duration": probe_row.get("duration_s"),
                "bit_rate": probe_row.get("bitrate"),
            },
            "streams": converted,
        }
    )


def _stream(raw: dict[str, Any]) -> StreamInfo:
    tags = {str(k).lower(): v for k, v in (raw.get("tags") or {}).items()}
    disposition = raw.get("disposition") or {}
    language = str(tags.get("language") or "und").lower()
    return StreamInfo(
        index=int(raw.get("index", 0)),
        kind=str(raw.get("codec_type") or "data"),
        codec=str(raw.get("codec_name") or "unknown"),
        profile=raw.get("profile") if raw.get("profile") != "unknown" else None,
        width=_int(raw.get("width")),
        height=_int(raw.get("height")),
        fps=_rate(raw.get("avg_frame_rate")) or _rate(raw.get("r_frame_rate")),
        pix_fmt=raw.get("pix_fmt"),
        channels=_int(raw.get("channels")),
        language=language if _LANG.match(language) else "und",
        forced=bool(disposition.get("forced")),
        attached_pic=bool(disposition.get("attached_pic")),
        duration_s=_float(raw.get("duration")) or _clock(tags.get("duration")),
        empty=_float(raw.get("duration")) == 0 or _clock(tags.get("duration")) == 0,
    )


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _clock(value: Any) -> float | None:
    """``HH:MM:SS.fraction`` (Matroska's per-stream DURATION tag) in seconds."""
    parts = str(value or "").split(":")
    if len(parts) != 3:
        return None
    try:
        hours, minutes, seconds = int(parts[0]), int(parts[1]), float(parts[2])
    except ValueError:
        return None
    return hours * 3600 + minutes * 60 + seconds


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _rate(value: Any) -> float | None:
    try:
        rate = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return None
    return float(rate) if rate > 0 else None


def last_line(stderr: bytes | str, limit: int = 300) -> str:
    """The last non-empty line of a tool's error output, shortened."""
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return (lines[-1] if lines else "no error text")[:limit]
