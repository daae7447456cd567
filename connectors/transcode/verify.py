"""Verifying an HLS output before it is published.

Every variant named in the master playlist must exist, be complete (``#EXT-X-ENDLIST``)
and list only segments that exist and are not empty; its length (the sum of its
``#EXTINF``) and its media span (first segment's start to last segment's end, from
ffprobe) must both be within ``tolerance_s`` of the source; and its segments must
decode: ffmpeg reads the whole variant with ``-xerror``, decoding every keyframe (each
segment starts with one) and all audio. Subtitle renditions must be WebVTT files.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

from connectors.transcode.errors import VerifyFailed
from connectors.transcode.probe import last_line

if TYPE_CHECKING:
    from pathlib import Path

DURATION_TOLERANCE_S = 1.0
_ATTR = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')


@dataclass(frozen=True, slots=True)
class VariantEntry:
    """One ``#EXT-X-STREAM-INF`` or ``#EXT-X-MEDIA`` entry of a master playlist."""

    uri: str
    attrs: dict[str, str]


@dataclass(frozen=True, slots=True)
class CheckedVariant:
    """A variant that passed verification."""

    uri: str
    kind: str  # video, audio, subtitles
    segments: int
    duration_s: float
    size_bytes: int
    attrs: dict[str, str]


def parse_attrs(text: str) -> dict[str, str]:
    """``KEY=VALUE,KEY="VALUE"`` as a dict, quotes removed."""
    return {k: v.strip('"') for k, v in _ATTR.findall(text)}


