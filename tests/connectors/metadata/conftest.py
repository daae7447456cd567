"""Fixtures for the metadata connector tests: clients pointed at the local fakes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.metadata.cache import MemoryCache, RequestStats
from connectors.metadata.musicbrainz import MusicBrainzClient
from connectors.metadata.ratelimit import ProcessRateLimiter
from connectors.metadata.tmdb import TmdbClient
from tests.connectors.metadata.fakes import FakeMusicBrainz, FakeTmdb


@pytest.fixture
def fake_tmdb() -> Iterator[FakeTmdb]:
    with FakeTmdb() as fake:
        yield fake


@pytest.fixture
def fake_mb() -> Iterator[FakeMusicBrainz]:
    with FakeMusicBrainz(min_interval=0.1) as fake:
        yield fake


def make_tmdb(fake: FakeTmdb, key: str = "test-tmdb-key", **kw: object) -> TmdbClient:
    options: dict = {"min_interval": 0.0, "retries": 2, "backoff": 0.05, "timeout": 5.0}
    options.update(kw)
    return TmdbClient(
        api_key=key,
        base_url=f"{fake.url}/3",
        image_base_url=f"{fake.url}/t/p",
        cache=MemoryCache(),
        stats=RequestStats(),
        **options,
    )


def make_mb(
    fake: FakeMusicBrainz, lock: Path, interval: float = 0.1, **kw: object
) -> MusicBrainzClient:
    options: dict = {"retries": 2, "backoff": 0.2, "timeout": 5.0}
    options.update(kw)
    return MusicBrainzClient(
        base_url=fake.url,
        coverart_url=fake.url,
        contact="tests@example.org",
        limiter=ProcessRateLimiter(lock, interval),
        cache=MemoryCache(),
        stats=RequestStats(),
        **options,
    )
