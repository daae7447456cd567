"""A MusicBrainz client on ``musicbrainzngs``: lookups and searches, cached, polite.

``musicbrainzngs`` is configured once per process (it keeps module-level state): our
User-Agent with a contact, the host from settings (``set_hostname``), and its own rate
limiter off, because ours must also hold across processes. Each HTTP attempt it makes
takes a turn of :class:`ProcessRateLimiter` (one request at a time, an interval apart,
for the whole machine) and is made exactly once; retries of 503 and other transient
answers happen here, with backoff honouring ``Retry-After``, so no retry ever skips the
limiter. Cover Art Archive requests use the same module but not the MusicBrainz limit.

Parsed answers are cached as JSON; "not found" is cached too.
"""

from __future__ import annotations

import json
import random
import threading
import time
from typing import TYPE_CHECKING, Any
from urllib.error import HTTPError
from urllib.parse import urlsplit

import musicbrainzngs
from musicbrainzngs import musicbrainz as _mb

from connectors.errors import AuthError, NotFound, RequestRejected, TransientError

if TYPE_CHECKING:
    from collections.abc import Callable

    from connectors.metadata.cache import RequestStats, ResponseCache
    from connectors.metadata.ratelimit import ProcessRateLimiter

SERVICE = "musicbrainz"
APP, VERSION = "medialake", "0.1"
RELEASE_INCLUDES = ("recordings", "artist-credits", "release-groups", "tags")
RECORDING_INCLUDES = ("artist-credits", "releases")
_ORIGINAL_SAFE_READ = _mb._safe_read
_limiters: dict[str, ProcessRateLimiter] = {}
_timeout = {"seconds": 15.0}
_config_lock = threading.Lock()


class _TimedOpener:
    """musicbrainzngs opens URLs without a timeout; a slow server must not hang us."""

    def __init__(self, opener: Any) -> None:
        self.opener = opener

    def open(self, req: Any, data: Any = None) -> Any:
        return self.opener.open(req, data, timeout=_timeout["seconds"])


def _limited_safe_read(opener: Any, req: Any, body: Any = None, **_: Any) -> Any:
    """musicbrainzngs' reader: one attempt with a timeout, behind the host's limiter."""
    limiter = _limiters.get(urlsplit(req.full_url).netloc)
    if limiter is None:
        return _ORIGINAL_SAFE_READ(_TimedOpener(opener), req, body, max_retries=1)
    with limiter.turn():
        return _ORIGINAL_SAFE_READ(_TimedOpener(opener), req, body, max_retries=1)


def _split(base_url: str) -> tuple[str, bool]:
    parts = urlsplit(base_url if "//" in base_url else f"https://{base_url}")
    return parts.netloc, parts.scheme == "https"


