"""The Plex client against the fake PMS: what it extracts, playlists, history, play
counts, scans and metadata writeback, as a user of each would check them."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from connectors.errors import NotFound
from connectors.media_servers.base import SyncMode
from connectors.media_servers.plex.client import PlexClient
from connectors.media_servers.records import LibraryBatch
from tests.connectors.media_servers.plex.fakes import FakePlex, from_sample, running


def extract(client: PlexClient, mode: SyncMode = SyncMode.FULL) -> LibraryBatch:
    plan = client.plan_sync(mode, {}, None, 100)
    merged = LibraryBatch()
    for unit in plan.units:
        for table, records in client.read_unit(unit).tables().items():
            getattr(merged, table).extend(records)
    return merged


def test_full_extraction_matches_what_the_server_holds(
    fake: FakePlex, make_client: Callable[..., PlexClient]
) -> None:
    library = extract(make_client())
    held = fake.library.counts()
    assert len(library.tracks) == held["track"] == 208
    assert len(library.albums) == held["album"]
    assert len(library.artists) == held["artist"]
    assert (len(library.movies), len(library.shows), len(library.episodes)) == (4, 2, 6)
    parts = {
        p.id: p for i in fake.library.items.values() for m in i.media for p in m.parts
    }
    files = {f.native_id: f for f in library.media_files}
    assert set(files) == {f"part:{pid}" for pid in parts}
    for pid, part in parts.items():
        assert (files[f"part:{pid}"].path, files[f"part:{pid}"].size) == (
            part.file,
            part.size,
        )
    ids = [r.native_id for recs in library.tables().values() for r in recs]
    assert len(ids) == len(set(ids)), "native ids must be unique across tables"


def test_track_records_carry_plex_metadata(
    fake: FakePlex, make_client: Callable[..., PlexClient]
) -> None:
    guest = next(i for i in fake.library.items.values() if i.original_title)
    fake.library.play(guest.key, at=1_700_000_000)
    library = extract(make_client())
    track = next(t for t in library.tracks if t.native_id == str(guest.key))
    album = next(a for a in library.albums if a.native_id == track.album_native_id)
    assert track.artist == guest.original_title  # the track artist on a compilation
    assert track.album_artist == "Various Artists"
    assert album.is_compilation
    assert track.play_count == 1
    assert track.last_played_at == datetime.fromtimestamp(1_700_000_000, UTC)
    assert track.mb_recording_id == guest.mbid
    file = next(f for f in library.media_files if f.native_id == track.file_native_id)
    assert (file.container, file.bitrate, file.item_native_id) == (
        "mp3",
        256_000,
        track.native_id,
    )
    two_disc = [t for t in library.tracks if t.album == "Jökulsárlón Sessions"]
    assert {t.disc_no for t in two_disc} == {1, 2}


@pytest.mark.parametrize("layout", ["flat", "mixed"])
def test_flat_and_nested_parts_read_the_same(
    layout: str, make_client: Callable[..., PlexClient]
) -> None:
    nested = extract(make_client())
    with running(from_sample(), layout=layout) as other:
        other_client = make_client(url=other.url, token=other.token)
        flat = extract(other_client)
        raw = other_client.conn.query("/library/metadata/110,111")
    assert raw is not None
    direct = [track.find("Part") is not None for track in raw]  # Part beside Media
    assert direct == ([True, True] if layout == "flat" else [False, True])
    assert files(flat) == files(nested)
    assert len(files(flat)) == 218


def files(batch: LibraryBatch) -> list[tuple[object, ...]]:
    return sorted(
        (
            f.path,
            f.size,
            f.container,
            f.bitrate,
            f.duration_s,
            f.item_table,
            f.item_native_id,
        )
        for f in batch.media_files
    )


def test_search_and_recent_albums(
    fake: FakePlex, make_client: Callable[..., PlexClient]
) -> None:
    client = make_client()
    hits = client.search_tracks("signal", "sine waves", limit=50)
    assert hits
    assert all("signal" in t.title.casefold() for t in hits)
    assert all(t.album_artist == "The Sine Waves" for t in hits)
    exact = client.search_tracks("Quiet Signal", limit=3)
    assert exact[0].title == "Quiet Signal"
    newest = fake.library.add(
        "album", 3, "Brand New", parent=next(iter(fake.library.items))
    )
    assert client.get_recently_added_albums(2)[0].native_id == str(newest.key)


def test_scan_is_triggered_and_its_state_reported(
    fake: FakePlex, make_client: Callable[..., PlexClient]
) -> None:
    client = make_client()
    assert client.is_library_scanning() is False
    assert client.trigger_library_scan() is True
    assert {r.path for r in fake.served("/refresh")} == {
        "/library/sections/1/refresh",
        "/library/sections/2/refresh",
        "/library/sections/3/refresh",
    }
    assert client.is_library_scanning() is True
    time.sleep(fake.scan_seconds + 0.1)
    assert client.is_library_scanning() is False


def test_playlists_create_update_copy(
    fake: FakePlex, make_client: Callable[..., PlexClient]
) -> None:
    client = make_client()
    tracks = [str(i.key) for i in fake.library.items.values() if i.type == "track"][:5]
    created = client.create_playlist("Road trip", [tracks[2], tracks[0], tracks[1]])
    assert created.track_native_ids == [tracks[2], tracks[0], tracks[1]]
    stored = fake.library.playlists[int(created.native_id)]
    assert (stored.title, [k for _, k in stored.entries]) == (
        "Road trip",
        [int(tracks[2]), int(tracks[0]), int(tracks[1])],
    )
    updated = client.update_playlist(created.native_id, [tracks[4], tracks[3]])
    assert updated.track_native_ids == [tracks[4], tracks[3]]
    copied = client.copy_playlist(created.native_id, "Road trip (copy)")
    assert copied.native_id != created.native_id
    listed = {p.name: p.track_native_ids for p in client.get_playlists()}
    assert listed == {
        "Road trip": [tracks[4], tracks[3]],
        "Road trip (copy)": [tracks[4], tracks[3]],
    }
    with pytest.raises(NotFound):
        client.create_playlist("Ghosts", ["999999"])
    with pytest.raises(NotFound):
        client.update_playlist("424242", tracks)


def test_play_history_and_counts(
    fake: FakePlex, make_client: Callable[..., PlexClient]
) -> None:
    lib = fake.library
    a, b = [i.key for i in lib.items.values() if i.type == "track"][:2]
    episode = next(i.key for i in lib.items.values() if i.type == "episode")
    lib.play(a, 1, at=1_700_000_300)
    lib.play(b, 2, at=1_700_000_100)
    lib.play(a, 2, at=1_700_000_200)
    lib.play(episode, 1, at=1_700_000_400)
    client = make_client()
    history = client.get_play_history()
    assert [
        (e.user, e.item_native_id, int(e.played_at.timestamp())) for e in history
    ] == [
        ("guest", str(b), 1_700_000_100),
        ("guest", str(a), 1_700_000_200),
        ("owner", str(a), 1_700_000_300),
        ("owner", str(episode), 1_700_000_400),
    ]
    since = client.get_play_history(datetime.fromtimestamp(1_700_000_250, UTC))
    assert [e.item_native_id for e in since] == [str(a), str(episode)]
    assert client.get_track_play_counts() == {str(a): 2, str(b): 1}


def test_metadata_writeback(
    fake: FakePlex, make_client: Callable[..., PlexClient]
) -> None:
    client = make_client()
    artist = next(i for i in fake.library.items.values() if i.type == "artist")
    album = next(i for i in fake.library.items.values() if i.type == "album")
    before = artist.updated_at
    assert client.set_artist_genres(str(artist.key), ["Shoegaze", "Dream Pop"]) is True
    assert fake.library.items[artist.key].genres == ["Shoegaze", "Dream Pop"]
    assert client.set_artist_genres(str(artist.key), ["Dream Pop", "Hip Hop"]) is True
    assert fake.library.items[artist.key].genres == ["Dream Pop", "Hip Hop"]
    assert client.set_artist_biography(
        str(artist.key), "Formed in 2009 & still tuning."
    )
    assert fake.library.items[artist.key].summary == "Formed in 2009 & still tuning."
    assert client.set_artist_poster(str(artist.key), b"\x89PNG artist")
    assert client.set_album_poster(str(album.key), b"\xff\xd8 album")
    assert fake.library.posters == {
        artist.key: b"\x89PNG artist",
        album.key: b"\xff\xd8 album",
    }
    assert fake.library.items[artist.key].updated_at >= before
    refreshed = {a.native_id: a for a in client.get_all_artists()}[str(artist.key)]
    assert refreshed.genres == ["Dream Pop", "Hip Hop"]
    with pytest.raises(NotFound):
        client.set_album_poster(str(artist.key), b"x")  # an artist is not an album


def test_unknown_section_names_are_reported(
    make_client: Callable[..., PlexClient],
) -> None:
    client = make_client(music_sections="Music,Audiobooks")
    with pytest.raises(NotFound, match="Audiobooks"):
        client.plan_sync(SyncMode.FULL, {}, None, 100)
    only_music = make_client(music_sections="music", video_sections="Movies")
    library = extract(only_music)
    assert len(library.tracks) == 208
    assert len(library.movies) == 4
    assert not library.episodes
