"""Enrichment tasks called directly: probing only what changed, failing services
skipping the rest of a batch, and writeback through the engine."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from connectors.media_servers.base import MediaServerClient, ServerConfig
from connectors.media_servers.engine import MediaServerEngine
from tests.connectors.metadata.fakes import FakeMusicBrainz


def _env(
    monkeypatch: pytest.MonkeyPatch, root: Path, mb_url: str = "http://127.0.0.1:9"
) -> None:
    from tasks.context import reset

    monkeypatch.setenv("MEDIALAKE_SERVERS_LOCAL_KIND", "filesystem")
    monkeypatch.setenv("MEDIALAKE_SERVERS_LOCAL_ROOTS", str(root))
    monkeypatch.setenv("MEDIALAKE_ENRICHMENT_MUSICBRAINZ_BASE_URL", mb_url)
    monkeypatch.setenv("MEDIALAKE_ENRICHMENT_MUSICBRAINZ_MIN_INTERVAL_S", "0")
    monkeypatch.setenv("MEDIALAKE_ENRICHMENT_HTTP_RETRIES", "0")
    reset()


def _files(root: Path, names: list[str]) -> None:
    from tasks.context import warehouse
    from warehouse.upsert import merge_frame

    rows = []
    for name in names:
        path = root / name
        st = path.stat() if path.exists() else None
        rows.append(
            {
                "server_id": "local",
                "native_id": f"f:{name}",
                "path": name,
                "media_kind": "video",
                "size": st.st_size if st else 1,
                "mtime": datetime.fromtimestamp(st.st_mtime if st else 0, UTC),
                "fingerprint": f"{st.st_size}:{st.st_mtime_ns}" if st else "1:0",
            }
        )
    with warehouse().write() as con:
        merge_frame(con, "media_files", pl.DataFrame(rows))


def test_probe_only_new_or_changed_files_and_record_failures(
    ml_home: Path, sample_library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tasks import enrich as t
    from tasks.context import warehouse

    root = tmp_path / "lib"
    root.mkdir()
    source = next((sample_library.root / "Video").rglob("*.mp4"))
    shutil.copy(source, root / "good.mp4")
    (root / "broken.mkv").write_bytes(b"\x1a\x45\xdf\xa3" + os.urandom(1024))
    _env(monkeypatch, root)
    _files(root, ["good.mp4", "broken.mkv", "gone.mkv"])
    run_id = t.open_run.fn()
    (batch,) = t.plan_probes.fn(run_id)
    assert t.probe_batch.fn(run_id, batch) == {"probed": 3, "probe_errors": 2}
    with warehouse().read() as con:
        status = dict(
            con.execute("SELECT path, probe_status FROM enrichment_files").fetchall()
        )
        streams = con.execute("SELECT count(*) FROM media_streams").fetchone()[0]
    assert status == {
        "good.mp4": "ok",
        "broken.mkv": "error",
        "gone.mkv": "unreachable",
    }
    assert streams == 2
    assert t.plan_probes.fn(run_id) == []  # unchanged: never probed again

    os.utime(root / "good.mp4", (1, 1))  # the file changed: its fingerprint too
    _files(root, ["good.mp4"])
    (again,) = t.plan_probes.fn(run_id)
    assert [f["path"] for f in again] == ["good.mp4"]
    t.probe_batch.fn(run_id, again)
    with warehouse().read() as con:
        streams = con.execute("SELECT count(*) FROM media_streams").fetchone()[0]
    assert streams == 2  # replaced, not duplicated


def _albums(n: int) -> list[dict]:
    return [
        {
            "server_id": "local",
            "native_id": f"al:{i}",
            "title": f"Album {i}",
            "artist": "Nobody",
            "year": None,
            "track_count": 1,
            "release_id": None,
            "artist_native_id": None,
            "item_key": f"k{i}",
            "tracks": [],
        }
        for i in range(n)
    ]


def test_a_service_down_skips_the_rest_of_the_batch_after_one_try(
    ml_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tasks import enrich as t
    from tasks.context import warehouse

    fake = FakeMusicBrainz(min_interval=0).start()
    url = fake.url
    fake.stop()
    _env(monkeypatch, tmp_path, url)
    run_id = t.open_run.fn()
    counts = t.identify_batch.fn(run_id, {"kind": "album", "items": _albums(5)})
    assert counts["skipped"] == 5
    assert counts["requests"] == 1  # no hammering a service that is down
    with warehouse().read() as con:
        reasons = {
            r[0] for r in con.execute("SELECT reason FROM identities").fetchall()
        }
    (reason,) = reasons
    assert "unreachable" in reason
    assert "retried next run" in reason


class _Recorder(MediaServerClient):
    """A server that accepts writebacks and remembers them."""

    kind = "recorder"

    def __init__(self) -> None:
        super().__init__("local", ServerConfig(kind="recorder"))
        self.calls: list[tuple[str, str, object]] = []

    def set_album_poster(self, album_id: str, image: bytes) -> bool:
        self.calls.append(("set_album_poster", album_id, image))
        return True

    def set_artist_genres(self, artist_id: str, genres: list[str]) -> bool:  # type: ignore[override]
        self.calls.append(("set_artist_genres", artist_id, list(genres)))
        return True

    is_connected = ensure_connection = get_all_artists = get_all_album_ids = None  # type: ignore[assignment]
    search_tracks = get_recently_added_albums = plan_sync = read_unit = None  # type: ignore[assignment]


_Recorder.__abstractmethods__ = frozenset()


def _accepted_album(ml_home: Path) -> None:
    from tasks.context import warehouse

    cover = ml_home / "artwork/musicbrainz/rel-1-cover.jpg"
    cover.parent.mkdir(parents=True)
    cover.write_bytes(b"\xff\xd8cover")
    with warehouse().write() as con:
        con.execute(
            "INSERT INTO albums (server_id, native_id, title, artist_native_id)"
            " VALUES ('local', 'al:1', 'Sea of Cowards', 'ar:1')"
        )
        con.execute(
            "INSERT INTO identities (entity, server_id, native_id, provider,"
            " provider_id,"
            " status, reason, genres) VALUES ('album', 'local', 'al:1', 'musicbrainz',"
            " 'rel-1', 'accepted', 'test', ['blues', 'rock'])"
        )
        con.execute(
            "INSERT INTO artwork (provider, provider_id, kind, local_path, size_bytes)"
            " VALUES ('musicbrainz', 'rel-1', 'cover', ?, 10)",
            [str(cover.relative_to(ml_home))],
        )


def test_writeback_sends_once_and_records_what_the_server_cannot_do(
    ml_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tasks import enrich as t
    from tasks.context import warehouse

    _env(monkeypatch, tmp_path)
    _accepted_album(ml_home)
    run_id = t.open_run.fn()
    assert t.writeback.fn(run_id) == {"writebacks": 0}  # filesystem: unsupported
    with warehouse().read() as con:
        rows = con.execute(
            "SELECT operation, outcome, detail FROM writebacks"
        ).fetchall()
    assert {(r[0], r[1]) for r in rows} == {
        ("set_album_poster", "unsupported"),
        ("set_artist_genres", "unsupported"),
    }
    assert all("filesystem" in r[2] for r in rows)

    with warehouse().write() as con:
        con.execute("DELETE FROM writebacks")
    recorder = _Recorder()
    monkeypatch.setattr(t, "engine", lambda: MediaServerEngine({"local": recorder}))
    assert t.writeback.fn(run_id) == {"writebacks": 2}
    assert sorted(c[0] for c in recorder.calls) == [
        "set_album_poster",
        "set_artist_genres",
    ]
    assert ("set_artist_genres", "ar:1", ["blues", "rock"]) in recorder.calls
    assert t.writeback.fn(run_id) == {"writebacks": 0}  # sent once
    assert len(recorder.calls) == 2
