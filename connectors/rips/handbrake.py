"""HandBrakeCLI: scan a disc's titles, pick the main feature, encode it with progress.

``HandBrakeCLI --scan --json`` prints a ``JSON Title Set:`` document with every title
(index, duration, geometry, audio); the main feature is the longest title of a
reasonable length (or the one the user names). An encode prints ``Encoding: task 1 of
1, 42.17 %`` lines separated by carriage returns; they become progress fractions. The
progress callback may raise to cancel: the encoder is then stopped and its output
removed. HandBrakeCLI reads DVD and Blu-ray folders (``VIDEO_TS``, ``BDMV``), ISO
images, optical drives and plain video files alike.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from connectors.errors import ConnectorError

if TYPE_CHECKING:
    from pathlib import Path

RipProgress = Callable[[float], None]
_TITLE_SET = "JSON Title Set:"
_PROGRESS = re.compile(rb"Encoding: task (\d+) of (\d+), ([\d.]+) %")


class RipFailed(ConnectorError):
    """HandBrakeCLI could not scan or encode the source; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__("handbrake", message)


@dataclass(frozen=True, slots=True)
class DiscTitle:
    """One title of a disc (or the single title of a video file)."""

    index: int
    duration_s: float
    name: str
    width: int
    height: int
    audio_tracks: int
    chapters: int


@dataclass(frozen=True, slots=True)
class DiscScan:
    """What a scan found: the titles and HandBrake's own main-feature guess."""

    titles: list[DiscTitle]
    main_feature: int | None
    volume: str


def parse_scan(output: str) -> DiscScan:
    """Parse ``HandBrakeCLI --scan --json`` output.

    Raises:
        RipFailed: the output holds no title set (nothing readable on the source).
    """
    start = output.find(_TITLE_SET)
    if start < 0:
        raise RipFailed("HandBrakeCLI found no titles on the source")
    text = output[start + len(_TITLE_SET) :].lstrip()
    data, _ = json.JSONDecoder().raw_decode(text)
    titles = [_title(item) for item in data.get("TitleList", [])]
    main = data.get("MainFeature")
    volume = str(data["TitleList"][0].get("Name", "")) if data.get("TitleList") else ""
    return DiscScan(
        titles, main if isinstance(main, int) and main > 0 else None, volume
    )


def _title(item: dict[str, Any]) -> DiscTitle:
    d = item.get("Duration", {})
    seconds = d.get("Hours", 0) * 3600 + d.get("Minutes", 0) * 60 + d.get("Seconds", 0)
    ticks = d.get("Ticks")  # 90 kHz clock: more precise than the h/m/s fields
    geometry = item.get("Geometry", {})
    return DiscTitle(
        index=int(item["Index"]),
        duration_s=ticks / 90_000 if ticks else float(seconds),
        name=str(item.get("Name", "")),
        width=int(geometry.get("Width", 0)),
        height=int(geometry.get("Height", 0)),
        audio_tracks=len(item.get("AudioList", [])),
        chapters=len(item.get("ChapterList", [])),
    )


def pick_main_feature(
    scan: DiscScan, min_s: float, max_s: float, wanted: int | None = None
) -> DiscTitle:
    """The title to rip: ``wanted`` if given, else the longest reasonable one.

    Reasonable means between ``min_s`` and ``max_s`` (fake hours-long titles of
    copy-protected discs are excluded). Among titles within 2% of the longest,
    HandBrake's main-feature guess wins (obfuscated Blu-rays list many such titles).

    Raises:
        RipFailed: the wanted title does not exist, or no title is reasonable.
    """
    if wanted is not None:
        for title in scan.titles:
            if title.index == wanted:
                return title
        known = ", ".join(str(t.index) for t in scan.titles)
        raise RipFailed(f"the source has no title {wanted} (titles: {known})")
    fitting = [t for t in scan.titles if min_s <= t.duration_s <= max_s]
    if not fitting:
        lengths = ", ".join(f"{t.index}: {t.duration_s:.0f} s" for t in scan.titles)
        raise RipFailed(
            f"no title between {min_s:.0f} s and {max_s:.0f} s ({lengths or 'none'});"
            " name one with --title-index"
        )
    longest = max(t.duration_s for t in fitting)
    close = [t for t in fitting if t.duration_s >= 0.98 * longest]
    for title in close:
        if title.index == scan.main_feature:
            return title
    return max(close, key=lambda t: (t.duration_s, -t.index))


class HandBrake:
    """Runs HandBrakeCLI."""

    def __init__(self, binary: str = "HandBrakeCLI", min_title_s: float = 10.0) -> None:
        self.binary = binary
        self.min_title_s = max(0.0, min_title_s)

    def _base(self, source: Path) -> list[str]:
        return [
            self.binary,
            "-i",
            str(source),
            "--min-duration",
            f"{self.min_title_s:g}",
        ]

    def scan(self, source: Path, timeout_s: float = 600) -> DiscScan:
        """List the titles of ``source``."""
        cmd = [*self._base(source), "--scan", "-t", "0", "--json"]
        try:
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except FileNotFoundError:
            raise RipFailed(f"{self.binary} is not installed") from None
        except subprocess.TimeoutExpired:
            raise RipFailed("the scan did not finish in time") from None
        return parse_scan(done.stdout)

    def encode(
        self,
        source: Path,
        title: int,
        dest: Path,
        preset: str,
        progress: RipProgress,
    ) -> None:
        """Encode one title to ``dest``; ``progress(fraction)`` may raise to cancel."""
        cmd = [*self._base(source), "-t", str(title), "-o", str(dest), "-Z", preset]
        with tempfile.TemporaryFile() as errors:
            try:
                proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors)
            except FileNotFoundError:
                raise RipFailed(f"{self.binary} is not installed") from None
            try:
                assert proc.stdout is not None
                _follow(proc.stdout, progress)
                code = proc.wait()
            except BaseException:
                proc.kill()
                proc.wait()
                dest.unlink(missing_ok=True)
                raise
            if code != 0 or not dest.exists():
                dest.unlink(missing_ok=True)
                errors.seek(0)
                raise RipFailed(f"HandBrakeCLI failed ({code}): {_tail(errors.read())}")


def _follow(stream: IO[bytes], progress: RipProgress) -> None:
    """Read the encoder's output; report the tasks' percentages as one fraction."""
    pending = b""
    while chunk := stream.read1(4096):  # type: ignore[attr-defined]
        pending += chunk
        *lines, pending = re.split(rb"[\r\n]", pending)
        for line in lines:
            match = _PROGRESS.search(line)
            if match:
                task, tasks, percent = match.groups()
                fraction = (int(task) - 1 + float(percent) / 100) / max(1, int(tasks))
                progress(min(1.0, fraction))


def _tail(raw: bytes) -> str:
    lines = [
        ln.strip() for ln in raw.decode(errors="replace").splitlines() if ln.strip()
    ]
    useful = [ln for ln in lines if "error" in ln.lower()] or lines
    return (useful[-1] if useful else "no detail")[:300]
