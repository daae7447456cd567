"""The artwork flow takes each item's picture from its own media server first (Plex
``thumb``, Jellyfin ``Primary``, Subsonic ``getCoverArt``, each from its fake); a
picture on another host is never fetched; a server's 5xx falls back to the next
source and the server is asked again on the next run."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.connectors.media_servers.jellyfin import library as jf_library
from tests.connectors.media_servers.jellyfin.conftest import client_settings
from tests.connectors.media_servers.jellyfin.fake_server import FakeJellyfin
from tests.connectors.media_servers.plex.fakes import FakePlex, from_sample, running
from tests.connectors.media_servers.subsonic.stub import OpenSubsonicFake, Stub
from tests.connectors.metadata import pictures

FAST = {"retries": 1, "backoff": 0.01, "timeout": 5}


def _configure(monkeypatch: pytest.MonkeyPatch, name: str, table: dict) -> None:
    from tasks.context import reset

    for key, value in table.items():
        variable = f"MEDIALAKE_SERVERS_{name.upper()}_{key.upper()}"
        monkeypatch.setenv(variable, str(value))
    reset()


def _plex_table(fake: FakePlex) -> dict[str, Any]:
    return {"kind": "plex", "url": fake.url, "token": fake.token, **FAST}


def _albums(fake: FakePlex) -> list[int]:
    return sorted(k for k, i in fake.library.items.items() if i.type == "album")


def _write(*sql: tuple[str, list[Any]]) -> None:
    from tasks.context import warehouse

    with warehouse().write() as con:
        for text, params in sql:
            con.execute(text, params)


def _rows() -> dict[str, dict[str, Any]]:
    from tasks.context import warehouse
    from warehouse.queries import records

    with warehouse().read() as con:
        return {r["native_id"]: r for r in records(con, "SELECT * FROM item_artwork")}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def plex() -> Iterator[FakePlex]:
    with running(from_sample()) as fake:
        yield fake


def test_each_server_gives_its_own_picture(
    prefect_harness: None,
    ml_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    plex: FakePlex,
) -> None:
    from flows.artwork import artwork

    library = jf_library.from_sample(tmp_path / "media", jf_library.guid("server", 1))
    movie = next(i.id for i in library.items.values() if i.type == "Movie")
    subsonic = OpenSubsonicFake()
    album = "al:" + subsonic.albums[0]["id"]
    with (
        FakeJellyfin(library, version="12.0.0") as jellyfin,
        Stub(app=subsonic) as stub,
    ):
        _configure(monkeypatch, "pms", _plex_table(plex))
        _configure(monkeypatch, "jf", client_settings(jellyfin))
        table = {"kind": "subsonic", "url": stub.url, "username": "alice"}
        _configure(monkeypatch, "sub", {**table, "password": "sesame"})
        key = str(_albums(plex)[0])
        _write(
            ("INSERT INTO albums (server_id, native_id, title) VALUES (?, ?, 'P')",
             ["pms", key]),
            ("INSERT INTO movies (server_id, native_id, title) VALUES (?, ?, 'J')",
             ["jf", movie]),
            ("INSERT INTO albums (server_id, native_id, title) VALUES (?, ?, 'S')",
             ["sub", album]),
        )  # fmt: skip
        totals = artwork()
        assert jellyfin.problems == []
    assert totals == {"items": 3, "server": 3}
    rows = _rows()
    assert rows[key]["digest"] == _sha(pictures.jpeg(60, 90, "navy"))
    assert rows[movie]["digest"] == _sha(pictures.jpeg(60, 90, "maroon"))
    assert rows[album]["digest"] == _sha(pictures.jpeg(60, 60, "olive"))
    for row in rows.values():
        assert row["source"] == "server"
        assert (ml_home / row["thumb_path"]).is_file()
    # the token went in a header, never in a URL
    assert all(plex.token not in str(r.params) for r in plex.served("/thumb"))


def test_other_hosts_are_refused_and_a_failing_server_falls_back(
    prefect_harness: None,
    ml_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    plex: FakePlex,
) -> None:
    from flows.artwork import artwork

    elsewhere, failing = (str(k) for k in _albums(plex)[:2])
    cover = pictures.jpeg(300, 300, "teal")
    (ml_home / "artwork/musicbrainz").mkdir(parents=True)
    (ml_home / "artwork/musicbrainz/rel-1-cover.jpg").write_bytes(cover)
    _configure(monkeypatch, "pms", _plex_table(plex))
    with Stub() as other_host:
        plex.library.touch(int(elsewhere), thumb=f"{other_host.url}/steal.jpg")
        plex.fail_next(50, 503, f"/library/metadata/{failing}/thumb")
        _write(
            ("INSERT INTO albums (server_id, native_id, title) VALUES"
             " ('pms', ?, 'Elsewhere'), ('pms', ?, 'Failing')", [elsewhere, failing]),
            ("INSERT INTO identities (entity, server_id, native_id, provider,"
             " provider_id, status, reason) VALUES ('album', 'pms', ?, 'musicbrainz',"
             " 'rel-1', 'accepted', 't'), ('album', 'pms', ?, 'musicbrainz', 'rel-1',"
             " 'accepted', 't')", [elsewhere, failing]),
            ("INSERT INTO artwork (provider, provider_id, kind, local_path) VALUES"
             " ('musicbrainz', 'rel-1', 'cover', ?)",
             ["artwork/musicbrainz/rel-1-cover.jpg"]),
        )  # fmt: skip
        assert artwork() == {"items": 2, "musicbrainz": 2}
        assert other_host.seen == []  # nothing was sent to the other host
    rows = _rows()
    assert "another host" in rows[elsewhere]["error"]
    assert "HTTP 503" in rows[failing]["error"]
    for key in (elsewhere, failing):
        assert rows[key]["source"] == "musicbrainz"
        assert rows[key]["digest"] == _sha(cover)

    plex.heal()  # the server is back: only the item it failed is looked at again
    assert artwork() == {"items": 1, "server": 1}
    rows = _rows()
    assert rows[failing]["source"] == "server"
    assert rows[failing]["error"] is None
    assert rows[elsewhere]["source"] == "musicbrainz"
