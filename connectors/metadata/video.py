"""Video identity on TMDb: movies by title, year and runtime; shows by title, year, the
episodes they must contain and their runtimes; episodes through their show's seasons.

The runtime compares TMDb's minutes with the probed duration, so a two-minute clip named
like a feature film does not pass as the film. Details and seasons are fetched only for
the candidates that can still win (within 0.1 of the best), to spend few requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectors.errors import NotFound
from connectors.metadata.names import year_of
from connectors.metadata.scoring import (
    ACCEPTED,
    REJECTED,
    REVIEW,
    Candidate,
    Decision,
    combine,
    decide,
    duration_score,
    title_similarity,
    year_score,
)

if TYPE_CHECKING:
    from connectors.metadata.scoring import Thresholds
    from connectors.metadata.tmdb import TmdbClient

PROVIDER = "tmdb"
Seasons = dict[int, dict[int, dict[str, Any]]]
"""Season number -> episode number -> TMDb's episode."""
MOVIE_WEIGHTS = {"title": 0.55, "year": 0.25, "runtime": 0.20}
SHOW_WEIGHTS = {"title": 0.50, "year": 0.15, "episodes": 0.20, "runtime": 0.15}
MAX_CANDIDATES = 5
CONTENDER_GAP = 0.10


@dataclass(slots=True)
class MovieQuery:
    """A movie as the library knows it."""

    title: str
    year: int | None = None
    duration_s: float | None = None


@dataclass(slots=True)
class EpisodeQuery:
    """One episode file of a show."""

    native_id: str
    season: int | None
    episode: int | None
    duration_s: float | None = None


@dataclass(slots=True)
class ShowQuery:
    """A show and the episodes the library holds."""

    title: str
    year: int | None = None
    episodes: list[EpisodeQuery] = field(default_factory=list)


@dataclass(slots=True)
class EpisodeMatch:
    """The identity of one episode, following its show's decision."""

    native_id: str
    status: str
    provider_id: str | None
    confidence: float | None
    reason: str


@dataclass(slots=True)
class VideoMatch:
    """A movie's or show's decision, its candidates and the chosen one's details."""

    decision: Decision
    candidates: list[Candidate]
    details: dict[str, Any] | None = None
    episodes: list[EpisodeMatch] = field(default_factory=list)

    @property
    def genres(self) -> list[str]:
        """Genre names of the chosen candidate."""
        return [
            g["name"] for g in (self.details or {}).get("genres") or [] if g.get("name")
        ]


def match_movie(
    client: TmdbClient, query: MovieQuery, thresholds: Thresholds
) -> VideoMatch:
    """Search, score, refine the contenders with their runtime, decide."""
    results = client.search_movie(query.title, query.year)
    if not results and query.year:
        results = client.search_movie(query.title)
    candidates = [_movie_candidate(r, query, None) for r in results[:MAX_CANDIDATES]]
    details: dict[str, dict[str, Any]] = {}
    for cand in _contenders(candidates):
        try:
            details[cand.provider_id] = client.movie(cand.provider_id)
        except NotFound:
            cand.notes.append("TMDb has no details for it")
            continue
        _movie_candidate(details[cand.provider_id], query, cand)
    decision = decide(candidates, thresholds, f"'{query.title}'")
    return VideoMatch(decision, candidates, details.get(decision.provider_id or ""))


def _movie_candidate(
    found: dict[str, Any], query: MovieQuery, into: Candidate | None
) -> Candidate:
    year = year_of(found.get("release_date"))
    cand = into or Candidate(
        PROVIDER, str(found["id"]), str(found.get("title") or ""), year
    )
    runtime = found.get("runtime")
    title = max(
        title_similarity(query.title, found.get("title")),
        title_similarity(query.title, found.get("original_title")),
    )
    components = {
        "title": title,
        "year": year_score(query.year, year),
        "runtime": duration_score(query.duration_s, runtime * 60 if runtime else None),
    }
    if components["runtime"] == 0.0 and runtime and query.duration_s:
        cand.notes.append(
            f"runtime mismatch: file {query.duration_s:.0f} s, TMDb {runtime} min"
        )
    return combine(cand, components, MOVIE_WEIGHTS)


