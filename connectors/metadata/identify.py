"""From library items (plain dicts, as the warehouse lists them) to decisions as rows.

One :class:`Identifier` per batch holds the clients and thresholds. Each method takes
one item and returns an :class:`Outcome`: identity rows (the item, and its episodes or
tracks), candidate rows (every candidate with score, components and why) and the artwork
to fetch. Errors of the services propagate (the caller decides to skip); nothing here
touches the warehouse.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectors.metadata import music, video
from connectors.metadata.acoustid import CONTRADICTED
from connectors.metadata.names import fill_year
from connectors.metadata.scoring import ACCEPTED, REJECTED, REVIEW, SKIPPED, Decision

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from connectors.metadata.acoustid import AcoustidVerifier
    from connectors.metadata.musicbrainz import MusicBrainzClient
    from connectors.metadata.scoring import Candidate, Thresholds
    from connectors.metadata.tmdb import TmdbClient

PROVIDERS = {"movie": "tmdb", "show": "tmdb", "album": "musicbrainz"}
NOT_AN_ALBUM = frozenset({"", "unknown album"})


@dataclass(frozen=True, slots=True)
class ArtworkRequest:
    """An image to download once: (provider, id, kind) and where the provider has it."""

    provider: str
    provider_id: str
    kind: str  # poster, backdrop, cover
    remote_path: str


@dataclass(slots=True)
class Outcome:
    """Rows produced for one item."""

    identities: list[dict[str, Any]] = field(default_factory=list)
    candidates: list[dict[str, Any]] = field(default_factory=list)
    artwork: list[ArtworkRequest] = field(default_factory=list)


@dataclass(slots=True)
class Identifier:
    """Identifies movies, shows (with episodes) and albums (with tracks)."""

    tmdb: TmdbClient
    musicbrainz: MusicBrainzClient
    thresholds: Thresholds
    verifier: AcoustidVerifier | None = None
    local_path: Callable[[str, str], Path | None] | None = None

    def movie(self, item: dict[str, Any]) -> Outcome:
        """A movie by title, year (file name as fallback) and probed duration."""
        year = fill_year(item.get("year"), item.get("path"))
        query = video.MovieQuery(item["title"], year, item.get("duration_s"))
        found = video.match_movie(self.tmdb, query, self.thresholds)
        out = Outcome()
        _decided(out, "movie", item, found.decision, found.candidates, found.genres)
        _tmdb_artwork(out, found)
        return out

    def show(self, item: dict[str, Any]) -> Outcome:
        """A show by title and year, checked against its episodes' seasons."""
        episodes = [
            video.EpisodeQuery(
                e["native_id"], e.get("season"), e.get("episode"), e.get("duration_s")
            )
            for e in item.get("episodes") or []
        ]
        query = video.ShowQuery(item["title"], item.get("year"), episodes)
        found = video.match_show(self.tmdb, query, self.thresholds)
        out = Outcome()
        _decided(out, "show", item, found.decision, found.candidates, found.genres)
        for ep in found.episodes:
            row = _row(
                "episode", item["server_id"], ep.native_id, item["item_key"], "tmdb"
            )
            row.update(
                provider_id=ep.provider_id,
                status=ep.status,
                confidence=ep.confidence,
                reason=ep.reason,
            )
            out.identities.append(row)
        _tmdb_artwork(out, found)
        return out

    def album(self, item: dict[str, Any]) -> Outcome:
        """An album as a release (tracks as its recordings); loose tracks one by one."""
        tracks = [_track_query(t) for t in item.get("tracks") or []]
        if (item.get("title") or "").strip().casefold() in NOT_AN_ALBUM:
            return self._loose_tracks(item, tracks)
        query = music.AlbumQuery(
            title=item["title"],
            artist=item.get("artist") or "",
            year=item.get("year"),
            track_count=max(item.get("track_count") or 0, len(tracks)) or None,
            release_id=item.get("release_id"),
            tracks=tracks,
        )
        found = music.match_album(self.musicbrainz, query, self.thresholds)
        decision = self._verify(found, item)
        out = Outcome()
        _decided(out, "album", item, decision, found.candidates, found.genres)
        for match in found.tracks:
            out.identities.append(_track_row(item, match, decision))
        if (
            decision.status != REJECTED
            and found.has_front_cover
            and decision.provider_id
        ):
            out.artwork.append(
                ArtworkRequest("musicbrainz", decision.provider_id, "cover", "front")
            )
        return out

    def _loose_tracks(
        self, item: dict[str, Any], tracks: list[music.TrackQuery]
    ) -> Outcome:
        out = Outcome()
        row = _row(
            "album",
            item["server_id"],
            item["native_id"],
            item["item_key"],
            "musicbrainz",
        )
        row.update(
            status=REJECTED, reason="not an album: its tracks are matched one by one"
        )
        out.identities.append(row)
        for track in tracks:
            decision, candidates = music.match_recording(
                self.musicbrainz, track, item.get("artist") or "", self.thresholds
            )
            sub = {**item, "native_id": track.native_id}
            _decided(out, "track", sub, decision, candidates, [])
        return out

    def _verify(self, found: music.AlbumMatch, item: dict[str, Any]) -> Decision:
        """AcoustID's word on an accepted album (one track), failing open."""
        decision = found.decision
        if (
            decision.status != ACCEPTED
            or self.verifier is None
            or not self.verifier.configured
        ):
            return decision
        paths = {t["native_id"]: t.get("path") for t in item.get("tracks") or []}
        for match in found.tracks:
            path = paths.get(match.native_id)
            local = (
                self.local_path(item["server_id"], path)
                if self.local_path and path
                else None
            )
            if match.recording_id and local is not None:
                check = self.verifier.verify(local, {match.recording_id})
                status = REVIEW if check.status == CONTRADICTED else decision.status
                reason = f"{decision.reason}; {check.detail}"
                return Decision(
                    status, decision.provider_id, decision.confidence, reason
                )
        return decision


