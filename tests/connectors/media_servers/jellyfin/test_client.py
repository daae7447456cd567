"""The Jellyfin client's contract operations against the fake (both versions)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from connectors.errors import AuthError, TransientError
from connectors.media_servers.jellyfin.client import JellyfinClient
from connectors.media_servers.registry import create_client
from medialake.settings import SettingsError
from tests.connectors.media_servers.jellyfin.fake_server import API_KEY, FakeJellyfin
from tests.connectors.media_servers.jellyfin.library import EPOCH

MakeClient = Callable[..., JellyfinClient]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


def tracks(fake: FakeJellyfin) -> list[str]:
    return [i.id for i in fake.library.items.values() if i.type == "Audio"]


@pytest.mark.parametrize("login", ["api_key", "password"])
def test_both_logins_connect_and_act_for_the_user(
    fake: FakeJellyfin, make_client: MakeClient, login: str
) -> None:
    client = make_client(fake, login)
    assert client.is_connected()
    counts = client.get_track_play_counts()
    played = {i.id: i.play_count for i in fake.library.items.values() if i.play_count}
    assert counts == played
    assert all(e.authorization and "MediaBrowser " in e.authorization for e in fake.log)


def test_settings_need_a_credential_and_never_echo_it() -> None:
    with pytest.raises(SettingsError, match=r"servers\.jf.*api_key, or username"):
        create_client("jf", {"kind": "jellyfin", "url": "http://127.0.0.1:1"})
    with pytest.raises(SettingsError) as info:
        create_client("jf", {"kind": "jellyfin", "url": "nope", "api_key": "s3cr3t-k"})
    assert "servers.jf.url" in str(info.value)
    assert "s3cr3t-k" not in str(info.value)


def test_server_errors_are_retried_then_reported(
    fake: FakeJellyfin, make_client: MakeClient
) -> None:
    client = make_client(fake, retries=2)
    fake.fail_next(2)
    client.ensure_connection()
    assert [e.status for e in fake.log] == [500, 500, 200]
    fake.fail_next(5)
    with pytest.raises(TransientError, match="HTTP 500 on GET /System/Info after 3"):
        client.ensure_connection()
    assert len(fake.log) == 6
    fake.fail_next(0)


def test_a_slow_server_times_out_as_a_transient_error(
    fake: FakeJellyfin, make_client: MakeClient
) -> None:
    client = make_client(fake, retries=1, timeout=0.2)
    fake.faults.delay = 0.5
    with pytest.raises(TransientError, match="Timeout"):
        client.ensure_connection()
    fake.faults.delay = 0


def test_refused_key_raises_auth_error_without_the_key(
    fake: FakeJellyfin, make_client: MakeClient
) -> None:
    client = make_client(fake, api_key="bad-key-9999")
    with pytest.raises(AuthError) as info:
        client.ensure_connection()
    assert info.value.credential == "servers.jf.api_key"
    assert "bad-key-9999" not in str(info.value)
    assert len(fake.log) == 1
    assert not client.is_connected()


def test_search_and_recent_albums(fake: FakeJellyfin, make_client: MakeClient) -> None:
    client = make_client(fake)
    hits = client.search_tracks("quiet harbor", "oscillator", limit=5)
    assert hits
    assert all(
        h.title == "Quiet Harbor" and h.artist == "Oscillator Club" for h in hits
    )
    newest = client.get_recently_added_albums(2)
    albums = [i for i in fake.library.items.values() if i.type == "MusicAlbum"]
    albums.sort(key=lambda a: a.created, reverse=True)
    assert [a.native_id for a in newest] == [a.id for a in albums[:2]]


def test_library_scan_is_started_and_seen_running(
    fake: FakeJellyfin, make_client: MakeClient
) -> None:
    client = make_client(fake)
    assert client.is_library_scanning() is False
    assert client.trigger_library_scan() is True
    assert client.is_library_scanning() is True
    fake.handlers.scan_until = datetime.now(UTC) - timedelta(seconds=1)
    assert client.is_library_scanning() is False


def test_playlists_create_read_update_copy(
    fake: FakeJellyfin, make_client: MakeClient
) -> None:
    client = make_client(fake, "password")
    ids = tracks(fake)
    created = client.create_playlist("Road trip", ids[:60])  # more than one request
    assert not isinstance(created, bool)
    [listed] = client.get_playlists()  # type: ignore[misc]
    assert (listed.name, listed.track_native_ids) == ("Road trip", ids[:60])
    updated = client.update_playlist(listed.native_id, ids[100:103])
    assert updated.track_native_ids == ids[100:103]  # type: ignore[union-attr]
    copy = client.copy_playlist(listed.native_id, "Road trip (copy)")
    stored = {
        p.name: [i for _, i in p.entries] for p in fake.handlers.playlists.values()
    }
    assert stored == {"Road trip": ids[100:103], "Road trip (copy)": ids[100:103]}
    assert copy.track_native_ids == ids[100:103]  # type: ignore[union-attr]


def test_play_history_is_the_last_play_of_each_item(
    fake: FakeJellyfin, make_client: MakeClient
) -> None:
    client = make_client(fake)
    history = client.get_play_history()
    played = sorted(
        (i.last_played, i.id)
        for i in fake.library.items.values()
        if i.last_played is not None
    )
    assert [(e.played_at, e.item_native_id) for e in history] == played  # type: ignore[union-attr]
    assert {e.user for e in history} == {"alice"}  # type: ignore[union-attr]
    since = EPOCH + timedelta(days=30, minutes=100)
    later = client.get_play_history(since)
    assert [e.item_native_id for e in later] == [i for t, i in played if t > since]  # type: ignore[union-attr]


def test_metadata_writeback(fake: FakeJellyfin, make_client: MakeClient) -> None:
    client = make_client(fake)
    artist = next(iter(fake.library.artists.values()))
    album = next(i for i in fake.library.items.values() if i.type == "MusicAlbum")
    assert client.set_artist_genres(artist.id, ["Shoegaze", "Dream Pop"]) is True
    assert client.set_artist_biography(artist.id, "Formed in a garage.") is True
    assert artist.dto["Genres"] == ["Shoegaze", "Dream Pop"]
    assert artist.dto["Overview"] == "Formed in a garage."
    assert client.set_album_poster(album.id, PNG) is True
    assert client.set_artist_poster(artist.id, b"\xff\xd8\xff" + PNG) is True
    assert album.images["Primary"] == PNG
    assert artist.images["Primary"].startswith(b"\xff\xd8\xff")


def test_only_the_api_key_reaches_the_server_as_a_credential(
    fake: FakeJellyfin, make_client: MakeClient
) -> None:
    client = make_client(fake)
    client.get_all_artists()
    assert all(f'Token="{API_KEY}"' in (e.authorization or "") for e in fake.log)
    assert all(
        k.lower() not in ("api_key", "apikey") for e in fake.log for k, _ in e.query
    )