def _contenders(candidates: list[Candidate], limit: int = 2) -> list[Candidate]:
    ranked = sorted(candidates, key=lambda c: c.score, reverse=True)
    if not ranked:
        return []
    return [c for c in ranked if ranked[0].score - c.score <= CONTENDER_GAP][:limit]


def match_show(
    client: TmdbClient, query: ShowQuery, thresholds: Thresholds
) -> VideoMatch:
    """Search, score, check the contenders' seasons against the episodes, decide."""
    results = client.search_tv(query.title, query.year)
    if not results and query.year:
        results = client.search_tv(query.title)
    candidates = [_show_candidate(r, query) for r in results[:MAX_CANDIDATES]]
    details: dict[str, dict[str, Any]] = {}
    seasons: dict[str, Seasons] = {}
    for cand in _contenders(candidates):
        try:
            details[cand.provider_id] = client.tv(cand.provider_id)
        except NotFound:
            cand.notes.append("TMDb has no details for it")
            continue
        seasons[cand.provider_id] = _seasons(client, cand.provider_id, query)
        _score_episodes(cand, query, seasons[cand.provider_id])
    decision = decide(candidates, thresholds, f"show '{query.title}'")
    chosen = decision.provider_id or ""
    episodes = _episode_matches(query, decision, seasons.get(chosen, {}))
    return VideoMatch(decision, candidates, details.get(chosen), episodes)


def _show_candidate(found: dict[str, Any], query: ShowQuery) -> Candidate:
    year = year_of(found.get("first_air_date"))
    cand = Candidate(PROVIDER, str(found["id"]), str(found.get("name") or ""), year)
    title = max(
        title_similarity(query.title, found.get("name")),
        title_similarity(query.title, found.get("original_name")),
    )
    components = {"title": title, "year": year_score(query.year, year)}
    return combine(
        cand, {**components, "episodes": None, "runtime": None}, SHOW_WEIGHTS
    )


def _seasons(client: TmdbClient, tv_id: str, query: ShowQuery) -> Seasons:
    numbers = sorted({e.season for e in query.episodes if e.season is not None})
    found: Seasons = {}
    for number in numbers:
        try:
            season = client.season(tv_id, number)
        except NotFound:
            continue
        found[number] = {
            int(ep["episode_number"]): ep for ep in season.get("episodes") or []
        }
    return found


def _score_episodes(cand: Candidate, query: ShowQuery, seasons: Seasons) -> None:
    known = [
        e for e in query.episodes if e.season is not None and e.episode is not None
    ]
    hits = [
        (e, seasons[e.season][e.episode])
        for e in known
        if e.season in seasons and e.episode in seasons[e.season]
    ]
    runtimes = [
        duration_score(e.duration_s, (ep.get("runtime") or 0) * 60) for e, ep in hits
    ]
    measured = [r for r in runtimes if r is not None]
    components = dict(cand.components)
    components["episodes"] = len(hits) / len(known) if known else None
    components["runtime"] = sum(measured) / len(measured) if measured else None
    if known and len(hits) < len(known):
        cand.notes.append(
            f"{len(known) - len(hits)} of {len(known)} episodes not on TMDb"
        )
    if measured and components["runtime"] == 0.0:
        cand.notes.append("episode runtimes do not match the files")
    combine(cand, components, SHOW_WEIGHTS)


def _episode_matches(
    query: ShowQuery, decision: Decision, seasons: Seasons
) -> list[EpisodeMatch]:
    matches = []
    for ep in query.episodes:
        code = f"S{ep.season or 0:02d}E{ep.episode or 0:02d}"
        found = seasons.get(ep.season or -1, {}).get(ep.episode or -1)
        if decision.status == REJECTED or decision.provider_id is None:
            status, reason, pid = REJECTED, f"{code}: the show was not identified", None
        elif found is None:
            status, pid = REVIEW, None
            reason = f"{code} is not in TMDb show {decision.provider_id}"
        else:
            status, pid = decision.status, str(found["id"])
            reason = f"{code} '{found.get('name')}' of TMDb show {decision.provider_id}"
        if status == ACCEPTED and decision.status != ACCEPTED:
            status = REVIEW
        matches.append(
            EpisodeMatch(ep.native_id, status, pid, decision.confidence, reason)
        )
    return matches
