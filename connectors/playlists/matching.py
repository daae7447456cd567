"""Matching a playlist entry to one server's track: exact ids first, then a scored
fuzzy match that knows a remix or a live take is not the original.

Order of evidence (the warehouse finds the exact candidates, see
``warehouse/playlist_sync.py``): the MusicBrainz recording id, the file's path, the
stored match key (``tracks.match_key``); then every candidate the warehouse's blocking
found is scored here with rapidfuzz (C speed; chosen over difflib, which is 50x slower
at the sizes a 5,000-entry playlist against a million tracks needs).

Score in [0, 1] from weighted components: title 0.55, artist 0.30, duration 0.10, album
0.05; a component the entry lacks is left out. A title below 0.75 caps the score (the
artist alone never makes a match), different numbers in two titles ("Part 1" and "Part
2") cap it at 0.6, and without an artist the score stays below ``accept`` unless the
duration agrees. Versions: "(Live)", "(... Remix)", "(Acoustic)", "(Instrumental)",
"(Demo)", "(Radio Edit)" ... are compared as a set; a candidate whose set differs is
refused whatever its score ("Remastered", "Album Version", "Mono" are not versions).

Every entry ends ``matched`` (score, method, track), ``ambiguous`` (the candidates, best
first) or ``missing`` (with the reason).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from rapidfuzz import fuzz

if TYPE_CHECKING:
    from collections.abc import Sequence

    from connectors.playlists.formats import Entry

MATCHED, AMBIGUOUS, MISSING = "matched", "ambiguous", "missing"
EXACT_METHODS = ("mbid", "path", "key")
_VERSIONS = (
    ("remix", re.compile(r"\b(re ?mix|rmx|bootleg|mash ?up|(?<!original )\w+ mix)\b")),
    ("live", re.compile(r"\b(live|in concert|live at .*)\b")),
    ("acoustic", re.compile(r"\b(acoustic|unplugged)\b")),
    ("instrumental", re.compile(r"\binstrumental\b")),
    ("demo", re.compile(r"\bdemo\b")),
    ("karaoke", re.compile(r"\bkaraoke\b")),
    ("edit", re.compile(r"\b(radio edit|single edit|edit)\b")),
)
_NEUTRAL = re.compile(
    r"\b(remaster(ed)?|original mix|album version|single version|mono|stereo|"
    r"deluxe|bonus track|explicit|clean|\d{4})\b"
)
_FILLER = frozenset({"version", "edition", "digital", "digitally", "the", "a"})
_MIX_WORDS = frozenset({"remix", "mix", "rmx", "re", "version", "edit"})
_FEAT = re.compile(r"^(feat|ft|featuring|with)\b")
_FEAT_INLINE = re.compile(r"\s+(feat\.?|ft\.|featuring)\s+.*$", re.I)
_SEGMENTS = re.compile(r"[\(\[]([^\)\]]*)[\)\]]")
_DASH = re.compile(r"\s+[-\u2013\u2014]\s+(.*)$")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class Thresholds:
    """``accept``: auto-accept at or above; ``review``: below it a candidate is a
    guess, not shown; ``margin``: a runner-up this close makes the entry ambiguous."""

    accept: float = 0.90
    review: float = 0.60
    margin: float = 0.04


@dataclass(frozen=True, slots=True)
class Track:
    """A server's track as the matcher sees it."""

    native_id: str
    title: str
    artist: str | None = None
    album_artist: str | None = None
    album: str | None = None
    duration_s: float | None = None

    @property
    def label(self) -> str:
        parts = [self.artist or self.album_artist, self.title]
        text = " - ".join(p for p in parts if p)
        return f"{text} ({self.album})" if self.album else text


@dataclass(slots=True)
class Match:
    """The outcome for one entry on one server."""

    status: str
    native_id: str | None = None
    score: float = 0.0
    method: str = ""
    reason: str | None = None
    candidates: list[tuple[str, float, str]] = field(default_factory=list)


def fold(text: str | None) -> str:
    """Lower case, accents removed, ``&`` as ``and``, punctuation as spaces."""
    if not text:
        return ""
    return _fold(text)


@lru_cache(maxsize=200_000)
def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("&", " and "))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+|_", " ", plain.casefold()).split())


@lru_cache(maxsize=200_000)
def parse_title(title: str) -> tuple[str, frozenset[str]]:
    """A title's core (folded, without versions, featured artists or remaster notes)
    and its set of versions. ``'Song (Live at Wembley) [2011 Remaster]'`` ->
    ``('song', {'live'})``."""
    versions: set[str] = set()
    text = _FEAT_INLINE.sub("", title)

    def segment(found: re.Match[str]) -> str:
        inner = fold(found[1])
        return "" if _classify(inner, versions) else found[0]

    text = _SEGMENTS.sub(segment, text)
    dash = _DASH.search(text)
    if dash and _classify(fold(dash[1]), versions):
        text = text[: dash.start()]
    core = fold(text) or fold(title)
    return core, frozenset(versions)


@lru_cache(maxsize=200_000)
def remix_name(title: str) -> str:
    """Which remix a title names (``'Song (Club Mix)'`` -> ``'club'``), or ''."""
    for found in [*_SEGMENTS.finditer(title), _DASH.search(title)]:
        if found is None:
            continue
        inner = fold(found[1])
        if _VERSIONS[0][1].search(_NEUTRAL.sub(" ", inner)):
            words = [w for w in inner.split() if w not in _MIX_WORDS]
            return " ".join(words)
    return ""


