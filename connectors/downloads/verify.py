"""Verification of a finished download or rip before it may enter the library.

A file passes when its size is what the source announced, ffprobe reads it and finds
an audio or video stream, its duration is plausible (positive, and close to what was
expected when that is known), and ffmpeg decodes its first and last seconds without an
error (a truncated file fails there even when its header claims the full length).
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

PROBE_TIMEOUT_S = 60
DECODE_SECONDS = 2


class VerificationFailed(Exception):
    """The file is not what was wanted; the message says why."""


@dataclass(frozen=True, slots=True)
class Probe:
    """What ffprobe says about a file."""

    duration_s: float
    size: int
    container: str
    has_audio: bool
    has_video: bool


def probe(path: Path) -> Probe:
    """Read a file's format and streams with ffprobe.

    Raises:
        VerificationFailed: ffprobe cannot read it, or it holds no audio or video.
    """
    cmd = [
        "ffprobe", "-v", "error", "-of", "json",
        "-show_entries", "format=duration,format_name:stream=codec_type,duration",
        str(path),
    ]  # fmt: skip
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise VerificationFailed("ffprobe did not finish in time") from None
    if done.returncode != 0:
        raise VerificationFailed(f"ffprobe cannot read it: {_last_line(done.stderr)}")
    data = json.loads(done.stdout or "{}")
    fmt = data.get("format", {})
    types = {s.get("codec_type") for s in data.get("streams", [])}
    durations = [_float(fmt.get("duration"))] + [
        _float(s.get("duration")) for s in data.get("streams", [])
    ]
    return Probe(
        duration_s=max((d for d in durations if d), default=0.0),
        size=path.stat().st_size,
        container=str(fmt.get("format_name", "")).split(",")[0],
        has_audio="audio" in types,
        has_video="video" in types,
    )


def verify_file(
    path: Path,
    *,
    announced_size: int | None = None,
    expected_duration_s: float | None = None,
    tolerance_s: float = 5.0,
) -> Probe:
    """Check a downloaded file; return its probe.

    Raises:
        VerificationFailed: with the reason (size, unreadable, duration, decode error).
    """
    size = path.stat().st_size
    if size == 0:
        raise VerificationFailed("the file is empty")
    if announced_size and size != announced_size:
        raise VerificationFailed(
            f"size {size} bytes, the source announced {announced_size}"
        )
    decoding = _start_decode(path)  # runs while ffprobe reads the file
    try:
        info = probe(path)
    except VerificationFailed:
        decoding.kill()
        decoding.wait()
        raise
    _check(info, expected_duration_s, tolerance_s, decoding)
    _finish_decode(decoding)
    return info


def _check(
    info: Probe,
    expected_duration_s: float | None,
    tolerance_s: float,
    decoding: subprocess.Popen[str],
) -> None:
    problem = None
    if not (info.has_audio or info.has_video):
        problem = "no audio or video stream"
    elif info.duration_s <= 0:
        problem = "no duration: the file does not play"
    elif expected_duration_s:
        allowed = max(tolerance_s, 0.05 * expected_duration_s)
        if abs(info.duration_s - expected_duration_s) > allowed:
            problem = (
                f"duration {info.duration_s:.1f} s,"
                f" expected {expected_duration_s:.1f} s"
            )
    if problem:
        decoding.kill()
        decoding.wait()
        raise VerificationFailed(problem)


def _start_decode(path: Path) -> subprocess.Popen[str]:
    """Decode the first and the last seconds (``-sseof``: from the end the container
    claims); the tail goes to a frame list so an empty tail can be told apart."""
    cmd = [
        "ffmpeg", "-nostdin", "-v", "error", "-xerror",
        "-t", str(DECODE_SECONDS), "-i", str(path),
        "-sseof", f"-{DECODE_SECONDS}", "-i", str(path),
        "-map", "0:v?", "-map", "0:a?", "-f", "null", "-",
        "-map", "1:v?", "-map", "1:a?", "-f", "framecrc", "pipe:1",
    ]  # fmt: skip
    return subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _finish_decode(decoding: subprocess.Popen[str]) -> None:
    """Any decoder error, or no frame at all near the end, fails the file."""
    try:
        out, err = decoding.communicate(timeout=PROBE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        decoding.kill()
        decoding.wait()
        raise VerificationFailed("decoding did not finish in time") from None
    if decoding.returncode != 0 or err.strip():
        raise VerificationFailed(f"does not decode: {_last_line(err)}")
    if not any(line and not line.startswith("#") for line in out.splitlines()):
        raise VerificationFailed(
            f"the last {DECODE_SECONDS} seconds are missing: nothing decodes there"
        )


def _float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no detail"
