"""The quality filter, ranking and dedup of search results.

Applied by the engine to every source's candidates, so every source is judged by the
same preferences: formats in order of preference, a minimum bitrate for lossy audio, a
maximum sample rate, and a duration that must match the request's within a tolerance.
A result listed twice is kept once; the same file offered by several Soulseek users
keeps its best-placed copy first and the others last, as fallbacks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from connectors.downloads.records import AUDIO_KINDS

if TYPE_CHECKING:
    from collections.abc import Iterable

    from connectors.downloads.records import Candidate, Request
    from medialake.settings import DownloadsSettings

LOSSLESS = frozenset({"flac", "wav", "alac", "aiff", "aif", "ape", "wv"})
_WORDS = re.compile(r"[^\w]+")


@dataclass(frozen=True, slots=True)
class QualityPrefs:
    """What a user accepts and prefers."""

    formats: tuple[str, ...] = ()
    min_bitrate_kbps: int = 0
    max_sample_rate_hz: int = 192_000
    duration_tolerance_s: float = 5.0

    @classmethod
    def from_settings(cls, settings: DownloadsSettings) -> QualityPrefs:
        """The preferences of the ``[downloads]`` section."""
        return cls(
            formats=tuple(f.lower().lstrip(".") for f in settings.formats),
            min_bitrate_kbps=settings.min_bitrate_kbps,
            max_sample_rate_hz=settings.max_sample_rate_hz,
            duration_tolerance_s=settings.duration_tolerance_s,
        )

    def rejection(self, candidate: Candidate, request: Request) -> str | None:
        """Why ``candidate`` is not acceptable for ``request``, or None."""
        if request.duration_s and candidate.duration_s:
            gap = abs(request.duration_s - candidate.duration_s)
            if gap > max(self.duration_tolerance_s, 0.05 * request.duration_s):
                have, want = candidate.duration_s, request.duration_s
                return f"duration {have:.0f} s, wanted {want:.0f} s"
        if request.kind not in AUDIO_KINDS:
            return None
        ext = (candidate.extension or "").lower().lstrip(".")
        if self.formats and ext and ext not in self.formats:
            return f"format {ext} is not in downloads.formats"
        lossy = ext not in LOSSLESS
        if (
            lossy
            and candidate.bitrate_kbps
            and candidate.bitrate_kbps < self.min_bitrate_kbps
        ):
            return f"bitrate {candidate.bitrate_kbps} kbps < {self.min_bitrate_kbps}"
        rate = candidate.sample_rate_hz
        if rate and rate > self.max_sample_rate_hz:
            return f"sample rate {rate} Hz > {self.max_sample_rate_hz}"
        return None

    def rank(self, candidate: Candidate) -> tuple[float, ...]:
        """Sort key, best first: preferred format, free slot, short queue, bitrate."""
        ext = (candidate.extension or "").lower().lstrip(".")
        order = self.formats.index(ext) if ext in self.formats else len(self.formats)
        return (
            order,
            0 if candidate.free_slot is not False else 1,
            candidate.queue_length or 0,
            -(candidate.bitrate_kbps or 0),
            -(candidate.sample_rate_hz or 0),
        )


def _same_file(candidate: Candidate) -> tuple[object, ...]:
    name = _WORDS.sub(" ", candidate.title.casefold()).strip()
    if candidate.size:
        return (name, candidate.size, candidate.extension)
    return (candidate.key,)


def choose(
    candidates: Iterable[Candidate],
    request: Request,
    prefs: QualityPrefs,
    blocked: set[str],
) -> list[Candidate]:
    """Acceptable candidates, best first, without blocklisted or repeated results.

    A result listed twice (same key) is kept once. The same file offered by several
    users keeps its best-placed copy in rank order; the other copies move to the end,
    where they still serve as fallbacks (a user may be offline).
    """
    acceptable = [
        c
        for c in candidates
        if c.key not in blocked and prefs.rejection(c, request) is None
    ]
    acceptable.sort(key=prefs.rank)
    keys: set[str] = set()
    files: set[tuple[object, ...]] = set()
    first: list[Candidate] = []
    copies: list[Candidate] = []
    for candidate in acceptable:
        if candidate.key in keys:
            continue
        keys.add(candidate.key)
        ident = _same_file(candidate)
        (copies if ident in files else first).append(candidate)
        files.add(ident)
    return first + copies
