"""Faults: 5xx and timeouts are retried with backoff and then reported, a refused token
stops at once naming the credential, and the token never reaches an error or a log."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable

import pytest

from connectors.errors import AuthError, LibraryUnavailable, TransientError
from connectors.media_servers.base import SyncMode
from connectors.media_servers.plex.client import PlexClient
from tests.connectors.media_servers.plex.fakes import FakePlex


def test_a_burst_of_500s_is_retried_with_growing_delays(
    fake: FakePlex, make_client: Callable[..., PlexClient]
) -> None:
    client = make_client(retries=3, backoff=0.1)
    client.ensure_connection()
    fake.clear_log()
    fake.fail_next(3, status=503, path="/all")
    assert len(client.get_all_album_ids()) == 17
    tries = fake.served("/library/sections/3/all")
    assert [t.status for t in tries] == [503, 503, 503, 200]
    gaps = [b.at - a.at for a, b in itertools.pairwise(tries)]
    assert 0.07 < gaps[0] < gaps[1] < gaps[2], gaps  # 0.1, 0.2, 0.4 s, +-25% jitter


def test_persistent_500s_are_reported_after_the_retries(
    fake: FakePlex, make_client: Callable[..., PlexClient]
) -> None:
    client = make_client(retries=2)
    client.ensure_connection()
    fake.clear_log()
    fake.fail_next(100, status=500, path="/library/sections")
    with pytest.raises(TransientError, match=r"HTTP 500 .*3 attempts") as caught:
        client.plan_sync(SyncMode.FULL, {}, None, 100)
    assert len(fake.served("/library/sections")) == 3
    assert fake.token not in str(caught.value)


def test_a_slow_server_times_out_and_is_reported(
    fake: FakePlex, make_client: Callable[..., PlexClient]
) -> None:
    client = make_client(timeout=0.2, retries=1)
    fake.delay = 0.5
    started = time.monotonic()
    with pytest.raises(TransientError, match=r"no answer within 0.2 s.*2 attempts"):
        client.ensure_connection()
    assert time.monotonic() - started < 2.0
    assert client.is_connected() is False
    fake.delay = 0.0
    assert client.is_connected() is True


def test_a_refused_token_stops_at_once_naming_the_credential(
    fake: FakePlex,
    make_client: Callable[..., PlexClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    wrong = "wrong-token-9d8c7b6a5f"
    client = make_client(token=wrong, retries=3)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthError) as caught:
        client.plan_sync(SyncMode.FULL, {}, None, 100)
    assert caught.value.credential == "servers.pms.token"
    assert "pms" in str(caught.value)
    assert "servers.pms.token" in str(caught.value)
    assert [r.status for r in fake.log] == [401], "a 401 must not be retried"
    assert wrong not in str(caught.value)
    assert wrong not in caplog.text
    assert fake.token not in caplog.text


def test_the_token_never_reaches_logs_even_when_everything_fails(
    fake: FakePlex,
    make_client: Callable[..., PlexClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client(retries=1)
    fake.fail_next(10, status=502)
    with pytest.raises(TransientError) as caught:
        client.get_all_artists()
    assert fake.token not in caplog.text
    assert fake.token not in repr(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_an_empty_library_is_unavailable_not_empty(
    fake: FakePlex, make_client: Callable[..., PlexClient]
) -> None:
    fake.empty = True
    with pytest.raises(LibraryUnavailable, match="lists no items"):
        make_client().plan_sync(SyncMode.FULL, {}, None, 100)
