"""Fixtures for the Plex client's tests: a fake Plex Media Server on 127.0.0.1 and a
medialake configured to sync it (server name ``pms``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.media_servers.plex.client import PlexClient
from connectors.media_servers.registry import create_client
from tests.connectors.media_servers.plex.fakes import FakePlex, from_sample, running

FAST = {"retries": 2, "backoff": 0.01, "timeout": 5}


@pytest.fixture
def fake() -> Iterator[FakePlex]:
    """A fake PMS holding the sample library (files nested as ``Media > Part``)."""
    with running(from_sample()) as server:
        yield server


@pytest.fixture
def make_client(fake: FakePlex) -> Callable[..., PlexClient]:
    """Build a client of ``fake`` with quick retries; keyword arguments override."""

    def build(**overrides: Any) -> PlexClient:
        table = {
            "kind": "plex",
            "url": fake.url,
            "token": fake.token,
            **FAST,
            **overrides,
        }
        client = create_client("pms", table)
        assert isinstance(client, PlexClient)
        return client

    return build


@pytest.fixture
def configure(ml_home: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Point medialake's settings at a fake server (as environment variables)."""
    from tasks.context import reset

    def apply(server: FakePlex, **overrides: Any) -> None:
        values = {
            "kind": "plex",
            "url": server.url,
            "token": server.token,
            **FAST,
            **overrides,
        }
        for key, value in values.items():
            monkeypatch.setenv(f"MEDIALAKE_SERVERS_PMS_{key.upper()}", str(value))
        reset()

    return apply
