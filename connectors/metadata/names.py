"""guessit helpers: what a video's file name says (title, year, season, episode,
edition).

Servers usually know an item's title already; the file name still carries what the title
field lost (the year, an edition, the episode numbers), so enrichment asks guessit and
fills the gaps, never overriding what the server said.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from guessit import guessit


@dataclass(frozen=True, slots=True)
class VideoGuess:
    """What guessit read from a path."""

    kind: str  # movie or episode
    title: str | None
    year: int | None = None
    season: int | None = None
    episode: int | None = None
    edition: str | None = None
    episode_title: str | None = None


def guess_video(path: str) -> VideoGuess:
    """Parse a (relative or absolute) video path with guessit; never raises."""
    try:
        guess: dict[str, Any] = dict(guessit(path.replace("\\", "/")))
    except Exception:  # guessit raises on pathological names; a name is only a hint
        return VideoGuess(kind="movie", title=None)
    kind = "episode" if guess.get("type") == "episode" else "movie"
    return VideoGuess(
        kind=kind,
        title=_text(guess.get("title")),
        year=_number(guess.get("year")),
        season=_number(guess.get("season")),
        episode=_number(guess.get("episode")),
        edition=_text(guess.get("edition")),
        episode_title=_text(guess.get("episode_title")),
    )


def fill_year(year: int | None, path: str | None) -> int | None:
    """``year`` when known, else the year in the file name (if any)."""
    if year is not None or not path:
        return year
    return guess_video(path).year


def year_of(date: str | None) -> int | None:
    """The year of an ISO date (``1999-10-15`` -> 1999); None when absent."""
    text = (date or "")[:4]
    return int(text) if text.isdigit() else None


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    if value is None:
        return None
    return str(value).strip() or None


def _number(value: Any) -> int | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, int) else None
