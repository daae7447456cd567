"""Music identity on MusicBrainz: albums as releases, tracks as recordings.

An album is looked up by its tagged release MBID first; when it has none (or MusicBrainz
does not know it) releases are searched by artist, title and track count, and the
contenders' tracklists are fetched to compare track durations. Tracks are then matched
to the chosen release's recordings by disc and position. A track outside any album is
matched as a recording (tagged MBID first, then a search).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectors.errors import NotFound
from connectors.metadata.names import year_of
from connectors.metadata.scoring import (
    REJECTED,
    Candidate,
    Decision,
    combine,
    count_score,
    decide,
    duration_score,
    title_similarity,
    year_score,
)

if TYPE_CHECKING:
    from connectors.metadata.musicbrainz import MusicBrainzClient
    from connectors.metadata.scoring import Thresholds

PROVIDER = "musicbrainz"
ALBUM_WEIGHTS = {
    "title": 0.35,
    "artist": 0.25,
    "tracks": 0.15,
    "durations": 0.15,
    "year": 0.10,
}
RECORDING_WEIGHTS = {"title": 0.5, "artist": 0.3, "duration": 0.2}
TAGGED_FLOOR = 0.95
CONTENDER_GAP = 0.10


@dataclass(slots=True)
class TrackQuery:
    """One track file of an album."""

    native_id: str
    title: str
    disc_no: int | None = None
    track_no: int | None = None
    duration_s: float | None = None
    recording_id: str | None = None


@dataclass(slots=True)
class AlbumQuery:
    """An album as its tags describe it."""

    title: str
    artist: str
    year: int | None = None
    track_count: int | None = None
    release_id: str | None = None
    tracks: list[TrackQuery] = field(default_factory=list)


@dataclass(slots=True)
class TrackMatch:
    """A track's recording within the chosen release."""

    native_id: str
    recording_id: str | None
    score: float | None
    reason: str


@dataclass(slots=True)
class AlbumMatch:
    """An album's decision, candidates, the chosen release and its tracks."""

    decision: Decision
    candidates: list[Candidate]
    release: dict[str, Any] | None = None
    tracks: list[TrackMatch] = field(default_factory=list)

    @property
    def genres(self) -> list[str]:
        """The chosen release's most used tags (release, else release group)."""
        release = self.release or {}
        tags = release.get("tag-list") or (release.get("release-group") or {}).get(
            "tag-list"
        )
        ranked = sorted(tags or [], key=lambda t: -int(t.get("count") or 0))
        return [str(t["name"]) for t in ranked[:5] if t.get("name")]

    @property
    def has_front_cover(self) -> bool:
        """Whether the Cover Art Archive holds a front image of the chosen release."""
        art = (self.release or {}).get("cover-art-archive") or {}
        return str(art.get("front")) == "true"


def match_album(
    client: MusicBrainzClient, query: AlbumQuery, thresholds: Thresholds
) -> AlbumMatch:
    """Tagged MBID first, else search; score, refine with tracklists, decide."""
    notes: list[str] = []
    if query.release_id:
        try:
            release = client.release(query.release_id)
        except NotFound:
            notes.append(f"tagged release {query.release_id} is not on MusicBrainz")
        else:
            cand = _album_candidate(release, query, tagged=True)
            return _finish(query, [cand], {cand.provider_id: release}, thresholds)
    found = client.search_releases(query.artist, query.title, query.track_count)
    candidates = [_album_candidate(r, query) for r in found[:8]]
    releases: dict[str, dict[str, Any]] = {}
    for cand in _contenders(candidates):
        try:
            releases[cand.provider_id] = client.release(cand.provider_id)
        except NotFound:
            cand.notes.append("no tracklist on MusicBrainz")
            continue
        _album_candidate(releases[cand.provider_id], query, into=cand)
    for cand in candidates:
        cand.notes.extend(notes)
    return _finish(query, candidates, releases, thresholds)


def _finish(
    query: AlbumQuery,
    candidates: list[Candidate],
    releases: dict[str, dict[str, Any]],
    thresholds: Thresholds,
) -> AlbumMatch:
    decision = decide(
        candidates, thresholds, f"album '{query.title}' by {query.artist}"
    )
    release = releases.get(decision.provider_id or "")
    tracks = (
        _track_matches(query, release)
        if release and decision.status != REJECTED
        else []
    )
    return AlbumMatch(decision, candidates, release, tracks)


