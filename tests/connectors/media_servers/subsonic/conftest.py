"""Fixtures of the Subsonic tests: the session's real supysonic, clients, settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.media_servers.registry import create_client
from connectors.media_servers.subsonic.client import SubsonicClient
from medialake.sample import SampleSummary
from tests.connectors.media_servers.subsonic.server import (
    Supysonic,
    shared_server,
    stop_shared,
)


@pytest.fixture(scope="session")
def supysonic(sample_library: SampleSummary) -> Iterator[Supysonic]:
    """One real supysonic holding the sample library's music, for the whole session."""
    yield shared_server(sample_library)
    stop_shared()


def make_client(table: dict[str, Any], name: str = "music") -> SubsonicClient:
    """A client for a ``[servers.NAME]`` table."""
    client = create_client(name, table)
    assert isinstance(client, SubsonicClient)
    return client


@pytest.fixture
def client(supysonic: Supysonic) -> Iterator[SubsonicClient]:
    """A client of the session's supysonic."""
    live = make_client(supysonic.config())
    yield live
    live.close()


@pytest.fixture
def configure(ml_home: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Declare a server through ``MEDIALAKE_SERVERS_<NAME>_<KEY>`` and reset caches."""
    from tasks.context import reset

    def apply(name: str = "music", **table: Any) -> None:
        for key, value in table.items():
            variable = f"MEDIALAKE_SERVERS_{name.upper()}_{key.upper()}"
            monkeypatch.setenv(variable, str(value))
        reset()

    return apply
