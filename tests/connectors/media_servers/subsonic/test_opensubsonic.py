"""OpenSubsonic servers: token auth, extensions used only when advertised, per-song
play counts and last-played times (a Navidrome-like fake built from the recorded
supysonic payloads plus the fields the OpenSubsonic spec adds)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from connectors.errors import AuthError
from connectors.media_servers.base import SyncMode, Unsupported
from connectors.media_servers.subsonic.client import SubsonicClient
from tests.connectors.media_servers.subsonic.conftest import make_client
from tests.connectors.media_servers.subsonic.stub import OpenSubsonicFake, Stub


@pytest.fixture
def fake() -> OpenSubsonicFake:
    return OpenSubsonicFake()


@pytest.fixture
def server(fake: OpenSubsonicFake) -> Iterator[Stub]:
    with Stub(app=fake) as stub:
        yield stub


def connect(stub: Stub, password: str = "sesame", **extra: object) -> SubsonicClient:
    table = {"kind": "subsonic", "url": stub.url, "username": "alice"}
    return make_client({**table, "password": password, **extra})


def test_token_auth_and_form_post_are_used_when_offered(server: Stub) -> None:
    client = connect(server)
    info = client.server_info()
    assert (info.auth, info.open_subsonic, info.form_post) == ("token", True, True)
    assert info.server_type == "navidrome"
    client.get_all_album_ids()
    after_handshake = server.seen[2:]  # ping and getOpenSubsonicExtensions are GETs
    assert after_handshake
    assert all(s.method == "POST" for s in after_handshake)
    assert all(not s.query for s in after_handshake)  # nothing in the URL at all
    assert all(s.param("t") and s.param("p") is None for s in server.seen)


def test_a_wrong_password_is_refused_by_token_auth_without_fallback(
    server: Stub,
) -> None:
    with pytest.raises(AuthError) as refused:
        connect(server, password="hunter2").ensure_connection()
    assert refused.value.credential == "servers.music.password"
    assert len(server.seen) == 1


def test_play_counts_come_from_each_song(server: Stub, fake: OpenSubsonicFake) -> None:
    counts = connect(server, page_size=7).get_track_play_counts()
    assert not isinstance(counts, Unsupported)
    assert counts == {s["id"]: s.get("playCount", 0) for s in fake.songs}
    searches = [s for s in server.seen if s.path.endswith("search3.view")]
    assert len(searches) == 4  # 20 songs in pages of 7, then an empty page


def test_last_plays_since_a_time_are_events_oldest_first(
    server: Stub, fake: OpenSubsonicFake
) -> None:
    since = fake.now - timedelta(hours=10, minutes=30)
    events = connect(server).get_play_history(since)
    assert not isinstance(events, Unsupported)
    played = {s["id"] for s in fake.songs if "played" in s}
    recent = {s["id"] for i, s in enumerate(fake.songs) if i % 4 and i <= 10}
    assert {e.item_native_id for e in events} == recent
    assert recent < played
    assert [e.played_at for e in events] == sorted(e.played_at for e in events)
    assert {e.user for e in events} == {"alice"}
    everything = connect(server).get_play_history()
    assert not isinstance(everything, Unsupported)
    assert {e.item_native_id for e in everything} == played


def test_play_counts_ride_along_in_a_sync_without_changing_fingerprints(
    server: Stub, fake: OpenSubsonicFake
) -> None:
    client = connect(server)
    plan = client.plan_sync(SyncMode.FULL, {}, None, 100)
    first = client.read_unit(plan.units[0])
    played = next(t for t in first.tracks if t.play_count)
    assert played.last_played_at is not None
    for song in fake.songs:
        song["playCount"] = song.get("playCount", 0) + 5
    again = client.read_unit(plan.units[0])
    before = {t.native_id: t.fingerprint for t in first.tracks}
    assert {t.native_id: t.fingerprint for t in again.tracks} == before
    assert {t.play_count for t in again.tracks} >= {5}