def skipped(entity: str, item: dict[str, Any], reason: str) -> Outcome:
    """The rows of an item that could not be looked at now (picked up next run)."""
    row = _row(
        entity,
        item["server_id"],
        item["native_id"],
        item["item_key"],
        PROVIDERS[entity],
    )
    row.update(status=SKIPPED, reason=reason)
    return Outcome(identities=[row])


def _row(
    entity: str, server_id: str, native_id: str, item_key: str, provider: str
) -> dict[str, Any]:
    return {
        "entity": entity,
        "server_id": server_id,
        "native_id": native_id,
        "item_key": item_key,
        "provider": provider,
        "provider_id": None,
        "title": None,
        "year": None,
        "status": REJECTED,
        "confidence": None,
        "reason": "",
        "decided_by": "auto",
        "genres": [],
    }


def _decided(
    out: Outcome,
    entity: str,
    item: dict[str, Any],
    decision: Decision,
    candidates: list[Candidate],
    genres: list[str],
) -> None:
    provider = PROVIDERS.get(entity, "musicbrainz")
    row = _row(entity, item["server_id"], item["native_id"], item["item_key"], provider)
    chosen = next(
        (c for c in candidates if c.provider_id == decision.provider_id), None
    )
    row.update(
        provider_id=decision.provider_id,
        title=chosen.title if chosen else None,
        year=chosen.year if chosen else None,
        status=decision.status,
        confidence=decision.confidence,
        reason=decision.reason,
        genres=genres if decision.status != REJECTED else [],
    )
    out.identities.append(row)
    ranked = sorted(candidates, key=lambda c: c.score, reverse=True)
    for rank, cand in enumerate(ranked, start=1):
        out.candidates.append(
            {
                "entity": entity,
                "server_id": item["server_id"],
                "native_id": item["native_id"],
                "provider": cand.provider,
                "provider_id": cand.provider_id,
                "rank": rank,
                "title": cand.title,
                "year": cand.year,
                "score": cand.score,
                "components": json.dumps(cand.components),
                "why": cand.why,
            }
        )


def _tmdb_artwork(out: Outcome, found: video.VideoMatch) -> None:
    decision = found.decision
    if decision.status != ACCEPTED or not decision.provider_id or not found.details:
        return
    for kind, key in (("poster", "poster_path"), ("backdrop", "backdrop_path")):
        if found.details.get(key):
            out.artwork.append(
                ArtworkRequest("tmdb", decision.provider_id, kind, found.details[key])
            )


def _track_query(raw: dict[str, Any]) -> music.TrackQuery:
    return music.TrackQuery(
        native_id=raw["native_id"],
        title=raw.get("title") or "",
        disc_no=raw.get("disc_no"),
        track_no=raw.get("track_no"),
        duration_s=raw.get("duration_s"),
        recording_id=raw.get("recording_id"),
    )


def _track_row(
    item: dict[str, Any], match: music.TrackMatch, album: Decision
) -> dict[str, Any]:
    row = _row(
        "track", item["server_id"], match.native_id, item["item_key"], "musicbrainz"
    )
    weak = match.score is not None and match.score < 0.5
    status = (
        REVIEW
        if album.status == ACCEPTED and (weak or not match.recording_id)
        else album.status
    )
    confidence = None
    if album.confidence is not None and match.score is not None:
        confidence = round(album.confidence * match.score, 4)
    row.update(
        provider_id=match.recording_id,
        status=status,
        confidence=confidence,
        reason=match.reason,
    )
    return row
