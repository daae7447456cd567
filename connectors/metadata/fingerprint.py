"""Fingerprint-first identification of music without MBIDs: Chromaprint, AcoustID,
then MusicBrainz.

Each file is fingerprinted with ``fpcalc`` (:func:`fingerprint_file`) and looked up on
AcoustID (:class:`AcoustidClient`: ``meta=recordings releases``, 3 requests/s held
across every process of the machine by a :class:`ProcessRateLimiter`, like
MusicBrainz; a rate-limited, unavailable or 5xx answer is retried with backoff inside
the limiter, an invalid key is an :class:`AuthError`, an invalid request a
:class:`RequestRejected`). The files of one folder are then matched together
(:func:`match_folder`): every release that any file's recordings appear on gets a vote
per file (the file's best AcoustID score on it), the release with the most votes is the
album, and each file takes the recording that puts it on that release (one release
for an album, not a mix of compilations). A file whose recordings are not on it keeps
its own best recording and waits for review. MusicBrainz finally gives the release's
title, artist, date and tracklist (:func:`apply_release`).
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from connectors.errors import AuthError, RequestRejected, TransientError
from connectors.http import USER_AGENT
from connectors.metadata.acoustid import fingerprint_file
from medialake.log import register_secret

if TYPE_CHECKING:
    from collections.abc import Sequence

    from connectors.metadata.ratelimit import ProcessRateLimiter

__all__ = ["AcoustidClient", "FileMatch", "Heard", "fingerprint_file", "match_folder"]

SERVICE = "acoustid"
CREDENTIAL = "enrichment.acoustid_api_key"
AUTH_CODES = frozenset({4, 6, 17})  # invalid API key, invalid user key, unknown app
RETRY_CODES = frozenset({5, 13, 14})  # internal error, unavailable, too many requests
ACCEPTED, REVIEW, REJECTED, NO_MATCH = "accepted", "review", "rejected", "no_match"


class AcoustidClient:
    """AcoustID's lookup, behind a machine-wide limiter, retried here only."""

    def __init__(
        self,
        api_key: str,
        base_url: str,
        limiter: ProcessRateLimiter,
        *,
        retries: int = 3,
        backoff: float = 0.5,
        timeout: float = 15.0,
    ) -> None:
        register_secret(api_key)
        self.api_key, self.limiter = api_key, limiter
        self.retries, self.backoff = retries, backoff
        self.url = base_url.rstrip("/") + "/lookup"
        self.http = httpx.Client(timeout=timeout, headers={"User-Agent": USER_AGENT})
        self.requests = 0

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def lookup(self, fingerprint: str, duration_s: float) -> list[dict[str, Any]]:
        """AcoustID's results for a fingerprint (``[]``: it knows none).

        Raises:
            AuthError: the key was refused. RequestRejected: the request was invalid.
            TransientError: still failing after the retries.
        """
        form = {
            "client": self.api_key,
            "duration": str(max(1, round(duration_s))),
            "fingerprint": fingerprint,
            "meta": "recordings releases",
            "format": "json",
        }
        attempt = 0
        while True:
            failure, retry_after = self._attempt(form)
            if isinstance(failure, list):
                return failure
            if attempt >= self.retries:
                raise TransientError(SERVICE, f"{failure} after {attempt + 1} attempts")
            delay = retry_after or self.backoff * 2**attempt * random.uniform(
                0.75, 1.25
            )
            time.sleep(delay)
            attempt += 1

    def _attempt(
        self, form: dict[str, str]
    ) -> tuple[list[dict[str, Any]] | str, float | None]:
        """One request in the limiter's turn: (results, None) or (why, retry after)."""
        with self.limiter.turn():
            self.requests += 1
            try:
                response = self.http.post(self.url, data=form)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                return f"unreachable ({type(exc).__name__})", None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code == 200 and body.get("status") == "ok":
            return list(body.get("results") or []), None
        error = body.get("error") or {}
        code, message = error.get("code"), str(error.get("message") or "no message")
        where = f"HTTP {response.status_code}, code {code}: {message}"
        if code in AUTH_CODES:
            raise AuthError(SERVICE, CREDENTIAL, where)
        if code in RETRY_CODES or response.status_code in (429, 500, 502, 503, 504):
            return where, _retry_after(response)
        raise RequestRejected(SERVICE, where)


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return min(float(response.headers.get("Retry-After") or ""), 30.0)
    except ValueError:
        return None


@dataclass(slots=True)
class Heard:
    """What AcoustID answered for one file (``error`` when it could not be asked)."""

    key: str
    duration_s: float | None
    results: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


