"""``/art`` on the real service: refused without a sign-in, served with the session
cookie or an API token, with the picture's sha256 as ETag; a placeholder for an item
without one; a track shows its album's; the API's items carry their ``artwork`` URL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from connectors.metadata import images
from tests import lake
from tests.connectors.metadata import pictures
from tests.playback.conftest import Served
from warehouse import api_tokens, artwork
from warehouse.db import Warehouse

SERVER = "arttest"


def give_pictures(served: Served) -> dict[str, Any]:
    """A movie ``m1`` (played by the service's ladder asset) and an album ``al1``
    with a track ``t1``, each with a stored picture; what was stored, by entity."""
    wh = Warehouse(lake.catalog(served.home))
    poster = images.store(pictures.jpeg(200, 300, "navy"), served.home, 2**20, 160)
    cover = images.store(pictures.png(120, 120), served.home, 2**20, 160)
    rows = [
        {"entity": e, "server_id": SERVER, "native_id": n, "source": "server",
         "basis": "|", "digest": p.digest, "image_path": p.image_path,
         "thumb_path": p.thumb_path, "width": p.width, "height": p.height,
         "size_bytes": p.size_bytes, "error": None}
        for e, n, p in (("movie", "m1", poster), ("album", "al1", cover))
    ]  # fmt: skip
    with wh.write() as con:
        con.execute(
            "INSERT INTO movies (server_id, native_id, title) VALUES (?, 'm1', ?)",
            [SERVER, "Poster <b>Film</b>"],
        )
        con.execute(
            "INSERT INTO tracks (server_id, native_id, title, album_native_id)"
            " VALUES (?, 't1', 'One', 'al1')",
            [SERVER],
        )
        con.execute(
            "INSERT INTO hls_assets (asset_id, server_id, file_native_id, item_table,"
            " item_native_id, title, decision, mode, status) VALUES"
            " (?, ?, 'f1', 'movies', 'm1', 'Poster Film', 'copy', 'copy', 'current')",
            [served.ladder, SERVER],
        )
        artwork.store(con, rows)
    return {"movie": poster, "album": cover}


def take_pictures(served: Served) -> None:
    wh = Warehouse(lake.catalog(served.home))
    with wh.write() as con:
        for table in ("movies", "tracks", "hls_assets", "item_artwork"):
            con.execute(f"DELETE FROM {table} WHERE server_id = ?", [SERVER])


@pytest.fixture(scope="module")
def stored(served: Served) -> Iterator[dict[str, Any]]:
    yield give_pictures(served)
    take_pictures(served)


def test_art_needs_a_sign_in_and_is_cached_by_its_sha256(
    served: Served, stored: dict[str, Any]
) -> None:
    path = f"/art/movie/{SERVER}/m1"
    refused = served.get(path)
    assert refused.status == 401
    assert refused.body == b"sign in first, or send an API token"  # type: ignore[attr-defined]
    assert served.get(path, headers={"authorization": "Bearer nope"}).status == 401

    mel = served.as_user(served.sign_in("mel"))
    poster = stored["movie"]
    thumb = served.get(path, headers=mel)
    assert thumb.status == 200
    assert thumb.getheader("content-type") == "image/webp"
    assert thumb.body == (served.home / poster.thumb_path).read_bytes()  # type: ignore[attr-defined]
    assert thumb.getheader("etag") == f'"{poster.digest}-thumb"'
    assert thumb.getheader("cache-control") == "no-cache"
    again = served.get(path, headers={**mel, "if-none-match": thumb.getheader("etag")})
    assert again.status == 304

    full = served.get(f"{path}?size=full&v={poster.digest[:16]}", headers=mel)
    assert full.status == 200
    assert full.getheader("content-type") == "image/jpeg"
    assert full.body == pictures.jpeg(200, 300, "navy")  # type: ignore[attr-defined]
    assert full.getheader("etag") == f'"{poster.digest}"'
    assert "immutable" in full.getheader("cache-control", "")

    wh = Warehouse(lake.catalog(served.home))
    token = api_tokens.create_token(wh, "mel", "art test").token
    by_token = served.get(path, headers={"authorization": f"Bearer {token}"})
    assert by_token.status == 200
    assert by_token.body == thumb.body  # type: ignore[attr-defined]


def test_a_track_shows_its_album_and_an_unknown_item_a_placeholder(
    served: Served, stored: dict[str, Any]
) -> None:
    mel = served.as_user(served.sign_in("mel"))
    track = served.get(f"/art/track/{SERVER}/t1?size=full", headers=mel)
    assert track.status == 200
    assert track.getheader("content-type") == "image/png"
    assert track.getheader("etag") == f'"{stored["album"].digest}"'
    for path in (f"/art/movie/{SERVER}/nothing", f"/art/show/{SERVER}/m1"):
        missing = served.get(path, headers=mel)
        assert missing.status == 200
        assert missing.getheader("content-type").startswith("image/svg+xml")
        assert missing.getheader("etag") is None
    assert served.get(f"/art/person/{SERVER}/m1", headers=mel).status == 404


def test_the_api_names_each_item_s_artwork(
    served: Served, stored: dict[str, Any]
) -> None:
    mel = served.as_user(served.sign_in("mel"))
    listed = served.get(f"/api/library/movies?server={SERVER}", headers=mel)
    [movie] = json.loads(listed.body)["items"]  # type: ignore[attr-defined]
    assert movie["artwork"] == f"/art/movie/{SERVER}/m1"
    item = served.get(f"/api/library/items/{SERVER}/m1", headers=mel)
    assert json.loads(item.body)["artwork"] == f"/art/movie/{SERVER}/m1"  # type: ignore[attr-defined]
    art = served.get(movie["artwork"], headers=mel)
    assert art.getheader("content-type") == "image/webp"
