"""A TMDb v3 client: search, details, seasons and images, cached and rate-limited.

Requests go through :class:`connectors.http.HttpClient` (timeouts, backoff on 429/5xx
honouring ``Retry-After``, typed errors). A v3 API key travels as the ``api_key``
parameter, a v4 read token as a bearer header; neither is part of a cache key, an error
or a log line. Every JSON answer (and every "not found") is stored in the response
cache, so asking again costs no request. Images are fetched from the image host and
returned as bytes; the caller stores them once.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from connectors.errors import AuthError, NotFound
from connectors.http import HttpClient
from medialake.log import register_secret

if TYPE_CHECKING:
    from connectors.metadata.cache import RequestStats, ResponseCache

SERVICE = "tmdb"
CREDENTIAL = "enrichment.tmdb_api_key"


class TmdbClient:
    """TMDb v3 over HTTP.

    Args:
        api_key: a v3 key or a v4 read token; None means "not configured".
        base_url: the API root (``https://api.themoviedb.org/3``).
        image_base_url: the image root (``https://image.tmdb.org/t/p``).
        cache: where answers are kept between runs.
        stats: request and cache-hit counters.
        min_interval: seconds between requests (TMDb allows about 50/s per address).
        retries: retries of a transient failure; backoff: the first retry's delay.
    """

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str,
        image_base_url: str,
        cache: ResponseCache,
        stats: RequestStats,
        min_interval: float = 0.05,
        retries: int = 3,
        backoff: float = 0.5,
        timeout: float = 15.0,
    ) -> None:
        self.configured = bool(api_key)
        self.cache, self.stats = cache, stats
        self._params: dict[str, str] = {}
        headers = {"Accept": "application/json"}
        if api_key:
            register_secret(api_key)
            if len(api_key) > 40 and "." in api_key:  # a v4 read access token (a JWT)
                headers["Authorization"] = f"Bearer {api_key}"
            else:
                self._params = {"api_key": api_key}
        options: dict[str, Any] = {
            "credential": CREDENTIAL,
            "retries": retries,
            "backoff": backoff,
            "timeout": timeout,
        }
        self.http = HttpClient(
            SERVICE, base_url, headers=headers, min_interval=min_interval, **options
        )
        self.images = HttpClient(f"{SERVICE}-images", image_base_url, **options)

    def close(self) -> None:
        """Close both connection pools."""
        self.http.close()
        self.images.close()

    def get_json(self, path: str, **params: Any) -> dict[str, Any]:
        """GET ``path`` with ``params``, from the cache when it has the answer.

        Raises:
            NotFound: TMDb has no such resource (also when that answer was cached).
            AuthError: the key was refused. TransientError: TMDb stayed unreachable.
        """
        clean = {k: v for k, v in params.items() if v not in (None, "")}
        key = f"{path}?{urlencode(sorted(clean.items()))}"
        cached = self.cache.get(SERVICE, key)
        if cached is not None:
            self.stats.hit(SERVICE)
            if cached.status == 404:
                raise NotFound(SERVICE, f"{path} (cached answer)")
            return dict(json.loads(cached.body))
        if not self.configured:
            raise AuthError(SERVICE, CREDENTIAL, "no API key is configured")
        self.stats.request(SERVICE)
        try:
            response = self.http.get(path, params={**clean, **self._params})
        except NotFound:
            self.cache.put(SERVICE, key, 404, "")
            raise
        self.cache.put(SERVICE, key, 200, response.text)
        return dict(response.json())

    def search_movie(self, title: str, year: int | None = None) -> list[dict[str, Any]]:
        """Movies matching ``title`` (and released in ``year``), TMDb's order."""
        found = self.get_json("/search/movie", query=title, year=year)
        return list(found.get("results") or [])

    def search_tv(self, title: str, year: int | None = None) -> list[dict[str, Any]]:
        """TV shows matching ``title`` (first aired in ``year``)."""
        found = self.get_json("/search/tv", query=title, first_air_date_year=year)
        return list(found.get("results") or [])

    def movie(self, movie_id: str) -> dict[str, Any]:
        """A movie's details (runtime, genres, images)."""
        return self.get_json(f"/movie/{movie_id}")

    def tv(self, tv_id: str) -> dict[str, Any]:
        """A show's details (seasons with episode counts, genres, images)."""
        return self.get_json(f"/tv/{tv_id}")

    def season(self, tv_id: str, season: int) -> dict[str, Any]:
        """One season with its episodes (numbers, ids, runtimes)."""
        return self.get_json(f"/tv/{tv_id}/season/{season}")

    def image(self, file_path: str, size: str = "w500") -> bytes:
        """The bytes of an image (``/abc.jpg``) at ``size`` (``w500``, ``w1280``)."""
        self.stats.request(f"{SERVICE}-images")
        return self.images.get(f"/{size}/{file_path.lstrip('/')}").content
