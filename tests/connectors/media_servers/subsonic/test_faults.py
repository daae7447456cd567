"""Faults: 5xx and timeouts are retried with backoff and then reported; a passing fault
is retried away; an answer that is not the Subsonic API is named as such."""

from __future__ import annotations

import time

import pytest

from connectors.errors import RequestRejected, TransientError
from connectors.media_servers.base import SyncMode
from tests.connectors.media_servers.subsonic.conftest import make_client
from tests.connectors.media_servers.subsonic.server import Supysonic
from tests.connectors.media_servers.subsonic.stub import Stub

FAST_RETRIES = {"retries": 2, "retry_backoff_s": 0.2}


def table(url: str, **extra: object) -> dict[str, object]:
    """A server table for ``url`` (alice/sesame)."""
    return {
        "kind": "subsonic",
        "url": url,
        "username": "alice",
        "password": "sesame",
    } | extra


def test_server_errors_are_retried_with_backoff_then_reported() -> None:
    with Stub(fail_next=1000, status=500) as broken:
        client = make_client(table(broken.url, **FAST_RETRIES))
        started = time.monotonic()
        with pytest.raises(TransientError) as failed:
            client.ensure_connection()
        elapsed = time.monotonic() - started
        assert len(broken.seen) == 3  # the first try and two retries
        assert elapsed >= (0.2 + 0.4) * 0.75  # exponential backoff, with jitter
        assert "HTTP 500" in str(failed.value)
        assert "3 attempts" in str(failed.value)
        assert client.is_connected() is False


def test_timeouts_are_retried_then_reported() -> None:
    with Stub(delay=1.5) as slow:
        client = make_client(
            table(slow.url, timeout=0.3, retries=1, retry_backoff_s=0.05)
        )
        with pytest.raises(TransientError, match=r"Timeout.*2 attempts"):
            client.ensure_connection()
        assert len(slow.seen) == 2


def test_a_passing_fault_is_retried_away(supysonic: Supysonic) -> None:
    with Stub(upstream=supysonic.url, fail_next=2, status=503) as flaky:
        client = make_client({**supysonic.config(), **FAST_RETRIES, "url": flaky.url})
        plan = client.plan_sync(SyncMode.FULL, {}, None, 1000)
        flaky.fail_next = 1
        batch = client.read_unit(plan.units[0])
        assert batch.tracks
        assert batch.failed == 0
        assert len(flaky.seen) > 3


def test_an_answer_that_is_not_the_subsonic_api_is_named() -> None:
    with Stub(body=b"<html><body>Welcome to nginx</body></html>") as web:
        client = make_client(table(web.url))
        with pytest.raises(RequestRejected, match=r"servers\.music\.url"):
            client.ensure_connection()
        assert len(web.seen) == 1  # not retried


def test_settings_are_validated_and_name_the_key() -> None:
    from medialake.settings import SettingsError

    with pytest.raises(SettingsError, match=r"servers\.music\.url"):
        make_client(table("ftp://x"))
    with pytest.raises(SettingsError, match=r"servers\.music\.page_size"):
        make_client(table("http://x", page_size=1000))
    digits = make_client(table("http://x", username=1234, password=5678))
    assert digits.config.password.get_secret_value() == "5678"