def read_master(text: str) -> tuple[list[VariantEntry], list[VariantEntry]]:
    """The stream variants and the media renditions (``URI=``) of a master playlist."""
    variants: list[VariantEntry] = []
    media: list[VariantEntry] = []
    pending: dict[str, str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#EXT-X-STREAM-INF:"):
            pending = parse_attrs(line.partition(":")[2])
        elif line.startswith("#EXT-X-MEDIA:"):
            attrs = parse_attrs(line.partition(":")[2])
            if "URI" in attrs:
                media.append(VariantEntry(attrs["URI"], attrs))
        elif line and not line.startswith("#") and pending is not None:
            variants.append(VariantEntry(line, pending))
            pending = None
    return variants, media


def read_variant(text: str) -> tuple[list[tuple[float, str]], bool]:
    """A media playlist's ``(duration, uri)`` segments and whether it is complete."""
    segments: list[tuple[float, str]] = []
    length: float | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#EXTINF:"):
            length = float(line.partition(":")[2].split(",")[0])
        elif line and not line.startswith("#") and length is not None:
            segments.append((length, line))
            length = None
    return segments, "#EXT-X-ENDLIST" in text


def inside(root: Path, uri: str) -> Path:
    """``root / uri`` for a plain relative URI; anything else fails verification."""
    parts = uri.split("/")
    if uri.startswith("/") or "\\" in uri or any(p in {"", ".", ".."} for p in parts):
        raise VerifyFailed(f"playlist names a path outside the asset: {uri!r}")
    return root.joinpath(*parts)


def verify_asset(
    root: Path,
    master: str,
    source_duration_s: float,
    *,
    ffmpeg_bin: str = "ffmpeg",
    ffprobe_bin: str = "ffprobe",
    tolerance_s: float = DURATION_TOLERANCE_S,
) -> list[CheckedVariant]:
    """Check the asset under ``root``; return its variants and subtitle renditions.

    Raises:
        VerifyFailed: anything is missing, incomplete, too short or undecodable.
    """
    path = inside(root, master)
    if not path.is_file():
        raise VerifyFailed("no master playlist was written")
    variants, media = read_master(path.read_text(encoding="utf-8"))
    if not variants:
        raise VerifyFailed("the master playlist lists no variant")
    checked = []
    for entry in variants:
        kind = "video" if "RESOLUTION" in entry.attrs else "audio"
        checked.append(
            _check_variant(
                root,
                entry,
                kind,
                source_duration_s,
                tolerance_s,
                ffmpeg_bin,
                ffprobe_bin,
            )
        )
    for entry in media:
        checked.append(_check_subtitles(root, entry))
    return checked


def _check_variant(
    root: Path,
    entry: VariantEntry,
    kind: str,
    expected: float,
    tolerance: float,
    ffmpeg_bin: str,
    ffprobe_bin: str,
) -> CheckedVariant:
    playlist = inside(root, entry.uri)
    if not playlist.is_file():
        raise VerifyFailed(f"variant {entry.uri} is missing")
    segments, complete = read_variant(playlist.read_text(encoding="utf-8"))
    if not complete or not segments:
        raise VerifyFailed(f"variant {entry.uri} is incomplete")
    files = [inside(playlist.parent, uri) for _, uri in segments]
    empty = [f.name for f in files if not f.is_file() or f.stat().st_size == 0]
    if empty:
        raise VerifyFailed(
            f"variant {entry.uri}: segment {empty[0]} is missing or empty"
        )
    listed = sum(length for length, _ in segments)
    span = _media_span(files[0], files[-1], ffprobe_bin)
    for what, value in (("playlist length", listed), ("media span", span)):
        if abs(value - expected) > tolerance:
            raise VerifyFailed(
                f"variant {entry.uri}: {what} {value:.2f} s, source {expected:.2f} s"
            )
    _decode(playlist, ffmpeg_bin)
    size = sum(f.stat().st_size for f in files)
    return CheckedVariant(entry.uri, kind, len(files), listed, size, entry.attrs)


def _check_subtitles(root: Path, entry: VariantEntry) -> CheckedVariant:
    playlist = inside(root, entry.uri)
    segments, complete = read_variant(playlist.read_text(encoding="utf-8"))
    files = [inside(playlist.parent, uri) for _, uri in segments]
    if not complete or not files or not all(f.is_file() for f in files):
        raise VerifyFailed(f"subtitles {entry.uri} are incomplete")
    for file in files:
        if not file.read_bytes().lstrip(b"\xef\xbb\xbf").startswith(b"WEBVTT"):
            raise VerifyFailed(f"subtitles {file.name} are not WebVTT")
    size = sum(f.stat().st_size for f in files)
    length = sum(length for length, _ in segments)
    return CheckedVariant(entry.uri, "subtitles", len(files), length, size, entry.attrs)


def _media_span(first: Path, last: Path, ffprobe_bin: str) -> float:
    start, _ = _probe_times(first, ffprobe_bin)
    last_start, last_length = _probe_times(last, ffprobe_bin)
    return last_start + last_length - start


def _probe_times(segment: Path, ffprobe_bin: str) -> tuple[float, float]:
    done = subprocess.run(
        [
            ffprobe_bin,
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_entries",
            "format=start_time,duration",
            f"file:{segment}",
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )
    try:
        fmt = json.loads(done.stdout)["format"]
        return float(fmt["start_time"]), float(fmt["duration"])
    except (KeyError, ValueError, TypeError):
        raise VerifyFailed(
            f"segment {segment.name} is unreadable: {last_line(done.stderr)}"
        ) from None


def _decode(playlist: Path, ffmpeg_bin: str) -> None:
    done = subprocess.run(
        [
            ffmpeg_bin,
            "-hide_banner",
            "-nostdin",
            "-v",
            "error",
            "-xerror",
            "-skip_frame",
            "nokey",
            "-i",
            f"file:{playlist}",
            "-map",
            "0",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        timeout=3600,
        check=False,
    )
    problems = [
        line
        for line in done.stderr.decode("utf-8", "replace").splitlines()
        if line.strip() and not line.startswith("[null @")  # the null muxer's timing
    ]
    if done.returncode != 0 or problems:
        why = problems[-1] if problems else last_line(done.stderr)
        raise VerifyFailed(
            f"variant {playlist.parent.name} does not decode: {why[:300]}"
        )
