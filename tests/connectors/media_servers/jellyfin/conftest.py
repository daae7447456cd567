"""Fixtures: fake Jellyfin servers (both versions), clients and warehouse helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.media_servers.jellyfin.client import JellyfinClient
from connectors.media_servers.registry import create_client
from tests.connectors.media_servers.jellyfin import library
from tests.connectors.media_servers.jellyfin.fake_server import (
    API_KEY,
    PASSWORD,
    USERNAME,
    FakeJellyfin,
)
from tests.connectors.media_servers.jellyfin.spec import VERSIONS

SERVER_ID = library.guid("server", "tests")


def start_fake(served: library.Library, version: str) -> FakeJellyfin:
    return FakeJellyfin(served, version=version).start()


@pytest.fixture(params=VERSIONS)
def version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fake(version: str, tmp_path: Path) -> Iterator[FakeJellyfin]:
    """A fake of ``version`` serving the sample library's plan; at the end it must have
    seen no request or answer outside the spec, and no legacy auth."""
    server = start_fake(library.from_sample(tmp_path / "media", SERVER_ID), version)
    yield server
    server.stop()
    assert server.problems == [], server.problems
    assert not any(entry.legacy_auth for entry in server.log)


@pytest.fixture
def big_fake(tmp_path: Path) -> Iterator[FakeJellyfin]:
    """A 12.0 fake with 1,000 synthetic tracks."""
    server = start_fake(library.synthetic(1000, SERVER_ID, str(tmp_path)), "12.0.0")
    yield server
    server.stop()
    assert server.problems == [], server.problems
    assert not any(entry.legacy_auth for entry in server.log)


def client_settings(
    fake: FakeJellyfin, login: str = "api_key", **extra: Any
) -> dict[str, Any]:
    """A ``[servers.jf]`` table for ``fake``: by API key or by user and password."""
    table: dict[str, Any] = {"kind": "jellyfin", "url": fake.url, "backoff_s": 0.01}
    if login == "api_key":
        table["api_key"] = API_KEY
    else:
        table.update(username=USERNAME, password=PASSWORD)
    return {**table, **extra}


@pytest.fixture
def make_client() -> Iterator[Callable[..., JellyfinClient]]:
    made: list[JellyfinClient] = []

    def make(
        fake: FakeJellyfin, login: str = "api_key", **extra: Any
    ) -> JellyfinClient:
        client = create_client("jf", client_settings(fake, login, **extra))
        assert isinstance(client, JellyfinClient)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def configure(ml_home: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Point the settings (environment variables) at a fake as server ``jf``."""
    from tasks.context import reset

    def apply(fake: FakeJellyfin, login: str = "api_key", **extra: Any) -> None:
        for key, value in client_settings(fake, login, **extra).items():
            monkeypatch.setenv(f"MEDIALAKE_SERVERS_JF_{key.upper()}", str(value))
        monkeypatch.setenv("MEDIALAKE_SYNC_BATCH_SIZE", "200")
        reset()

    return apply
