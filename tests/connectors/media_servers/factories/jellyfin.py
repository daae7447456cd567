"""Conformance factory for the Jellyfin client: a spec-checked fake Jellyfin (12.0)
serving the sample library."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from connectors.media_servers.base import MediaServerClient
from connectors.media_servers.registry import create_client
from medialake.sample import SampleSummary
from tests.connectors.media_servers.jellyfin import library
from tests.connectors.media_servers.jellyfin.fake_server import API_KEY, FakeJellyfin

KIND = "jellyfin"


@contextmanager
def live_client(tmp_path: Path, sample: SampleSummary) -> Iterator[MediaServerClient]:
    served = library.from_sample(sample.root, library.guid("server", "conformance"))
    with FakeJellyfin(served, version="12.0.0") as fake:
        client = create_client(
            "jf", {"kind": KIND, "url": fake.url, "api_key": API_KEY, "backoff_s": 0.01}
        )
        yield client
        assert fake.problems == [], fake.problems


@contextmanager
def unreachable_client(tmp_path: Path) -> Iterator[MediaServerClient]:
    with socket.socket() as sock:  # a port that was free a moment ago: nobody listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = {
        "kind": KIND,
        "url": f"http://127.0.0.1:{port}",
        "api_key": API_KEY,
        "retries": 1,
        "backoff_s": 0.01,
        "timeout": 2,
    }
    yield create_client("jf", config)
