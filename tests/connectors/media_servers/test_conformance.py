"""The media-server contract, checked on every registered client (fakes included)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.errors import ConnectorError
from connectors.media_servers.base import (
    OPTIONAL_OPERATIONS,
    MediaServerClient,
    SyncMode,
    Unsupported,
)
from connectors.media_servers.records import (
    LEAF_TABLES,
    AlbumRecord,
    ArtistRecord,
    LibraryBatch,
    TrackRecord,
)
from connectors.media_servers.registry import client_classes
from medialake.sample import SampleSummary
from tests.connectors.media_servers.factories import factories

KINDS = sorted(client_classes())


def test_every_registered_kind_has_a_conformance_factory() -> None:
    assert set(KINDS) <= set(factories()), (
        "a registered client has no conformance factory"
    )


@pytest.fixture(params=KINDS)
def client(
    request: pytest.FixtureRequest, tmp_path: Path, sample_library: SampleSummary
) -> Iterator[MediaServerClient]:
    with factories()[request.param].live_client(tmp_path, sample_library) as live:
        yield live


@pytest.fixture(params=KINDS)
def unreachable(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[MediaServerClient]:
    with factories()[request.param].unreachable_client(tmp_path) as dead:
        yield dead


def read_everything(
    client: MediaServerClient, mode: SyncMode, known: dict
) -> LibraryBatch:
    plan = client.plan_sync(mode, known, None, 50)
    merged = LibraryBatch()
    for unit in plan.units:
        batch = client.read_unit(unit)
        for name, records in batch.tables().items():
            getattr(merged, name).extend(records)
        merged.failed += batch.failed
    return merged


def test_connects(client: MediaServerClient) -> None:
    client.ensure_connection()
    assert client.is_connected()


def test_unreachable_server_is_reported_not_raised_by_is_connected(
    unreachable: MediaServerClient,
) -> None:
    assert unreachable.is_connected() is False
    with pytest.raises(ConnectorError):
        unreachable.ensure_connection()


def test_artists_and_albums(client: MediaServerClient) -> None:
    artists = client.get_all_artists()
    assert artists
    assert all(isinstance(a, ArtistRecord) for a in artists)
    assert len({a.native_id for a in artists}) == len(artists)
    album_ids = client.get_all_album_ids()
    assert album_ids
    assert len(set(album_ids)) == len(album_ids)
    recent = client.get_recently_added_albums(limit=3)
    assert 0 < len(recent) <= 3
    assert all(isinstance(a, AlbumRecord) for a in recent)
    assert {a.native_id for a in recent} <= set(album_ids)


def test_search_finds_a_known_track(client: MediaServerClient) -> None:
    library = read_everything(client, SyncMode.FULL, {})
    wanted = library.tracks[len(library.tracks) // 2]
    hits = client.search_tracks(wanted.title, wanted.artist or "", limit=5)
    assert 0 < len(hits) <= 5
    assert all(isinstance(t, TrackRecord) for t in hits)
    assert wanted.native_id in {t.native_id for t in hits}
    assert client.search_tracks("no such title at all 0xdeadbeef") == []


def test_full_extraction_is_consistent(client: MediaServerClient) -> None:
    library = read_everything(client, SyncMode.FULL, {})
    assert library.tracks, "the library's tracks were not extracted"
    for table in LEAF_TABLES:
        ids = [r.native_id for r in getattr(library, table)]
        assert len(ids) == len(set(ids)), f"a native id was extracted twice in {table}"
    album_ids = {a.native_id for a in library.albums}
    assert {t.album_native_id for t in library.tracks} <= album_ids


def test_incremental_with_everything_known_reads_little(
    client: MediaServerClient,
) -> None:
    full = read_everything(client, SyncMode.FULL, {})
    known = {
        r.native_id: r.fingerprint for recs in full.tables().values() for r in recs
    }
    again = read_everything(client, SyncMode.INCREMENTAL, known)
    assert len(again.tracks) < len(full.tracks)


def test_optional_operations_answer_explicitly(client: MediaServerClient) -> None:
    for name in ("is_library_scanning", "get_playlists", "get_track_play_counts"):
        result = getattr(client, name)()
        if isinstance(result, Unsupported):
            assert result.operation == name
            assert not result
            assert client.kind in str(result)
    history = client.get_play_history()
    assert isinstance(history, (list, Unsupported))
    for name in OPTIONAL_OPERATIONS:
        assert callable(getattr(client, name))