@dataclass(slots=True)
class FileMatch:
    """One file's identification."""

    key: str
    status: str
    score: float | None = None
    recording_id: str | None = None
    title: str | None = None
    artist: str | None = None
    release_id: str | None = None
    album: str | None = None
    album_artist: str | None = None
    year: int | None = None
    disc_no: int | None = None
    track_no: int | None = None
    reason: str = ""


def _placements(result: dict[str, Any]) -> list[tuple[dict[str, Any], str | None]]:
    """Every (recording, release id) pair of one AcoustID result."""
    pairs: list[tuple[dict[str, Any], str | None]] = []
    for recording in result.get("recordings") or []:
        releases = recording.get("releases") or []
        pairs += [(recording, r.get("id")) for r in releases] or [(recording, None)]
    return pairs


def release_votes(heard: Sequence[Heard]) -> dict[str, float]:
    """Per release: the sum over files of each file's best score on it."""
    votes: dict[str, float] = defaultdict(float)
    for file in heard:
        best: dict[str, float] = {}
        for result in file.results:
            score = float(result.get("score") or 0)
            for _, release_id in _placements(result):
                if release_id:
                    best[release_id] = max(best.get(release_id, 0.0), score)
        for release_id, score in best.items():
            votes[release_id] += score
    return dict(votes)


def match_folder(
    heard: Sequence[Heard], accept: float, review: float
) -> tuple[str | None, list[FileMatch]]:
    """The album release of a folder and each file's recording on it."""
    votes = release_votes(heard)
    album = max(sorted(votes), key=lambda r: votes[r]) if votes else None
    return album, [_match_file(file, album, accept, review) for file in heard]


def _match_file(
    file: Heard, album: str | None, accept: float, review: float
) -> FileMatch:
    if file.error:
        return FileMatch(file.key, NO_MATCH, reason=file.error)
    ranked = sorted(
        ((float(r.get("score") or 0), rec, rel) for r in file.results
         for rec, rel in _placements(r)),
        key=lambda x: -x[0],
    )  # fmt: skip
    if not ranked:
        return FileMatch(file.key, NO_MATCH, reason="AcoustID knows no recording")
    on_album = [x for x in ranked if album and x[2] == album]
    score, recording, release_id = (on_album or ranked)[0]
    status = ACCEPTED if score >= accept else REVIEW if score >= review else REJECTED
    reason = f"AcoustID score {score:.2f}"
    if album and not on_album:
        status = REVIEW if status == ACCEPTED else status
        reason += "; not on the release the folder's other files point to"
    artists = recording.get("artists") or []
    return FileMatch(
        file.key,
        status,
        round(score, 4),
        recording.get("id"),
        recording.get("title"),
        ", ".join(str(a.get("name")) for a in artists) or None,
        release_id,
        reason=reason,
    )


def apply_release(matches: list[FileMatch], release: dict[str, Any]) -> None:
    """Fill album, album artist, year and disc/track from a MusicBrainz release."""
    positions = {}
    for index, medium in enumerate(release.get("medium-list") or [], start=1):
        disc = int(medium.get("position") or index)
        for track in medium.get("track-list") or []:
            recording = track.get("recording") or {}
            positions[recording.get("id")] = (
                disc,
                int(track.get("position") or 0),
                recording,
            )
    date = str(release.get("date") or "")
    for match in matches:
        if match.release_id != release.get("id"):
            continue
        match.album = release.get("title")
        match.album_artist = release.get("artist-credit-phrase") or match.artist
        match.year = int(date[:4]) if date[:4].isdigit() else None
        found = positions.get(match.recording_id)
        if found:
            match.disc_no, match.track_no = found[0], found[1]
            match.title = found[2].get("title") or match.title


def write_tags(path: str, match: FileMatch) -> bool:
    """Write an accepted identification into the file's own tags (mutagen): title,
    artist, album, album artist, date, disc and track numbers, MusicBrainz recording
    and release ids. False when the format takes no tags."""
    import mutagen

    try:
        audio = mutagen.File(path, easy=True)
    except mutagen.MutagenError:
        return False
    if audio is None:
        return False
    if audio.tags is None:
        audio.add_tags()
    values = {
        "title": match.title,
        "artist": match.artist,
        "album": match.album,
        "albumartist": match.album_artist,
        "date": str(match.year) if match.year else None,
        "discnumber": str(match.disc_no) if match.disc_no else None,
        "tracknumber": str(match.track_no) if match.track_no else None,
        "musicbrainz_trackid": match.recording_id,
        "musicbrainz_albumid": match.release_id,
    }
    for key, value in values.items():
        if value:
            try:
                audio[key] = value
            except (KeyError, ValueError):
                continue
    audio.save()
    return True
