"""Scoring and decisions: the right candidate among close ones, ambiguity, rejection."""

from __future__ import annotations

from connectors.metadata.scoring import (
    ACCEPTED,
    REJECTED,
    REVIEW,
    Candidate,
    Thresholds,
    combine,
    decide,
    duration_score,
    title_similarity,
    year_score,
)
from connectors.metadata.video import MOVIE_WEIGHTS

T = Thresholds()


def _film(
    pid: str,
    title: str,
    year: int,
    runtime_min: float | None,
    *,
    want: tuple[str, int, float],
) -> Candidate:
    cand = Candidate("tmdb", pid, title, year)
    components = {
        "title": title_similarity(want[0], title),
        "year": year_score(want[1], year),
        "runtime": duration_score(want[2], runtime_min * 60 if runtime_min else None),
    }
    return combine(cand, components, MOVIE_WEIGHTS)


def test_title_similarity_ignores_case_accents_articles_and_punctuation() -> None:
    assert title_similarity("The Matrix", "matrix") == 1.0
    assert title_similarity("Amélie", "Amelie") == 1.0
    assert title_similarity("Law & Order", "Law and Order") == 1.0
    assert title_similarity("Alien", "Aliens") < 1.0
    assert title_similarity("Alien", "Predator") < 0.4


def test_remake_with_the_other_year_loses_to_the_right_film() -> None:
    want = ("Dune", 2021, 155 * 60.0)
    right = _film("438631", "Dune", 2021, 155, want=want)
    remake = _film("841", "Dune", 1984, 137, want=want)
    sequel = _film("693134", "Dune: Part Two", 2024, 167, want=want)
    decision = decide([remake, sequel, right], T, "'Dune'")
    assert decision.status == ACCEPTED
    assert decision.provider_id == "438631"
    assert "438631" in decision.reason
    assert "title 1.00" in decision.reason


def test_two_equally_good_candidates_go_to_review() -> None:
    want = ("Pop Music", 1990, 0.0)
    a = _film("a", "Pop Music", 1990, None, want=want)
    b = _film("b", "Pop Music", 1990, None, want=want)
    decision = decide([a, b], T, "'Pop Music'")
    assert decision.status == REVIEW
    assert decision.reason.startswith("ambiguous")


def test_title_alone_is_not_enough_and_a_clip_is_not_the_film() -> None:
    only_title = _film("1", "Heat", 1995, None, want=("Heat", None, None))  # type: ignore[arg-type]
    assert decide([only_title], T, "'Heat'").status == REVIEW
    clip = _film("550", "Fight Club", 1999, 139, want=("Fight Club", 1999, 3.0))
    decision = decide([clip], T, "'Fight Club'")
    assert decision.status == REVIEW
    assert "runtime 0.00" in decision.reason


def test_weak_or_missing_candidates_are_rejected_with_a_reason() -> None:
    weak = _film(
        "9", "Something Else Entirely", 1970, 90, want=("Big Test Picture", 2019, 3.0)
    )
    decision = decide([weak], T, "'Big Test Picture'")
    assert decision.status == REJECTED
    assert decision.provider_id is None
    assert "below the 0.55 review threshold" in decision.reason
    none = decide([], T, "'Big Test Picture'")
    assert none.status == REJECTED
    assert "no candidates" in none.reason


def test_thresholds_come_from_settings() -> None:
    want = ("Heat", 1995, 0.0)
    cand = _film("1", "Heat", 1995, None, want=want)  # 0.90
    assert decide([cand], Thresholds(accept=0.95), "'Heat'").status == REVIEW
    assert (
        decide([cand], Thresholds(accept=0.8, review=0.95), "'Heat'").status == REJECTED
    )
