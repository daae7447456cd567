"""ffprobe: one process per file, parsed into a container summary and one row per
stream.

ffprobe may open only the named file with a media demuxer
(:mod:`connectors.media_input`): a playlist or concat list posing as a video is refused,
not followed. A file ffprobe
cannot read becomes a :class:`ProbeResult` with ``error`` set (the first
line ffprobe printed, without the file's path), never an exception; only a missing
``ffprobe`` binary raises :class:`ProbeUnavailable`, because no file can be probed then.
:func:`probe_many` runs a bounded number of ffprobe processes at once (process start-up
dominates, so two workers on two cores nearly double throughput).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from connectors.media_input import input_args, refusal

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

FFPROBE_ARGS = ("-v", "error", "-print_format", "json", "-show_format", "-show_streams")
_HDR_TRANSFER = {"smpte2084": "HDR10", "arib-std-b67": "HLG"}
_MOV_FAMILY = "mov,mp4,m4a,3gp,3g2,mj2"


class ProbeUnavailable(RuntimeError):
    """``ffprobe`` is not installed (or not executable): nothing can be probed."""


@dataclass(slots=True)
class StreamInfo:
    """One stream of a file as ffprobe describes it."""

    stream_index: int
    kind: str  # video, audio, subtitle, data or attachment
    codec: str | None = None
    profile: str | None = None
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
    pix_fmt: str | None = None
    hdr: str | None = None
    channels: int | None = None
    channel_layout: str | None = None
    sample_rate: int | None = None
    language: str | None = None
    title: str | None = None
    forced: bool = False
    is_default: bool = False
    bitrate: int | None = None
    bit_depth: int | None = None


@dataclass(slots=True)
class ProbeResult:
    """What one ffprobe run found, or why it found nothing."""

    container: str | None = None
    duration_s: float | None = None
    bitrate: int | None = None
    streams: list[StreamInfo] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the file was read."""
        return self.error is None


def ffprobe_path() -> str:
    """The ffprobe executable.

    Raises:
        ProbeUnavailable: ffprobe is not on the PATH.
    """
    found = shutil.which("ffprobe")
    if found is None:
        raise ProbeUnavailable("ffprobe is not installed (apt-get install ffmpeg)")
    return found


def probe_file(
    path: Path, *, timeout_s: float = 60.0, ffprobe: str = ""
) -> ProbeResult:
    """Run ffprobe on one file; any failure of the file is an error result."""
    exe = ffprobe or ffprobe_path()
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [exe, *FFPROBE_ARGS, *input_args(), f"file:{path.absolute()}"],
            capture_output=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return ProbeResult(
            error=f"ffprobe timed out after {timeout_s:g} s", seconds=timeout_s
        )
    except FileNotFoundError as exc:
        raise ProbeUnavailable(f"cannot run ffprobe: {exc.strerror}") from None
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        return ProbeResult(error=_error_text(done.stderr, path), seconds=elapsed)
    try:
        data = json.loads(done.stdout or b"{}")
    except json.JSONDecodeError:
        return ProbeResult(error="ffprobe printed unreadable output", seconds=elapsed)
    result = parse_probe(data, path.suffix)
    result.seconds = elapsed
    return result


_COUNT_RATE = 8000  # decoded samples are counted at this rate, mono


