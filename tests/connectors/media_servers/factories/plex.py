"""Conformance factory for the Plex client: a fake Plex Media Server holding the sample
library (its files where ``sample`` put them), on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from connectors.media_servers.base import MediaServerClient
from connectors.media_servers.registry import create_client
from medialake.sample import SampleSummary
from tests.connectors.media_servers.plex.fakes import from_sample, running

KIND = "plex"
FAST = {"retries": 2, "backoff": 0.01, "timeout": 5}


@contextmanager
def live_client(tmp_path: Path, sample: SampleSummary) -> Iterator[MediaServerClient]:
    with running(from_sample(sample.root)) as fake:
        yield create_client(
            "plex", {"kind": KIND, "url": fake.url, "token": fake.token, **FAST}
        )


@contextmanager
def unreachable_client(tmp_path: Path) -> Iterator[MediaServerClient]:
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    yield create_client(
        "plex",
        {"kind": KIND, "url": f"http://127.0.0.1:{port}", "token": "x" * 20, **FAST},
    )
