"""Scoring candidates and deciding: accept, queue for review, or reject.

Every candidate gets a score in [0, 1] from weighted components (title similarity, year,
runtime or durations, ...). A component that cannot be measured (no year in the file
name, no runtime in the answer) counts as neutral (0.5), so missing evidence neither
helps nor sinks a candidate. The decision then follows three numbers from settings:

- ``accept`` (default 0.85): exact title plus matching year already scores 0.90 for a
  film, while an exact title alone (remakes share titles) stays near 0.78; so 0.85 means
  "two independent facts agree".
- ``review`` (default 0.55): below it a candidate is a guess (a title sharing a word or
  two) and is rejected rather than put in front of a person.
- ``margin`` (default 0.05): when the runner-up is this close to the best, the item is
  ambiguous and goes to review even above ``accept``.

Every candidate keeps its components and notes, so a decision can always say why.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

NEUTRAL = 0.5
ACCEPTED, REVIEW, REJECTED, SKIPPED, OVERRIDE = (
    "accepted",
    "review",
    "rejected",
    "skipped",
    "override",
)
_ARTICLES = re.compile(r"^(the|a|an|le|la|les|l|der|die|das|el|los|las) ")
_PUNCT = re.compile(r"[^\w\s]")


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The decision thresholds (see the module docstring for the defaults)."""

    accept: float = 0.85
    review: float = 0.55
    margin: float = 0.05


@dataclass(slots=True)
class Candidate:
    """One possible identity of an item, with its score and the reasons for it."""

    provider: str
    provider_id: str
    title: str
    year: int | None = None
    score: float = 0.0
    components: dict[str, float | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def why(self) -> str:
        """The components and notes as one line."""
        parts = [
            f"{name} {'?' if value is None else f'{value:.2f}'}"
            for name, value in self.components.items()
        ]
        return (
            "; ".join([", ".join(parts), *self.notes])
            if self.notes
            else ", ".join(parts)
        )

    def label(self) -> str:
        """``'Title' (year) [provider id]`` for reasons."""
        year = f" ({self.year})" if self.year else ""
        return f"'{self.title}'{year} [{self.provider} {self.provider_id}]"


@dataclass(slots=True)
class Decision:
    """The outcome for one item: status, chosen id (if any), confidence and why."""

    status: str
    provider_id: str | None
    confidence: float | None
    reason: str


def normalize_title(text: str) -> str:
    """Casefolded, accents and punctuation removed, ``&`` as ``and``, no leading
    article."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("&", " and "))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = " ".join(_PUNCT.sub(" ", text).split())
    return _ARTICLES.sub("", text)


def title_similarity(a: str | None, b: str | None) -> float:
    """Similarity of two titles in [0, 1], robust to case, accents, word order."""
    if not a or not b:
        return 0.0
    left, right = normalize_title(a), normalize_title(b)
    if not left or not right:
        return 1.0 if a.strip() == b.strip() else 0.0
    if left == right:
        return 1.0
    ratio = SequenceMatcher(None, left, right).ratio()
    tokens_l, tokens_r = set(left.split()), set(right.split())
    overlap = len(tokens_l & tokens_r) / max(len(tokens_l | tokens_r), 1)
    return round(max(ratio, overlap) * 0.95, 4)  # only identical titles score 1.0


def year_score(wanted: int | None, found: int | None) -> float | None:
    """1 for the same year, 0.5 one year off (regional release dates), else 0."""
    if wanted is None or found is None:
        return None
    gap = abs(wanted - found)
    return 1.0 if gap == 0 else 0.5 if gap == 1 else 0.0


def duration_score(actual_s: float | None, expected_s: float | None) -> float | None:
    """How well a probed duration matches the expected one (runtime, track length)."""
    if not actual_s or not expected_s:
        return None
    off = abs(actual_s - expected_s) / expected_s
    if off <= 0.05 or abs(actual_s - expected_s) <= 3:
        return 1.0
    return 0.6 if off <= 0.15 else 0.3 if off <= 0.30 else 0.0


def count_score(wanted: int | None, found: int | None) -> float | None:
    """1 for the same number (tracks, episodes), 0.5 one off, else 0."""
    if not wanted or not found:
        return None
    gap = abs(wanted - found)
    return 1.0 if gap == 0 else 0.5 if gap == 1 else 0.0


def combine(
    candidate: Candidate,
    components: Mapping[str, float | None],
    weights: Mapping[str, float],
) -> Candidate:
    """Set the candidate's components and weighted score (None counts as neutral)."""
    candidate.components = dict(components)
    total = sum(weights.values())
    score = sum(
        weights[name] * (NEUTRAL if value is None else value)
        for name, value in components.items()
    )
    candidate.score = round(score / total, 4)
    return candidate


def decide(
    candidates: Sequence[Candidate], thresholds: Thresholds, what: str
) -> Decision:
    """Choose among scored candidates (``what`` names the item in reasons)."""
    ranked = sorted(candidates, key=lambda c: c.score, reverse=True)
    if not ranked:
        return Decision(REJECTED, None, None, f"no candidates found for {what}")
    best = ranked[0]
    if best.score < thresholds.review:
        reason = (
            f"best candidate {best.label()} scored {best.score:.2f}, below the "
            f"{thresholds.review:.2f} review threshold ({best.why})"
        )
        return Decision(REJECTED, None, best.score, reason)
    runner = ranked[1] if len(ranked) > 1 else None
    if runner is not None and best.score - runner.score < thresholds.margin:
        reason = (
            f"ambiguous: {best.label()} {best.score:.2f} and {runner.label()} "
            f"{runner.score:.2f} differ by less than {thresholds.margin:.2f}"
        )
        return Decision(REVIEW, best.provider_id, best.score, reason)
    if best.score >= thresholds.accept:
        reason = (
            f"{best.label()} scored {best.score:.2f} >= {thresholds.accept:.2f} "
            f"({best.why})"
        )
        return Decision(ACCEPTED, best.provider_id, best.score, reason)
    reason = (
        f"{best.label()} scored {best.score:.2f}, between {thresholds.review:.2f} and "
        f"{thresholds.accept:.2f} ({best.why})"
    )
    return Decision(REVIEW, best.provider_id, best.score, reason)
