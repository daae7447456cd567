"""The Subsonic client against a real supysonic: auth, playlists, scans, plays."""

from __future__ import annotations

import logging
import time

import pytest

from connectors.errors import AuthError, NotFound
from connectors.media_servers.base import SyncMode, Unsupported
from connectors.media_servers.subsonic.client import SubsonicClient
from medialake.log import install_redaction
from tests.connectors.media_servers.subsonic.conftest import make_client
from tests.connectors.media_servers.subsonic.helpers import scan_and_wait, stream
from tests.connectors.media_servers.subsonic.server import PASSWORD, Supysonic
from tests.connectors.media_servers.subsonic.stub import Stub


def some_track_ids(client: SubsonicClient, count: int) -> list[str]:
    plan = client.plan_sync(SyncMode.FULL, {}, None, 1000)
    tracks = client.read_unit(plan.units[0]).tracks
    return [t.native_id for t in tracks[:count]]


def test_token_auth_falls_back_to_password_auth_on_supysonic(
    client: SubsonicClient,
) -> None:
    client.ensure_connection()
    info = client.server_info()
    assert (info.auth, info.version, info.open_subsonic) == (
        "password",
        "1.12.0",
        False,
    )
    assert client.public_location() == client.config.url


def test_forcing_token_auth_names_the_auth_setting(supysonic: Supysonic) -> None:
    forced = make_client(supysonic.config(auth="token"))
    with pytest.raises(AuthError) as refused:
        forced.ensure_connection()
    assert refused.value.credential == "servers.music.auth"
    assert forced.is_connected() is False


def test_a_wrong_password_is_refused_at_once_without_retries(
    supysonic: Supysonic,
) -> None:
    with Stub(upstream=supysonic.url) as proxy:
        wrong = make_client({**supysonic.config(password="hunter2"), "url": proxy.url})
        started = time.monotonic()
        with pytest.raises(AuthError) as refused:
            wrong.ensure_connection()
        assert time.monotonic() - started < 2
        assert refused.value.credential == "servers.music.password"
        assert "hunter2" not in str(refused.value)
        assert [s.param("t") is not None for s in proxy.seen] == [True, False]


def test_no_secret_reaches_a_log_line_or_an_error(
    supysonic: Supysonic, caplog: pytest.LogCaptureFixture
) -> None:
    install_redaction()
    caplog.set_level(logging.DEBUG)
    hexed = PASSWORD.encode().hex()
    with Stub(upstream=supysonic.url) as proxy:
        live = make_client({**supysonic.config(), "url": proxy.url})
        plan = live.plan_sync(SyncMode.FULL, {}, None, 50)
        live.read_unit(plan.units[0])
        wrong = make_client({**supysonic.config(password="hunter2"), "url": proxy.url})
        with pytest.raises(AuthError) as refused:
            wrong.ensure_connection()
        tokens = [t for t in (s.param("t") for s in proxy.seen) if t]
    assert tokens
    assert "HTTP Request" in caplog.text
    for secret in (PASSWORD, hexed, "hunter2", b"hunter2".hex(), *tokens):
        assert secret not in caplog.text
        assert secret not in str(refused.value)


def test_playlists_create_update_and_copy(client: SubsonicClient) -> None:
    a, b, c, d = some_track_ids(client, 4)
    made = client.create_playlist("Road Trip", [a, b, c])
    assert not isinstance(made, Unsupported)
    assert (made.name, made.track_native_ids, made.owner) == (
        "Road Trip",
        [a, b, c],
        "alice",
    )
    updated = client.update_playlist(made.native_id, [d, a])
    assert not isinstance(updated, Unsupported)
    assert (updated.native_id, updated.track_native_ids) == (made.native_id, [d, a])
    copied = client.copy_playlist(made.native_id, "Road Trip (copy)")
    assert not isinstance(copied, Unsupported)
    assert copied.native_id != made.native_id
    assert copied.track_native_ids == [d, a]
    listed = client.get_playlists()
    assert not isinstance(listed, Unsupported)
    by_id = {p.native_id: p for p in listed}
    assert by_id[made.native_id].track_native_ids == [d, a]
    assert by_id[copied.native_id].name == "Road Trip (copy)"
    with pytest.raises(NotFound):
        client.update_playlist("00000000-0000-0000-0000-000000000000", [a])


def test_a_long_playlist_is_sent_in_chunks(client: SubsonicClient) -> None:
    ids = some_track_ids(client, 150)
    songs = (ids * 3)[:450]  # more song ids than one request carries
    made = client.create_playlist("Marathon", songs)
    assert not isinstance(made, Unsupported)
    assert made.track_native_ids == songs


def test_a_scan_is_started_and_its_end_is_seen(client: SubsonicClient) -> None:
    assert client.is_library_scanning() is False
    scan_and_wait(client)
    assert client.is_library_scanning() is False


def test_a_play_shows_on_the_server_and_counts_are_reported_honestly(
    supysonic: Supysonic, client: SubsonicClient
) -> None:
    track = client.search_tracks("Electric Harbor", "Oscillator Club", limit=1)[0]
    assert len(stream(supysonic, track.native_id)) > 1000
    recent = client.api.call("getAlbumList2", {"type": "recent", "size": 1})
    assert f"al:{recent['albumList2']['album'][0]['id']}" == track.album_native_id
    counts = client.get_track_play_counts()
    history = client.get_play_history()
    assert isinstance(counts, Unsupported)
    assert "playCount" in counts.reason
    assert isinstance(history, Unsupported)
    assert "play history" in history.reason


def test_metadata_writeback_is_unsupported_with_a_reason(
    client: SubsonicClient,
) -> None:
    answers = [
        client.set_artist_genres("ar:1", ["Jazz"]),
        client.set_artist_poster("ar:1", b"\x89PNG"),
        client.set_album_poster("al:1", b"\x89PNG"),
        client.set_artist_biography("ar:1", "Born somewhere."),
    ]
    for answer in answers:
        assert isinstance(answer, Unsupported)
        assert "no endpoint" in answer.reason


def test_search_ranks_the_exact_title_first_and_filters_by_artist(
    client: SubsonicClient,
) -> None:
    hits = client.search_tracks("harbor", limit=10)
    assert hits
    assert all("harbor" in t.title.casefold() for t in hits)
    exact = client.search_tracks("Electric Harbor", limit=3)
    assert exact[0].title == "Electric Harbor"
    assert client.search_tracks("Electric Harbor", "Nobody At All") == []


def test_song_files_are_found_under_the_local_root(
    supysonic: Supysonic, client: SubsonicClient
) -> None:
    mounted = make_client(supysonic.config(local_root=str(supysonic.music)))
    plan = mounted.plan_sync(SyncMode.FULL, {}, None, 1000)
    files = mounted.read_unit(plan.units[0]).media_files
    local = [mounted.local_path(f.path) for f in files]
    assert all(
        p is not None and p.stat().st_size == f.size
        for p, f in zip(local, files, strict=True)
    )
    assert client.local_path(files[0].path) is None  # no local_root: not reachable