def demuxed_seconds(
    path: Path, *, timeout_s: float = 60.0, ffmpeg: str = "ffmpeg"
) -> float | None:
    """How long the first audio stream really lasts: ffmpeg decodes it (audio decodes
    hundreds of times faster than realtime) to 8 kHz mono bytes, and the bytes are
    counted: what a player hears, not the packets' timestamps (a packet that fails to
    decode, an MP3's encoder delay, a DSF sample count ffmpeg ignores). For files whose
    header is known to lie (truncated, or a header that describes PCM around
    compressed data); None when ffmpeg decodes nothing."""
    try:
        done = subprocess.run(
            [
                *(ffmpeg, "-nostdin", "-v", "quiet", "-nostats", *input_args()),
                *("-i", f"file:{path.absolute()}", "-map", "0:a:0"),
                *("-ac", "1", "-ar", str(_COUNT_RATE), "-f", "u8", "pipe:1"),
            ],
            capture_output=True,
            timeout=timeout_s,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    seconds = len(done.stdout) / _COUNT_RATE
    return round(seconds, 3) if seconds > 0 else None


def probe_many(
    paths: Sequence[Path],
    *,
    workers: int = 2,
    timeout_s: float = 60.0,
    on_done: Callable[[int], None] | None = None,
) -> list[ProbeResult]:
    """Probe ``paths`` with at most ``workers`` ffprobe processes at once, in order."""
    exe = ffprobe_path()
    results: list[ProbeResult] = [ProbeResult()] * len(paths)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [
            pool.submit(probe_file, p, timeout_s=timeout_s, ffprobe=exe) for p in paths
        ]
        for index, future in enumerate(futures):
            results[index] = future.result()
            if on_done is not None:
                on_done(index + 1)
    return results


def parse_probe(data: dict[str, Any], suffix: str = "") -> ProbeResult:
    """Turn ffprobe's JSON (``-show_format -show_streams``) into a
    :class:`ProbeResult`."""
    fmt = data.get("format") or {}
    streams = [_stream(s) for s in data.get("streams") or []]
    if not streams:
        return ProbeResult(error="ffprobe found no audio, video or subtitle streams")
    durations = [_float(s.get("duration")) for s in data.get("streams") or []]
    duration = _float(fmt.get("duration")) or max(
        (d for d in durations if d), default=None
    )
    return ProbeResult(
        container=_container(fmt.get("format_name"), suffix),
        duration_s=round(duration, 3) if duration else None,
        bitrate=_int(fmt.get("bit_rate")),
        streams=streams,
        tags=_tags(fmt, data.get("streams") or []),
    )


def _tags(fmt: dict[str, Any], streams: list[dict[str, Any]]) -> dict[str, str]:
    """The container's tags, then the first audio stream's (Ogg keeps them there)."""
    found = {str(k): str(v) for k, v in (fmt.get("tags") or {}).items()}
    audio = next((s for s in streams if s.get("codec_type") == "audio"), {})
    for key, value in (audio.get("tags") or {}).items():
        found.setdefault(str(key), str(value))
    return found


def _stream(raw: dict[str, Any]) -> StreamInfo:
    kind = str(raw.get("codec_type") or "data")
    tags = {str(k).lower(): v for k, v in (raw.get("tags") or {}).items()}
    disposition = raw.get("disposition") or {}
    info = StreamInfo(
        stream_index=int(raw.get("index", 0)),
        kind=kind,
        codec=raw.get("codec_name"),
        profile=raw.get("profile"),
        language=_language(tags.get("language")),
        title=tags.get("title"),
        forced=bool(disposition.get("forced")),
        is_default=bool(disposition.get("default")),
        bitrate=_int(raw.get("bit_rate")),
    )
    if kind == "video":
        info.width, info.height = _int(raw.get("width")), _int(raw.get("height"))
        info.frame_rate = _rate(raw.get("avg_frame_rate")) or _rate(
            raw.get("r_frame_rate")
        )
        info.pix_fmt = raw.get("pix_fmt")
        info.hdr = _hdr(raw)
    elif kind == "audio":
        info.channels = _int(raw.get("channels"))
        info.channel_layout = raw.get("channel_layout")
        info.sample_rate = _int(raw.get("sample_rate"))
        info.bit_depth = (
            _int(raw.get("bits_per_raw_sample")) or _int(raw.get("bits_per_sample"))
        ) or None
    return info


def _hdr(raw: dict[str, Any]) -> str | None:
    side = " ".join(
        str(s.get("side_data_type", "")) for s in raw.get("side_data_list") or []
    )
    if "DOVI" in side:
        return "Dolby Vision"
    found = _HDR_TRANSFER.get(str(raw.get("color_transfer") or ""))
    if found == "HDR10" and "SMPTE2094-40" in side:
        return "HDR10+"
    return found


def _container(format_name: Any, suffix: str) -> str | None:
    if not format_name:
        return None
    if format_name == _MOV_FAMILY:
        return "mov" if suffix.lower() == ".mov" else "mp4"
    return str(format_name).split(",", 1)[0]


def _language(value: Any) -> str | None:
    text = str(value or "").strip().lower()
    return None if text in {"", "und"} else text


def _rate(value: Any) -> float | None:
    try:
        rate = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return None
    return round(float(rate), 3) if rate > 0 else None


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _error_text(stderr: bytes, path: Path) -> str:
    text = stderr.decode("utf-8", "replace").strip()
    refused = refusal(text)
    if refused:
        return refused
    for noise in (f"file:{path.absolute()}", str(path.absolute()), str(path)):
        text = text.replace(f"{noise}: ", "").replace(noise, path.name)
    first = text.splitlines()[0] if text else "ffprobe failed without a message"
    return first[:300]
