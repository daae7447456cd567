"""Ladder planning: which renditions a source gets, at which size and bitrate.

Renditions come from settings (default 1080p, 720p, 480p, 360p). A source is never
upscaled: renditions taller than the source are dropped, and a source smaller than every
rendition gets one rendition at its own height (bitrate scaled by pixel count). Sizes
are even (H.264 4:2:0 needs it) and keep the source's display aspect.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from connectors.transcode.probe import MediaInfo

NAME = re.compile(r"^[a-z0-9_]{1,16}$")


@dataclass(frozen=True, slots=True)
class RenditionSpec:
    """A wanted video rendition: ``name`` (``720p``), height and bitrates."""

    name: str
    height: int
    video_kbps: int
    audio_kbps: int = 128

    def __post_init__(self) -> None:
        if not NAME.match(self.name):
            raise ValueError(f"rendition name {self.name!r}: use a-z, 0-9 and _ only")
        if self.height < 16 or self.height % 2:
            raise ValueError(f"rendition {self.name}: height must be even and >= 16")
        if self.video_kbps < 16 or self.audio_kbps < 16:
            raise ValueError(f"rendition {self.name}: bitrates must be >= 16 kb/s")


@dataclass(frozen=True, slots=True)
class Rendition:
    """A planned rendition: the exact output size and bitrates."""

    name: str
    width: int
    height: int
    video_kbps: int
    audio_kbps: int

    @property
    def bandwidth(self) -> int:
        """Peak bits per second, as the master playlist announces it."""
        return (self.video_kbps + self.audio_kbps) * 1000


@dataclass(frozen=True, slots=True)
class AudioRendition:
    """An audio-only rendition (music): AAC stereo at ``kbps``."""

    name: str
    kbps: int


DEFAULT_LADDER: tuple[RenditionSpec, ...] = (
    RenditionSpec("1080p", 1080, 5000, 160),
    RenditionSpec("720p", 720, 2800, 128),
    RenditionSpec("480p", 480, 1400, 128),
    RenditionSpec("360p", 360, 800, 96),
)
DEFAULT_AUDIO_KBPS: tuple[int, ...] = (192, 96)


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def plan_ladder(info: MediaInfo, specs: Sequence[RenditionSpec]) -> list[Rendition]:
    """The renditions ``info``'s video gets, tallest first, never above the source.

    Raises:
        ValueError: the source has no video stream with a size, or no specs are given.
    """
    video = info.video
    if video is None or not video.width or not video.height:
        raise ValueError("the source has no video stream with a known size")
    if not specs:
        raise ValueError("no renditions are configured")
    src_w, src_h = video.width, video.height
    fitting = [s for s in specs if s.height <= src_h]
    if not fitting:
        smallest = min(specs, key=lambda s: s.height)
        scale = (src_h / smallest.height) ** 2
        fitting = [
            RenditionSpec(
                f"{_even(src_h)}p",
                _even(src_h),
                max(16, round(smallest.video_kbps * scale)),
                smallest.audio_kbps,
            )
        ]
    plan: dict[int, Rendition] = {}
    for spec in sorted(fitting, key=lambda s: s.height, reverse=True):
        height = _even(spec.height)
        width = _even(src_w * height / src_h)
        plan.setdefault(
            height,
            Rendition(spec.name, width, height, spec.video_kbps, spec.audio_kbps),
        )
    return list(plan.values())


def plan_audio(kbps: Sequence[int]) -> list[AudioRendition]:
    """The audio-only rendition set (music), highest bitrate first."""
    rates = sorted({int(k) for k in kbps if int(k) >= 16}, reverse=True)
    if not rates:
        raise ValueError("no audio bitrates are configured")
    return [AudioRendition(f"aac_{k}k", k) for k in rates]


def gop_frames(fps: float | None, segment_s: float) -> int:
    """The encoder's longest keyframe interval: one frame more than a segment.

    Keyframes are placed by ``-force_key_frames`` at every segment boundary; this bound
    only keeps the encoder from adding keyframes of its own in between.
    """
    return max(2, math.ceil((fps or 25.0) * segment_s) + 1)
