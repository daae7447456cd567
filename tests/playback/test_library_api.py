"""The library API and playback progress against the real service: the OpenAPI
document validates; every endpoint refuses a request without a sign-in; keyset pages
walk the whole list; progress is per user; an expired link renews for a member."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import polars as pl
import pytest
from openapi_spec_validator import validate

from playback import auth, tokens
from tests import lake
from tests.playback.conftest import PASSWORD, Served
from warehouse import accounts, hls
from warehouse.db import Warehouse
from warehouse.library import upsert_server, write_batch

SERVER = "apitest"
MOVIES = [  # native id, title, year
    ("m1", "Amélie", 2001),
    ("m2", "Brazil", 1985),
    ("m3", "Chinatown", 1974),
    ("m4", "Dune", 2021),
    ("m5", "Eraserhead", 1977),
    ("m6", "Fargo", 1996),
    ("m7", 'Gremlins <script>alert("x")</script>', 1984),
]


def _frames() -> dict[str, pl.DataFrame]:
    movies = pl.DataFrame(
        [
            {
                "server_id": SERVER,
                "native_id": n,
                "title": t,
                "year": y,
                "duration_s": 6000.0,
                "file_native_id": f"f{n}",
            }
            for n, t, y in MOVIES
        ]
    )
    shows = pl.DataFrame(
        [{"server_id": SERVER, "native_id": "s1", "title": "Twin Peaks", "year": 1990}]
    )
    episodes = pl.DataFrame(
        [
            {
                "server_id": SERVER,
                "native_id": f"e{season}{number}",
                "title": f"Episode {number}",
                "show_native_id": "s1",
                "show_title": "Twin Peaks",
                "season": season,
                "episode": number,
                "file_native_id": f"fe{season}{number}",
            }
            for season, number in ((2, 1), (1, 2), (1, 1))
        ]
    )
    files = pl.DataFrame(
        [
            {
                "server_id": SERVER,
                "native_id": f"f{n}",
                "path": f"/films/{t}.mkv",
                "media_kind": "video",
                "container": "matroska" if n != "m2" else "mp4",
                "size": 1000,
                "item_table": "movies",
                "item_native_id": n,
            }
            for n, t, _ in MOVIES
        ]
        + [
            {
                "server_id": SERVER,
                "native_id": f"fe{s}{e}",
                "path": f"/tv/Twin Peaks S{s:02d}E{e:02d}.mkv",
                "media_kind": "video",
                "container": "matroska",
                "size": 500,
                "item_table": "episodes",
                "item_native_id": f"e{s}{e}",
            }
            for s, e in ((2, 1), (1, 2), (1, 1))
        ]
    )
    return {
        "movies": movies,
        "shows": shows,
        "episodes": episodes,
        "media_files": files,
    }


def _asset(asset_id: str, file_id: str, item: str, table: str, title: str) -> dict:
    return {
        "asset_id": asset_id,
        "server_id": SERVER,
        "file_native_id": file_id,
        "item_table": table,
        "item_native_id": item,
        "title": title,
        "decision": "transcode",
        "mode": "ladder",
        "duration_s": 10.0,
    }


@pytest.fixture(scope="module")
def library(served: Served) -> Iterator[Served]:
    """A small library on a server of its own, with the service's two assets as the
    current assets of a movie and an episode, and a second member, ``max``."""
    wh = Warehouse(lake.catalog(served.home))
    with wh.write() as con:
        upsert_server(con, SERVER, "folder", "/films")
        write_batch(con, _frames())
        hls.publish_asset(
            con, _asset(served.ladder, "fm7", "m7", "movies", MOVIES[6][1]), []
        )
        hls.publish_asset(
            con, _asset(served.copy, "fe11", "e11", "episodes", "Twin Peaks S01E01"), []
        )
    accounts.add_user(wh, "max", PASSWORD, "member")
    yield served
    with wh.write() as con:
        con.execute("DELETE FROM hls_assets WHERE server_id = ?", [SERVER])


def call(
    s: Served,
    target: str,
    cookie: str | None = None,
    method: str = "GET",
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    sent = dict(headers or {})
    if cookie:
        sent.update(s.as_user(cookie))
    if body is not None:
        sent["content-type"] = "application/json"
    response = s.get(target, method, sent, json.dumps(body) if body else None)
    raw = response.body  # type: ignore[attr-defined]
    ctype = response.getheader("content-type", "")
    return response.status, json.loads(raw) if "json" in ctype else raw


@pytest.fixture(scope="module")
def mel(library: Served) -> str:
    return library.sign_in("mel")


def walk(s: Served, cookie: str, path: str, **params: Any) -> list[list[dict]]:
    """Every page of a list, following ``next``."""
    pages, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        status, body = call(s, f"{path}?{urlencode(query)}", cookie)
        assert status == 200, body
        pages.append(body["items"])
        cursor = body["next"]
        if cursor is None:
            return pages


def test_the_openapi_document_validates_and_lists_every_endpoint(
    library: Served,
) -> None:
    status, doc = call(library, "/api/openapi.json")
    assert status == 200
    validate(doc)
    assert {
        "/library/movies",
        "/library/tracks",
        "/library/shows",
        "/library/shows/{server_id}/{native_id}",
        "/library/media-files",
        "/library/items/{server_id}/{native_id}",
        "/progress",
        "/progress/{asset_id}",
    } <= set(doc["paths"])
    assert doc["servers"] == [{"url": "/api"}]


ENDPOINTS = [
    ("GET", "/api/library/movies"),
    ("GET", "/api/library/tracks"),
    ("GET", "/api/library/shows"),
    ("GET", f"/api/library/shows/{SERVER}/s1"),
    ("GET", "/api/library/media-files"),
    ("GET", f"/api/library/items/{SERVER}/m1"),
    ("GET", "/api/progress"),
    ("GET", f"/api/progress/{'a' * 32}"),
    ("POST", f"/api/progress/{'a' * 32}"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_every_endpoint_refuses_without_a_sign_in(
    library: Served, method: str, path: str
) -> None:
    body = {"position_s": 5} if method == "POST" else None
    assert call(library, path, None, method, body)[0] == 401
    assert call(library, path, "forged-cookie", method, body)[0] == 401


def test_movies_walk_by_keyset_pages_in_title_order(library: Served, mel: str) -> None:
    pages = walk(library, mel, "/api/library/movies", server=SERVER, limit=3)
    assert [len(p) for p in pages] == [3, 3, 1]
    titles = [m["title"] for p in pages for m in p]
    assert titles == [t for _, t, _ in MOVIES]
    playable = {m["native_id"]: m["asset_id"] for p in pages for m in p}
    assert playable["m7"] == library.ladder
    assert playable["m1"] is None
    _, found = call(library, f"/api/library/movies?server={SERVER}&q=amelie", mel)
    assert [m["title"] for m in found["items"]] == ["Amélie"]  # accents ignored
    _, found = call(library, f"/api/library/movies?server={SERVER}&year=1985", mel)
    assert [m["title"] for m in found["items"]] == ["Brazil"]


def test_bad_paging_is_refused_with_a_reason(library: Served, mel: str) -> None:
    status, body = call(library, "/api/library/movies?cursor=not-ours", mel)
    assert status == 400
    assert "cursor" in body["detail"]
    assert call(library, "/api/library/movies?limit=0", mel)[0] == 422
    assert call(library, "/api/library/movies?limit=100000", mel)[0] == 422


def test_shows_list_and_a_show_has_its_seasons_in_order(
    library: Served, mel: str
) -> None:
    status, body = call(library, f"/api/library/shows?server={SERVER}", mel)
    assert status == 200
    assert body["items"] == [
        {
            "server_id": SERVER,
            "native_id": "s1",
            "title": "Twin Peaks",
            "year": 1990,
            "seasons": 2,
            "episodes": 3,
        }
    ]
    status, show = call(library, f"/api/library/shows/{SERVER}/s1", mel)
    assert status == 200
    order = [
        (season["season"], e["episode"])
        for season in show["seasons"]
        for e in season["episodes"]
    ]
    assert order == [(1, 1), (1, 2), (2, 1)]
    assert show["seasons"][0]["episodes"][0]["asset_id"] == library.copy
    assert call(library, f"/api/library/shows/{SERVER}/nope", mel)[0] == 404


def test_media_files_filter_by_container_and_path(library: Served, mel: str) -> None:
    pages = walk(library, mel, "/api/library/media-files", server=SERVER, limit=4)
    paths = [f["path"] for p in pages for f in p]
    assert len(paths) == 10
    assert paths == sorted(paths)
    _, mp4 = call(
        library, f"/api/library/media-files?server={SERVER}&container=MP4", mel
    )
    assert [f["path"] for f in mp4["items"]] == ["/films/Brazil.mkv"]
    _, tv = call(library, f"/api/library/media-files?server={SERVER}&q=twin", mel)
    assert len(tv["items"]) == 3


def test_an_item_has_its_file_and_asset(library: Served, mel: str) -> None:
    status, item = call(library, f"/api/library/items/{SERVER}/m7", mel)
    assert status == 200
    assert item["item"]["title"] == MOVIES[6][1]
    assert item["file"]["path"] == f"/films/{MOVIES[6][1]}.mkv"
    assert item["asset_id"] == library.ladder
    assert (
        call(library, f"/api/library/items/{SERVER}/{quote('no/such')}", mel)[0] == 404
    )


def test_progress_is_per_user_and_only_an_admin_reads_another(
    library: Served, mel: str
) -> None:
    asset = library.ladder
    status, saved = call(
        library, f"/api/progress/{asset}", mel, "POST", {"position_s": 4.5}
    )
    assert status == 200
    assert saved["position_s"] == 4.5
    assert call(library, f"/api/progress/{asset}", mel)[1]["position_s"] == 4.5
    other = library.sign_in("max")
    assert call(library, f"/api/progress/{asset}", other)[0] == 404  # never played
    refused = call(library, f"/api/progress/{asset}?user_name=mel", other)
    assert refused[0] == 403
    admin = library.sign_in("ada")
    status, read = call(library, f"/api/progress/{asset}?user_name=mel", admin)
    assert (status, read["position_s"]) == (200, 4.5)
    status, started = call(library, "/api/progress", mel)
    assert [p["asset_id"] for p in started["items"]] == [asset]
    assert started["items"][0]["title"] == MOVIES[6][1]
    assert call(library, "/api/progress", other)[1]["items"] == []


def test_progress_from_another_site_or_out_of_range_is_refused(
    library: Served, mel: str
) -> None:
    path = f"/api/progress/{library.copy}"
    evil = {"origin": "https://evil.example", "sec-fetch-site": "cross-site"}
    assert call(library, path, mel, "POST", {"position_s": 3}, evil)[0] == 403
    assert call(library, path, mel, "POST", {"position_s": -1})[0] == 422
    assert call(library, path, mel, "POST", {"position_s": "x"})[0] == 422
    assert call(library, path, mel)[0] == 404  # nothing was recorded


def test_the_start_page_offers_to_continue_with_titles_escaped(
    library: Served, mel: str
) -> None:
    call(library, f"/api/progress/{library.ladder}", mel, "POST", {"position_s": 72})
    status, page = call(library, "/", mel)
    assert status == 200
    assert b"Continue watching" in page
    assert b"resume at 1:12" in page
    assert b"<script>alert" not in page
    assert b"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_an_expired_link_renews_for_a_signed_in_member_only(
    library: Served, mel: str
) -> None:
    old = tokens.issue(library.key, library.ladder, 1).value
    time.sleep(1.2)
    renew = f"/renew/{library.ladder}?t={old}"
    status, body = call(library, renew, None, "POST")
    assert status == 403
    assert b"expired" in body
    status, fresh = call(library, renew, mel, "POST")
    assert status == 200
    master = f"/hls/{library.ladder}/master.m3u8?t={fresh['token']}"
    assert library.get(master).status == 200
    evil = {"origin": "https://evil.example", "sec-fetch-site": "cross-site"}
    assert call(library, renew, mel, "POST", None, evil)[0] == 403
    assert auth.COOKIE == "medialake_session"


def test_tracks_walk_by_artist_album_and_number(library: Served, mel: str) -> None:
    wh = Warehouse(lake.catalog(library.home))
    rows = [  # native id, artist, album, disc, track, title
        ("t1", "Björk", "Post", 1, 2, "Hyperballad"),
        ("t2", "Björk", "Post", 1, 1, "Army of Me"),
        ("t3", "Air", "Moon Safari", 1, 1, "La Femme d'Argent"),
        ("t4", "Björk", "Debut", 1, 1, "Human Behaviour"),
    ]
    with wh.write() as con:
        write_batch(
            con,
            {
                "tracks": pl.DataFrame(
                    [
                        {
                            "server_id": SERVER,
                            "native_id": n,
                            "artist": a,
                            "album": al,
                            "disc_no": d,
                            "track_no": t,
                            "title": title,
                        }
                        for n, a, al, d, t, title in rows
                    ]
                )
            },
        )
    pages = walk(library, mel, "/api/library/tracks", server=SERVER, limit=3)
    assert [t["title"] for p in pages for t in p] == [
        "La Femme d'Argent",
        "Human Behaviour",
        "Army of Me",
        "Hyperballad",
    ]
    _, found = call(library, f"/api/library/tracks?server={SERVER}&artist=bjork", mel)
    assert len(found["items"]) == 3  # accents and case ignored
    assert call(library, "/api/library/tracks")[0] == 401
