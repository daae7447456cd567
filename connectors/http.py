"""One shared HTTP client for every connector (modelled on beets' requests helper).

A default timeout, a User-Agent, a per-host minimum interval (rate limit), retries with
exponential backoff and jitter on timeouts, connection errors, 429 and 5xx (honouring
``Retry-After``), and one mapping of HTTP failures to the connector errors: 401/403 ->
:class:`AuthError` naming the credential, 404 -> :class:`NotFound`, the rest after the
retries -> :class:`TransientError`. Error texts never contain query strings (tokens).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import httpx

from connectors.errors import AuthError, NotFound, RequestRejected, TransientError
from medialake.log import redact

if TYPE_CHECKING:
    from collections.abc import Iterator

log = logging.getLogger(__name__)
USER_AGENT = "medialake/0.1 (+https://github.com/medialake/medialake)"
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class RateLimiter:
    """At most one request per ``interval`` seconds to one host, across threads."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        if self.interval <= 0:
            return
        with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self.interval
        if delay > 0:
            time.sleep(delay)


class HttpClient:
    """An ``httpx.Client`` with retries, rate limiting and typed errors.

    Args:
        service: name used in errors and logs (the configured server name).
        base_url: the server's base URL.
        credential: what to name in an ``AuthError`` (e.g. ``servers.plex.token``).
        timeout: seconds per request.
        retries: attempts after the first for transient failures.
        backoff: first retry delay in seconds (doubles each time, with jitter).
        min_interval: minimum seconds between requests (rate limit).
    """

    def __init__(
        self,
        service: str,
        base_url: str,
        *,
        credential: str = "credentials",
        headers: dict[str, str] | None = None,
        timeout: float = 15.0,
        retries: int = 3,
        backoff: float = 0.5,
        min_interval: float = 0.0,
        verify: bool = True,
    ) -> None:
        self.service = service
        self.credential = credential
        self.retries = retries
        self.backoff = backoff
        self.limiter = RateLimiter(min_interval)
        self.client = httpx.Client(
            base_url=base_url,
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            timeout=timeout,
            verify=verify,
            follow_redirects=True,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request; retry transient failures; map the final failure to an
        error."""
        attempt = 0
        while True:
            self.limiter.wait()
            try:
                response = self.client.request(method, path, **kwargs)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                failure = f"{type(exc).__name__} on {method} {_path_only(path)}"
                retry_after = None
            else:
                if response.status_code < 400:
                    return response
                self._raise_final(response, method, path)
                failure = f"HTTP {response.status_code} on {method} {_path_only(path)}"
                retry_after = _retry_after(response)
            if attempt >= self.retries:
                raise TransientError(
                    self.service, f"{failure} after {attempt + 1} attempts"
                )
            delay = retry_after or self.backoff * (2**attempt) * random.uniform(
                0.75, 1.25
            )
            log.info("%s: %s; retrying in %.1f s", self.service, redact(failure), delay)
            time.sleep(delay)
            attempt += 1

    def _raise_final(self, response: httpx.Response, method: str, path: str) -> None:
        """Raise at once for answers that retrying cannot change."""
        status, where = response.status_code, f"{method} {_path_only(path)}"
        if status in (401, 403):
            raise AuthError(self.service, self.credential, f"HTTP {status} on {where}")
        if status == 404:
            raise NotFound(self.service, f"HTTP 404 on {where}")
        if status in RETRY_STATUS:
            return
        if status >= 500:
            raise TransientError(self.service, f"HTTP {status} on {where}")
        raise RequestRejected(self.service, f"HTTP {status} on {where}")

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        """``GET`` with retries."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        """``POST`` with retries."""
        return self.request("POST", path, **kwargs)

    @contextmanager
    def stream(self, method: str, path: str, **kwargs: Any) -> Iterator[httpx.Response]:
        """A streamed response, for downloads. Not retried (a body cannot be replayed):
        the caller's retry policy decides. Failures map to the same typed errors as
        :meth:`request`, including transport errors while the body is being read."""
        where = f"{method} {_path_only(path)}"
        self.limiter.wait()
        try:
            with self.client.stream(method, path, **kwargs) as response:
                if response.status_code >= 400:
                    self._raise_final(response, method, path)
                    raise TransientError(
                        self.service, f"HTTP {response.status_code} on {where}"
                    )
                yield response
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            failure = f"{type(exc).__name__} on {where}"
            raise TransientError(self.service, failure) from None

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _path_only(path: str) -> str:
    return path.split("?", 1)[0]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return min(float(value), 60.0)
    except ValueError:
        return None