def _contenders(candidates: list[Candidate], limit: int = 2) -> list[Candidate]:
    ranked = sorted(candidates, key=lambda c: c.score, reverse=True)
    if not ranked:
        return []
    return [c for c in ranked if ranked[0].score - c.score <= CONTENDER_GAP][:limit]


def _album_candidate(
    release: dict[str, Any],
    query: AlbumQuery,
    into: Candidate | None = None,
    *,
    tagged: bool = False,
) -> Candidate:
    year = year_of(release.get("date"))
    cand = into or Candidate(
        PROVIDER, str(release["id"]), str(release.get("title", "")), year
    )
    artist = release.get("artist-credit-phrase")
    components = {
        "title": title_similarity(query.title, release.get("title")),
        "artist": title_similarity(query.artist, artist) if artist else None,
        "tracks": count_score(query.track_count, _track_count(release)),
        "durations": _durations(query, release),
        "year": year_score(query.year, year),
    }
    combine(cand, components, ALBUM_WEIGHTS)
    if tagged:
        agrees = (components["title"] or 0) >= 0.6 or components["tracks"] == 1.0
        if agrees:
            cand.score = max(cand.score, TAGGED_FLOOR)
            cand.notes.append("the files are tagged with this release MBID")
        else:
            cand.notes.append(
                "tagged with this release MBID, but title and tracks differ"
            )
    return cand


def _track_count(release: dict[str, Any]) -> int | None:
    if release.get("medium-track-count"):
        return int(release["medium-track-count"])
    counts = [int(m.get("track-count") or 0) for m in release.get("medium-list") or []]
    return sum(counts) or None


def _tracklist(release: dict[str, Any]) -> dict[tuple[int, int], dict[str, Any]]:
    found = {}
    for index, medium in enumerate(release.get("medium-list") or [], start=1):
        disc = int(medium.get("position") or index)
        for track in medium.get("track-list") or []:
            found[(disc, int(track.get("position") or 0))] = track
    return found


def _length_s(track: dict[str, Any]) -> float | None:
    value = track.get("length") or (track.get("recording") or {}).get("length")
    return int(value) / 1000 if value else None


def _durations(query: AlbumQuery, release: dict[str, Any]) -> float | None:
    listing = _tracklist(release)
    scores = [
        duration_score(
            t.duration_s, _length_s(listing[(t.disc_no or 1, t.track_no or 0)])
        )
        for t in query.tracks
        if (t.disc_no or 1, t.track_no or 0) in listing
    ]
    measured = [s for s in scores if s is not None]
    return round(sum(measured) / len(measured), 4) if measured else None


def _track_matches(query: AlbumQuery, release: dict[str, Any]) -> list[TrackMatch]:
    listing = _tracklist(release)
    matches = []
    for track in query.tracks:
        slot = (track.disc_no or 1, track.track_no or 0)
        found = listing.get(slot)
        if found is None:
            reason = f"disc {slot[0]} track {slot[1]} is not in release {release['id']}"
            matches.append(TrackMatch(track.native_id, None, None, reason))
            continue
        recording = found.get("recording") or {}
        title = title_similarity(track.title, recording.get("title"))
        length = duration_score(track.duration_s, _length_s(found))
        score = round((title + (0.5 if length is None else length)) / 2, 4)
        reason = (
            f"disc {slot[0]} track {slot[1]} '{recording.get('title')}': "
            f"title {title:.2f}, length {'?' if length is None else f'{length:.2f}'}"
        )
        matches.append(TrackMatch(track.native_id, recording.get("id"), score, reason))
    return matches


def match_recording(
    client: MusicBrainzClient, track: TrackQuery, artist: str, thresholds: Thresholds
) -> tuple[Decision, list[Candidate]]:
    """A track outside any album: its tagged recording MBID, else a search."""
    if track.recording_id:
        try:
            found = [client.recording(track.recording_id)]
        except NotFound:
            found = client.search_recordings(artist, track.title)
    else:
        found = client.search_recordings(artist, track.title)
    candidates = []
    for rec in found[:8]:
        cand = Candidate(PROVIDER, str(rec["id"]), str(rec.get("title", "")))
        length = int(rec["length"]) / 1000 if rec.get("length") else None
        components = {
            "title": title_similarity(track.title, rec.get("title")),
            "artist": title_similarity(artist, rec.get("artist-credit-phrase")),
            "duration": duration_score(track.duration_s, length),
        }
        candidates.append(combine(cand, components, RECORDING_WEIGHTS))
    return decide(
        candidates, thresholds, f"track '{track.title}' by {artist}"
    ), candidates
