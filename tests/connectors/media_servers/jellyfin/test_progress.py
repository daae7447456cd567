"""Resume points and watched state imported from Jellyfin (``UserData``) during a
library sync: the member that ``progress_user`` names is offered to resume there,
another member is not, and a re-sync adds nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flows.library_sync import library_sync
from tests.connectors.media_servers import progress_checks as checks
from tests.connectors.media_servers.jellyfin import library
from tests.connectors.media_servers.jellyfin.conftest import SERVER_ID, start_fake
from tests.connectors.media_servers.jellyfin.fake_server import FakeJellyfin
from tests.connectors.media_servers.jellyfin.library import TICKS

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def jellyfin(tmp_path: Path) -> Iterator[FakeJellyfin]:
    """A 12.0 fake of the sample library (one version: the import reads one field)."""
    server = start_fake(library.from_sample(tmp_path / "media", SERVER_ID), "12.0.0")
    yield server
    server.stop()
    assert server.problems == [], server.problems


def test_a_jellyfin_resume_point_reaches_the_mapped_member_only(
    jellyfin: FakeJellyfin, configure: Callable[..., None]
) -> None:
    ids = checks.members("mel", "max")
    items = jellyfin.library.items.values()
    movie, watched = [i for i in items if i.type == "Movie"][:2]
    episode = next(i for i in items if i.type == "Episode")
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    movie.position_ticks, movie.last_played = int(2472.5 * TICKS), an_hour_ago
    episode.position_ticks, episode.last_played = 65 * TICKS, an_hour_ago
    watched.play_count, watched.last_played = 1, an_hour_ago
    jellyfin.library.version += 1
    configure(jellyfin, progress_user="mel")
    library_sync(server="jf", mode="full")

    asset = checks.transcoded("jf", "movies", movie.id, str(movie.dto["Name"]))
    finished = checks.transcoded("jf", "movies", watched.id, str(watched.dto["Name"]))
    offered = checks.resume_at(ids["mel"], asset)
    assert offered is not None
    assert (offered["position_s"], offered["finished"]) == (2472.5, False)
    assert offered["source"] == "jellyfin"
    state = checks.resume_at(ids["mel"], finished)
    assert state is not None
    assert state["finished"]
    assert [e["asset_id"] for e in checks.continuing(ids["mel"])] == [asset]
    assert checks.resume_at(ids["max"], asset) is None
    assert checks.continuing(ids["max"]) == []

    before = checks.events()
    assert before == 3
    library_sync(server="jf", mode="full")
    assert checks.events() == before  # a re-sync adds nothing
    again = checks.resume_at(ids["mel"], asset)
    assert again is not None
    assert again["position_s"] == 2472.5
