"""Running ffmpeg: progress from ``-progress pipe:1``, errors mapped to clear messages.

ffmpeg prints ``key=value`` blocks on stdout, each ending in ``progress=continue`` (or
``end``): ``out_time_us`` gives how far it got and ``speed`` its pace as a multiple of
realtime. Error text goes to a temporary file, so a chatty ffmpeg can never block on a
full pipe. If the caller stops (an exception in the progress callback, an interrupt),
ffmpeg is killed before the error propagates.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

from connectors.media_input import refusal
from connectors.transcode.errors import (
    EncodeFailed,
    NotEnoughSpace,
    OutputUnwritable,
    ToolMissing,
)
from connectors.transcode.probe import last_line

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

_NO_SPACE = ("no space left on device", "file too large", "disk quota exceeded")
_NO_WRITE = ("permission denied", "read-only file system", "not a directory")


@dataclass(frozen=True, slots=True)
class Progress:
    """How far an ffmpeg run is: seconds written, percent, speed and ETA."""

    out_time_s: float
    duration_s: float
    speed: float | None
    done: bool = False

    @property
    def percent(self) -> float:
        """Percent of the source written, 0 to 100."""
        if self.done:
            return 100.0
        if self.duration_s <= 0:
            return 0.0
        return max(0.0, min(100.0, 100.0 * self.out_time_s / self.duration_s))

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the current speed; None before the speed is known."""
        if self.done:
            return 0.0
        if not self.speed or self.speed <= 0:
            return None
        return max(0.0, (self.duration_s - self.out_time_s) / self.speed)


def parse_progress(lines: Iterable[str], duration_s: float) -> Iterable[Progress]:
    """Turn ffmpeg's ``-progress`` lines into one :class:`Progress` per block."""
    block: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.strip().partition("=")
        if not sep:
            continue
        block[key] = value.strip()
        if key != "progress":
            continue
        out_us = block.get("out_time_us") or block.get("out_time_ms") or "0"
        speed = block.get("speed", "").rstrip("x")
        yield Progress(
            out_time_s=max(0.0, _number(out_us) / 1e6),
            duration_s=duration_s,
            speed=_number(speed) or None,
            done=value == "end",
        )
        block = {}


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


def run_ffmpeg(
    args: list[str],
    duration_s: float,
    on_progress: Callable[[Progress], None] | None = None,
) -> None:
    """Run ``args`` (an ffmpeg command with ``-progress pipe:1``) to its end.

    Raises:
        NotEnoughSpace: the output disk is full (or a file size limit was hit).
        OutputUnwritable: the output cannot be written.
        EncodeFailed: any other failure, or ffmpeg was killed.
        ToolMissing: ffmpeg is not installed.
    """
    with tempfile.TemporaryFile() as errors:
        try:
            proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                bufsize=1,
            )
        except FileNotFoundError:
            raise ToolMissing(f"{args[0]} is not installed") from None
        try:
            assert proc.stdout is not None
            for update in parse_progress(proc.stdout, duration_s):
                if on_progress is not None:
                    on_progress(update)
            code = proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if code != 0:
            errors.seek(0)
            raise failure(code, errors.read().decode("utf-8", "replace"))


def failure(code: int, stderr: str) -> Exception:
    """The error for an ffmpeg exit ``code`` and its error text."""
    text = stderr.lower()
    line = refusal(stderr) or last_line(stderr)
    if any(marker in text for marker in _NO_SPACE):
        return NotEnoughSpace(f"the assets folder's disk is full: {line}")
    if any(marker in text for marker in _NO_WRITE):
        return OutputUnwritable(f"cannot write the output: {line}")
    if code < 0:
        return EncodeFailed(f"ffmpeg was killed (signal {-code})")
    return EncodeFailed(f"ffmpeg failed (exit {code}): {line}")
