"""A fake Plex Media Server for tests: a generated library served over HTTP in the
shapes of the recorded PMS payloads in ``shared/peers/plex``."""

from __future__ import annotations

from tests.connectors.media_servers.plex.fakes.generate import from_sample, synthetic
from tests.connectors.media_servers.plex.fakes.library import (
    MOVIES,
    MUSIC,
    TV,
    FakeLibrary,
)
from tests.connectors.media_servers.plex.fakes.server import FakePlex, running

__all__ = [
    "MOVIES",
    "MUSIC",
    "TV",
    "FakeLibrary",
    "FakePlex",
    "from_sample",
    "running",
    "synthetic",
]
