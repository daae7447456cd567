"""Conformance factory for the Subsonic client: a real supysonic with the sample music.

The server is started once per test session (see ``subsonic/server.py``) and shared
with the Subsonic tests; each client gets its own connection pool.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from connectors.media_servers.base import MediaServerClient
from connectors.media_servers.registry import create_client
from connectors.media_servers.subsonic.client import SubsonicClient
from medialake.sample import SampleSummary
from tests.connectors.media_servers.subsonic.server import shared_server

KIND = "subsonic"


@contextmanager
def live_client(tmp_path: Path, sample: SampleSummary) -> Iterator[MediaServerClient]:
    client = create_client("music", shared_server(sample).config())
    try:
        yield client
    finally:
        assert isinstance(client, SubsonicClient)
        client.close()


def _free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def unreachable_client(tmp_path: Path) -> Iterator[MediaServerClient]:
    table = {
        "kind": KIND,
        "url": f"http://127.0.0.1:{_free_port()}",
        "username": "alice",
        "password": "sesame",
        "retries": 1,
        "retry_backoff_s": 0.05,
        "timeout": 2,
    }
    client = create_client("music", table)
    try:
        yield client
    finally:
        assert isinstance(client, SubsonicClient)
        client.close()