def _classify(inner: str, versions: set[str]) -> bool:
    """Whether a bracketed aside or a dash suffix is a version, a neutral note or a
    featured artist (and so not part of the core title)."""
    if not inner:
        return True
    if _FEAT.match(inner):
        return True
    stripped = _NEUTRAL.sub(" ", inner)
    found = {name for name, pattern in _VERSIONS if pattern.search(stripped)}
    if found:
        versions.update(found)
        return True
    return stripped != inner and set(stripped.split()) <= _FILLER


@lru_cache(maxsize=200_000)
def _artist(text: str) -> str:
    return fold(_FEAT_INLINE.sub("", text))


def _duration(a: float | None, b: float | None) -> float | None:
    if not a or not b:
        return None
    diff = abs(a - b)
    for limit, value in ((2.5, 1.0), (5, 0.8), (10, 0.5), (20, 0.2)):
        if diff <= limit:
            return value
    return 0.0


def score(entry: Entry, track: Track) -> tuple[float, str | None]:
    """The candidate's score and, when refused, why (a different version)."""
    want_core, want_versions = parse_title(entry.title or "")
    core, versions = parse_title(track.title)
    if want_versions != versions:
        return 0.0, _version_reason(want_versions, versions)
    if "remix" in versions:
        wanted_mix, mix = remix_name(entry.title or ""), remix_name(track.title)
        if wanted_mix and mix and fuzz.ratio(wanted_mix, mix) < 80:
            return 0.0, f"wanted the {wanted_mix} remix, found the {mix} remix"
    title = max(fuzz.ratio(want_core, core), fuzz.token_sort_ratio(want_core, core))
    parts: list[tuple[float, float]] = [(0.55, title / 100)]
    artist = None
    if entry.artist:
        wanted = _artist(entry.artist)
        artist = max(
            fuzz.token_set_ratio(wanted, _artist(name)) / 100
            for name in (track.artist or "", track.album_artist or "")
        )
        parts.append((0.30, artist))
    duration = _duration(entry.duration_s, track.duration_s)
    if duration is not None:
        parts.append((0.10, duration))
    if entry.album and track.album:
        wanted_album = parse_title(entry.album)[0]
        album = fuzz.token_set_ratio(wanted_album, parse_title(track.album)[0])
        parts.append((0.05, album / 100))
    total = sum(w * v for w, v in parts) / sum(w for w, _ in parts)
    if title < 75:
        total = min(total, title / 100)
    if _DIGITS.findall(want_core) != _DIGITS.findall(core):
        total = min(total, 0.6)
    if artist is None:
        total = min(total, 0.85 if duration is None or duration < 1 else 0.92)
    elif artist < 0.6:
        total = min(total, 0.7)
    return round(total, 4), None


def _version_reason(wanted: frozenset[str], found: frozenset[str]) -> str:
    want = ", ".join(sorted(wanted)) or "original"
    have = ", ".join(sorted(found)) or "original"
    return f"wanted the {want} version, found the {have} version"


def _same_song(a: Track, b: Track) -> bool:
    """Two copies of one recording on a server (an album and a compilation)."""
    if parse_title(a.title) != parse_title(b.title):
        return False
    if _artist(a.artist or a.album_artist or "") != _artist(
        b.artist or b.album_artist or ""
    ):
        return False
    return not (a.duration_s and b.duration_s and abs(a.duration_s - b.duration_s) > 3)


def decide(
    entry: Entry,
    exact: Sequence[tuple[str, Track]],
    fuzzy: Sequence[Track],
    thresholds: Thresholds | None = None,
) -> Match:
    """Decide one entry from its exact candidates (``(method, track)``, best method
    first) and the candidates blocking found."""
    limits = thresholds or Thresholds()
    if exact:
        method, track = exact[0]
        return Match(MATCHED, track.native_id, 1.0, method)
    scored: list[tuple[float, Track]] = []
    refused: list[str] = []
    for track in fuzzy:
        value, why = score(entry, track)
        if why:
            if (
                fuzz.ratio(
                    parse_title(entry.title or "")[0], parse_title(track.title)[0]
                )
                >= 85
            ):
                refused.append(f"{track.label}: {why}")
        elif value >= limits.review:
            scored.append((value, track))
    scored.sort(key=lambda pair: (-pair[0], pair[1].native_id))
    if not scored:
        reason = refused[0] if refused else "no track with a similar title and artist"
        return Match(MISSING, reason=reason)
    best_score, best = scored[0]
    others = [(s, t) for s, t in scored[1:] if not _same_song(best, t)]
    listed = [(t.native_id, s, t.label) for s, t in [scored[0], *others][:5]]
    if best_score >= limits.accept and (
        not others or best_score - others[0][0] >= limits.margin
    ):
        return Match(MATCHED, best.native_id, best_score, "fuzzy", candidates=listed)
    if refused and best_score < limits.accept:  # the song is there, as another take
        return Match(MISSING, score=best_score, reason=refused[0], candidates=listed)
    reason = (
        "several tracks score alike"
        if best_score >= limits.accept
        else f"best score {best_score:.2f} is below {limits.accept:.2f}"
    )
    return Match(
        AMBIGUOUS, score=best_score, method="fuzzy", reason=reason, candidates=listed
    )
