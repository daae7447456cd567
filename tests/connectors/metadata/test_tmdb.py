"""The TMDb client and video matching against the local fake TMDb."""

from __future__ import annotations

import time

import pytest

from connectors.errors import AuthError, NotFound, RequestRejected, TransientError
from connectors.metadata.scoring import ACCEPTED, REVIEW, Thresholds
from connectors.metadata.video import (
    EpisodeQuery,
    MovieQuery,
    ShowQuery,
    match_movie,
    match_show,
)
from tests.connectors.metadata.conftest import make_tmdb
from tests.connectors.metadata.fakes import FakeTmdb


def test_answers_are_cached_so_asking_again_costs_no_request(
    fake_tmdb: FakeTmdb,
) -> None:
    client = make_tmdb(fake_tmdb)
    first = client.movie("550")
    again = client.movie("550")
    assert first["title"] == again["title"] == "Fight Club"
    assert len(fake_tmdb.requests("/3/movie/550")) == 1
    assert client.stats.requests["tmdb"] == 1
    assert client.stats.cache_hits["tmdb"] == 1


def test_not_found_is_an_answer_and_is_cached(fake_tmdb: FakeTmdb) -> None:
    client = make_tmdb(fake_tmdb)
    for _ in range(2):
        with pytest.raises(NotFound):
            client.movie("999999")
    assert len(fake_tmdb.requests("/3/movie/999999")) == 1


def test_invalid_key_names_the_setting_never_the_key(fake_tmdb: FakeTmdb) -> None:
    client = make_tmdb(fake_tmdb, key="wrong-secret-key-123")
    with pytest.raises(AuthError) as info:
        client.search_movie("Fight Club")
    assert "enrichment.tmdb_api_key" in str(info.value)
    assert "wrong-secret-key-123" not in str(info.value)
    assert len(fake_tmdb.requests()) == 1  # a refused key is not retried


def test_missing_query_is_rejected_not_retried(fake_tmdb: FakeTmdb) -> None:
    client = make_tmdb(fake_tmdb)
    with pytest.raises(RequestRejected, match="422"):
        client.search_movie("")
    assert len(fake_tmdb.requests()) == 1


def test_429_is_retried_after_retry_after() -> None:
    with FakeTmdb(per_second=2) as fake:
        client = make_tmdb(fake)
        started = time.monotonic()
        titles = [client.search_tv(t) for t in ("Game", "Thrones", "Rick", "Morty")]
        elapsed = time.monotonic() - started
    assert all(titles)
    assert any(h.status == 429 for h in fake.requests())
    assert elapsed >= 0.9  # it waited as told instead of hammering


def test_a_slow_server_times_out_as_transient() -> None:
    with FakeTmdb(delay=1.0) as fake:
        client = make_tmdb(fake, timeout=0.2, retries=1)
        with pytest.raises(TransientError):
            client.movie("550")


def test_offline_is_transient() -> None:
    fake = FakeTmdb().start()
    client = make_tmdb(fake, retries=0)
    fake.stop()
    with pytest.raises(TransientError):
        client.search_movie("Fight Club")


def test_show_matching_picks_the_right_show_among_close_candidates(
    fake_tmdb: FakeTmdb,
) -> None:
    client = make_tmdb(fake_tmdb)
    query = ShowQuery("Game of Thrones", None, [EpisodeQuery("e1", 1, 1, 62 * 60.0)])
    found = match_show(client, query, Thresholds())
    assert found.decision.status == ACCEPTED
    assert found.decision.provider_id == "1399"
    assert len(found.candidates) >= 3  # House of the Dragon, The Iron Anniversary, ...
    assert {c.provider_id for c in found.candidates} >= {"1399", "206584"}
    (episode,) = found.episodes
    assert (episode.status, episode.provider_id) == (ACCEPTED, "63056")
    assert "Winter Is Coming" in episode.reason


def test_movie_with_matching_runtime_is_accepted_a_clip_is_queued(
    fake_tmdb: FakeTmdb,
) -> None:
    client = make_tmdb(fake_tmdb)
    full = match_movie(client, MovieQuery("Fight Club", 1999, 139 * 60.0), Thresholds())
    assert (full.decision.status, full.decision.provider_id) == (ACCEPTED, "550")
    assert full.genres == ["Drama"]
    clip = match_movie(client, MovieQuery("Fight Club", 1999, 3.0), Thresholds())
    assert clip.decision.status == REVIEW
    assert "runtime mismatch" in clip.decision.reason


def test_images_come_from_the_image_host(fake_tmdb: FakeTmdb) -> None:
    client = make_tmdb(fake_tmdb)
    data = client.image("/pB8BM7pdSp6B6Ih7QZ4DrQ3PmJK.jpg")
    assert data.startswith(b"\xff\xd8")
    with pytest.raises(NotFound):
        client.image("/nope.jpg")