class MusicBrainzClient:
    """MusicBrainz WS/2 (and the Cover Art Archive) through ``musicbrainzngs``."""

    def __init__(
        self,
        *,
        base_url: str,
        coverart_url: str,
        contact: str,
        limiter: ProcessRateLimiter,
        cache: ResponseCache,
        stats: RequestStats,
        retries: int = 3,
        backoff: float = 1.0,
        timeout: float = 15.0,
    ) -> None:
        self.cache, self.stats = cache, stats
        self.retries, self.backoff = retries, backoff
        host, https = _split(base_url)
        caa_host, caa_https = _split(coverart_url)
        with _config_lock:
            musicbrainzngs.set_useragent(APP, VERSION, contact)
            musicbrainzngs.set_hostname(host, use_https=https)
            musicbrainzngs.set_caa_hostname(caa_host, use_https=caa_https)
            musicbrainzngs.set_rate_limit(False)
            _limiters.clear()
            _limiters[host] = limiter
            _timeout["seconds"] = timeout
            _mb._safe_read = _limited_safe_read

    def release(self, mbid: str) -> dict[str, Any]:
        """A release with its media, tracks and recordings.

        Raises:
            NotFound: no release has this id. TransientError: MusicBrainz unreachable.
        """
        found = self._cached(
            f"release/{mbid}",
            lambda: musicbrainzngs.get_release_by_id(
                mbid, includes=list(RELEASE_INCLUDES)
            ),
        )
        return dict(found["release"])

    def recording(self, mbid: str) -> dict[str, Any]:
        """A recording with its artist credit and releases."""
        found = self._cached(
            f"recording/{mbid}",
            lambda: musicbrainzngs.get_recording_by_id(
                mbid, includes=list(RECORDING_INCLUDES)
            ),
        )
        return dict(found["recording"])

    def releases_by_disc(self, disc_id: str) -> list[dict[str, Any]]:
        """The releases that hold an audio CD with this disc id (``[]``: none; a CD
        stub, which has no MusicBrainz release, counts as none).

        Raises:
            TransientError: MusicBrainz unreachable.
        """
        try:
            found = self._cached(
                f"discid/{disc_id}",
                lambda: musicbrainzngs.get_releases_by_discid(
                    disc_id, includes=["artist-credits", "recordings"], cdstubs=False
                ),
            )
        except NotFound:
            return []
        return list((found.get("disc") or {}).get("release-list") or [])

    def search_releases(
        self, artist: str, album: str, tracks: int | None, limit: int = 10
    ) -> list[dict[str, Any]]:
        """Releases matching artist, album title and track count, best first."""
        fields = {"artist": artist, "release": album, "tracks": tracks}
        fields = {k: v for k, v in fields.items() if v}
        key = "search/release?" + json.dumps(fields, sort_keys=True, ensure_ascii=False)
        found = self._cached(
            key, lambda: musicbrainzngs.search_releases(limit=limit, **fields)
        )
        return list(found.get("release-list") or [])

    def search_recordings(
        self, artist: str, title: str, limit: int = 10
    ) -> list[dict[str, Any]]:
        """Recordings matching artist and title, best first."""
        fields = {"artist": artist, "recording": title}
        key = "search/recording?" + json.dumps(
            fields, sort_keys=True, ensure_ascii=False
        )
        found = self._cached(
            key, lambda: musicbrainzngs.search_recordings(limit=limit, **fields)
        )
        return list(found.get("recording-list") or [])

    def front_cover(self, mbid: str, size: str = "500") -> bytes:
        """The front cover of a release from the Cover Art Archive (not cached here:
        the caller stores the image once)."""
        self.stats.request("coverartarchive")
        return bytes(self._call(lambda: musicbrainzngs.get_image_front(mbid, size)))

    def _cached(self, key: str, fetch: Callable[[], Any]) -> dict[str, Any]:
        cached = self.cache.get(SERVICE, key)
        if cached is not None:
            self.stats.hit(SERVICE)
            if cached.status == 404:
                raise NotFound(SERVICE, f"{key.split('?')[0]} (cached answer)")
            return dict(json.loads(cached.body))
        self.stats.request(SERVICE)
        try:
            found = self._call(fetch)
        except NotFound:
            self.cache.put(SERVICE, key, 404, "")
            raise
        self.cache.put(SERVICE, key, 200, json.dumps(found, ensure_ascii=False))
        return dict(found)

    def _call(self, fetch: Callable[[], Any]) -> Any:
        """Call musicbrainzngs; retry transient failures here, map errors once."""
        attempt = 0
        while True:
            try:
                return fetch()
            except musicbrainzngs.ResponseError as exc:
                raise _final_error(exc) from None
            except musicbrainzngs.AuthenticationError:
                raise AuthError(SERVICE, "musicbrainz account") from None
            except musicbrainzngs.WebServiceError as exc:
                failure, retry_after = _transient(exc)
            if attempt >= self.retries:
                raise TransientError(SERVICE, f"{failure} after {attempt + 1} attempts")
            delay = retry_after or self.backoff * (2**attempt) * random.uniform(
                0.75, 1.25
            )
            time.sleep(delay)
            attempt += 1


def _status(exc: musicbrainzngs.WebServiceError) -> int | None:
    cause = getattr(exc, "cause", None)
    if isinstance(cause, HTTPError):
        return cause.code
    inner = getattr(cause, "cause", None)
    return inner.code if isinstance(inner, HTTPError) else None


def _final_error(exc: musicbrainzngs.ResponseError) -> Exception:
    status = _status(exc)
    if status == 404:
        return NotFound(SERVICE, "HTTP 404")
    return RequestRejected(SERVICE, f"HTTP {status or '?'}: the request was refused")


def _transient(exc: musicbrainzngs.WebServiceError) -> tuple[str, float | None]:
    cause = getattr(exc, "cause", None)
    if isinstance(cause, HTTPError):
        value = cause.headers.get("Retry-After") if cause.headers else None
        try:
            retry_after = min(float(value), 60.0) if value else None
        except ValueError:
            retry_after = None
        return f"HTTP {cause.code}", retry_after
    reason = getattr(cause, "reason", cause)
    return f"unreachable ({type(reason).__name__}: {reason})", None
