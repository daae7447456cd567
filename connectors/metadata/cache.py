"""The response cache and request counters that metadata clients share.

Clients ask the cache before every request and store every answer worth keeping (a
success, or a "not found", which is an answer too). The cache itself lives elsewhere
(the warehouse provides one with expiry); :class:`MemoryCache` serves tests and one-off
use. :class:`RequestStats` counts what really went over the network, so a re-run can
prove that it asked nothing twice.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """A stored answer: the HTTP status (200 or 404) and the body text."""

    status: int
    body: str


class Answer(Protocol):
    """What a cache hands back: the status and the body of a stored answer."""

    @property
    def status(self) -> int:
        """200 for an answer, 404 for "not found"."""

    @property
    def body(self) -> str:
        """The body text."""


class ResponseCache(Protocol):
    """Where clients keep answers between runs."""

    def get(self, service: str, key: str) -> Answer | None:
        """The stored, unexpired answer for ``key``, or None."""

    def put(self, service: str, key: str, status: int, body: str) -> None:
        """Store an answer (the cache decides how long it is kept)."""


class MemoryCache:
    """An in-process cache with a time to live (tests, benchmarks)."""

    def __init__(self, ttl_s: float = 3600.0) -> None:
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str], tuple[float, CachedResponse]] = {}

    def get(self, service: str, key: str) -> CachedResponse | None:
        with self._lock:
            found = self._items.get((service, key))
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, service: str, key: str, status: int, body: str) -> None:
        with self._lock:
            self._items[(service, key)] = (
                time.monotonic() + self.ttl_s,
                CachedResponse(status, body),
            )


@dataclass(slots=True)
class RequestStats:
    """Thread-safe counts of network requests and cache hits, per service."""

    requests: dict[str, int] = field(default_factory=dict)
    cache_hits: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def request(self, service: str) -> None:
        """Count one request that went over the network."""
        with self._lock:
            self.requests[service] = self.requests.get(service, 0) + 1

    def hit(self, service: str) -> None:
        """Count one answer served from the cache."""
        with self._lock:
            self.cache_hits[service] = self.cache_hits.get(service, 0) + 1

    @property
    def total_requests(self) -> int:
        """Requests over every service."""
        return sum(self.requests.values())

    @property
    def total_hits(self) -> int:
        """Cache hits over every service."""
        return sum(self.cache_hits.values())
