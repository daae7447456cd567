"""Resume points and watched state imported from Plex during a library sync: the member
that ``progress_user`` names is offered to resume where Plex says they stopped, another
member is not, a re-sync adds nothing, and the newest position wins."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from flows.library_sync import library_sync
from playback.progress import ProgressBook
from tasks.context import warehouse
from tests.connectors.media_servers import progress_checks as checks
from tests.connectors.media_servers.plex.fakes import FakePlex
from tests.connectors.media_servers.plex.fakes.library import Item

pytestmark = pytest.mark.usefixtures("prefect_harness")


def videos(fake: FakePlex, kind: str) -> list[Item]:
    return sorted(
        (i for i in fake.library.items.values() if i.type == kind), key=lambda i: i.key
    )


def test_a_plex_resume_point_reaches_the_mapped_member_only(
    fake: FakePlex, configure: Callable[..., None]
) -> None:
    ids = checks.members("mel", "max")
    movie, watched = videos(fake, "movie")[:2]
    episode = videos(fake, "episode")[0]
    an_hour_ago = int(time.time()) - 3600
    fake.library.touch(movie.key, view_offset_ms=2_472_000, last_viewed_at=an_hour_ago)
    fake.library.touch(watched.key, view_count=1, last_viewed_at=an_hour_ago)
    fake.library.touch(episode.key, view_offset_ms=65_500, last_viewed_at=an_hour_ago)
    configure(fake, progress_user="mel")
    library_sync(server="pms", mode="full")

    asset = checks.transcoded("pms", "movies", str(movie.key), movie.title)
    finished = checks.transcoded("pms", "movies", str(watched.key), watched.title)
    offered = checks.resume_at(ids["mel"], asset)
    assert offered is not None
    assert (offered["position_s"], offered["finished"]) == (2472.0, False)
    assert offered["source"] == "plex"
    state = checks.resume_at(ids["mel"], finished)
    assert state is not None
    assert state["finished"]  # watched: offered from the top
    assert [e["asset_id"] for e in checks.continuing(ids["mel"])] == [asset]
    assert checks.resume_at(ids["max"], asset) is None
    assert checks.continuing(ids["max"]) == []

    before = checks.events()
    summary = library_sync(server="pms", mode="full")[0]
    assert summary["status"] == "succeeded"
    assert checks.events() == before  # a re-sync adds nothing
    again = checks.resume_at(ids["mel"], asset)
    assert again is not None
    assert again["position_s"] == 2472.0

    newer = checks.retranscoded(asset)  # a new transcode keeps the resume point
    kept = checks.resume_at(ids["mel"], newer)
    assert kept is not None
    assert kept["position_s"] == 2472.0


def test_the_newest_position_wins_between_the_player_and_plex(
    fake: FakePlex, configure: Callable[..., None]
) -> None:
    ids = checks.members("mel")
    movie = videos(fake, "movie")[0]
    asset = checks.transcoded("pms", "movies", str(movie.key), movie.title)
    book = ProgressBook(warehouse())
    book.record(ids["mel"], asset, 900.0, 5000.0)  # watched in medialake, now
    book.flush()
    yesterday = int(time.time()) - 86_400  # Plex's position is older
    fake.library.touch(movie.key, view_offset_ms=700_000, last_viewed_at=yesterday)
    configure(fake, progress_user="mel")
    library_sync(server="pms", mode="full")
    local = checks.resume_at(ids["mel"], asset)
    assert local is not None
    assert (local["position_s"], local["source"]) == (900.0, "player")

    later = int(time.time()) + 5  # then watched on in Plex
    fake.library.touch(movie.key, view_offset_ms=1_200_000, last_viewed_at=later)
    library_sync(server="pms", mode="full")
    state = checks.resume_at(ids["mel"], asset)
    assert state is not None
    assert (state["position_s"], state["source"]) == (1200.0, "plex")


def test_without_a_known_member_nothing_is_imported(
    fake: FakePlex, configure: Callable[..., None]
) -> None:
    movie = videos(fake, "movie")[0]
    fake.library.touch(movie.key, view_offset_ms=60_000, last_viewed_at=1_700_000_000)
    configure(fake, progress_user="nobody")
    summary = library_sync(server="pms", mode="full")[0]
    assert summary["status"] == "succeeded"
    assert checks.events() == 0
