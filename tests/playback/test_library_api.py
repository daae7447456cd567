"""The library API and playback progress against the real service: the OpenAPI
document validates; every endpoint refuses a request without a sign-in; keyset pages
walk the whole list; progress is per user; an expired link renews for a member."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
    return response.status, json.loads(raw) if "json" in ctype and raw else raw


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
        "/library/albums",
        "/library/albums/{server_id}/{native_id}",
        "/library/artists",
        "/library/search",
        "/tokens",
        "/tokens/{token_id}",
        "/collections",
        "/collections/{collection_id}",
    } <= set(doc["paths"])
    assert doc["servers"] == [{"url": "/api"}]
    schemes = doc["components"]["securitySchemes"]
    assert schemes["apiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["apiToken"]["description"],
    }
    assert schemes["session"]["in"] == "cookie"


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
    ("GET", "/api/library/albums"),
    ("GET", f"/api/library/albums/{SERVER}/al1"),
    ("GET", "/api/library/artists"),
    ("GET", "/api/library/search?q=a"),
    ("GET", "/api/tokens"),
    ("POST", "/api/tokens"),
    ("DELETE", "/api/tokens/abcd1234"),
    ("GET", "/api/collections"),
    ("POST", "/api/collections"),
    ("GET", "/api/collections/c1"),
    ("PATCH", "/api/collections/c1"),
    ("DELETE", "/api/collections/c1"),
]
BODIES = {
    "/api/progress/": {"position_s": 5},
    "/api/tokens": {"name": "phone"},
    "/api/collections": {"name": "x", "items": []},
}


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_every_endpoint_refuses_without_a_sign_in(
    library: Served, method: str, path: str
) -> None:
    body = next(
        (b for p, b in BODIES.items() if method in ("POST", "PATCH") and p in path),
        None,
    )
    assert call(library, path, None, method, body)[0] == 401
    assert call(library, path, "forged-cookie", method, body)[0] == 401
    forged = {"authorization": "Bearer mlt_" + "x" * 43}
    assert call(library, path, None, method, body, forged)[0] == 401


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
            "artwork": f"/art/show/{SERVER}/s1",
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


def _music(library: Served) -> None:
    """Two albums by Björk and one by Air, with their artists and tracks."""
    wh = Warehouse(lake.catalog(library.home))
    albums = [("al1", "Post", "Björk", 1995), ("al2", "Debut", "Björk", 1993)]
    albums.append(("al3", "Moon Safari", "Air", 1998))
    tracks = [  # native id, album id, disc, number, title
        ("at1", "al1", 1, 2, "Hyperballad"),
        ("at2", "al1", 1, 1, "Army of Me"),
        ("at3", "al2", 1, 1, "Human Behaviour"),
    ]
    with wh.write() as con:
        write_batch(
            con,
            {
                "albums": pl.DataFrame(
                    [
                        {
                            "server_id": SERVER,
                            "native_id": n,
                            "title": t,
                            "album_artist": a,
                            "year": y,
                        }
                        for n, t, a, y in albums
                    ]
                ),
                "artists": pl.DataFrame(
                    [
                        {"server_id": SERVER, "native_id": "ar1", "name": "Björk"},
                        {"server_id": SERVER, "native_id": "ar2", "name": "Air"},
                    ]
                ),
                "tracks": pl.DataFrame(
                    [
                        {
                            "server_id": SERVER,
                            "native_id": n,
                            "album_native_id": al,
                            "album": dict((x[0], x[1]) for x in albums)[al],
                            "artist": "Björk",
                            "disc_no": d,
                            "track_no": number,
                            "title": title,
                        }
                        for n, al, d, number, title in tracks
                    ]
                ),
            },
        )


def test_albums_artists_and_an_album_with_its_tracks(library: Served, mel: str) -> None:
    _music(library)
    pages = walk(library, mel, "/api/library/albums", server=SERVER, limit=2)
    assert [a["title"] for p in pages for a in p] == ["Debut", "Moon Safari", "Post"]
    _, found = call(library, f"/api/library/albums?server={SERVER}&artist=bjork", mel)
    assert [a["title"] for a in found["items"]] == ["Debut", "Post"]
    status, post = call(library, f"/api/library/albums/{SERVER}/al1", mel)
    assert status == 200
    assert [t["title"] for t in post["tracks"]] == ["Army of Me", "Hyperballad"]
    assert call(library, f"/api/library/albums/{SERVER}/nope", mel)[0] == 404
    _, artists = call(library, f"/api/library/artists?server={SERVER}", mel)
    assert [a["name"] for a in artists["items"]] == ["Air", "Björk"]


def test_search_finds_each_kind_and_needs_a_query(library: Served, mel: str) -> None:
    _music(library)
    status, found = call(library, "/api/library/search?q=bjork", mel)
    assert status == 200
    assert {a["name"] for a in found["artists"]} >= {"Björk"}
    assert {a["title"] for a in found["albums"]} >= {"Post", "Debut"}
    assert {t["title"] for t in found["tracks"]} >= {"Army of Me", "Human Behaviour"}
    assert found["movies"] == []
    _, one = call(library, "/api/library/search?q=HYPERBALLAD", mel)
    assert {t["title"] for t in one["tracks"]} == {"Hyperballad"}
    _, films = call(library, "/api/library/search?q=brazil", mel)
    assert [m["title"] for m in films["movies"]] == ["Brazil"]
    assert call(library, "/api/library/search", mel)[0] == 422
    assert call(library, "/api/library/search?q=", mel)[0] == 422


def test_an_api_token_acts_as_its_user_until_revoked(library: Served, mel: str) -> None:
    # the service is shared by the session's tests: mel may hold tokens of others
    _, held = call(library, "/api/tokens", mel)
    earlier = {t["token_id"] for t in held["items"]}
    status, made = call(library, "/api/tokens", mel, "POST", {"name": "phone"})
    assert status == 201
    token = made["token"]
    bearer = {"authorization": f"Bearer {token}"}
    status, movies = call(library, f"/api/library/movies?server={SERVER}", None,
                          headers=bearer)  # fmt: skip
    assert status == 200
    assert len(movies["items"]) == 7
    # the token writes progress as mel (no browser, so no same-site check)
    asset = library.copy
    saved = call(library, f"/api/progress/{asset}", None, "POST",
                 {"position_s": 12}, bearer)  # fmt: skip
    assert saved[0] == 200
    assert call(library, f"/api/progress/{asset}", mel)[1]["position_s"] == 12
    # listed without the secret; a token cannot make another token
    _, listed = call(library, "/api/tokens", mel)
    mine = [t["name"] for t in listed["items"] if t["token_id"] not in earlier]
    assert mine == ["phone"]
    assert token not in json.dumps(listed)
    assert call(library, "/api/tokens", None, "POST", {"name": "x"}, bearer)[0] == 403
    # another member neither sees nor revokes it
    other = library.sign_in("max")
    assert call(library, "/api/tokens", other)[1]["items"] == []
    gone = f"/api/tokens/{made['token_id']}"
    assert call(library, gone, other, "DELETE")[0] == 404
    assert call(library, gone, mel, "DELETE")[0] == 204
    time.sleep(auth.CACHE_S + 0.1)
    refused = call(library, "/api/library/movies", None, headers=bearer)
    assert refused[0] == 401
    assert "revoked" in refused[1]["detail"]
    assert call(library, "/api/library/movies", None,
                headers={"authorization": "Basic bWVsOng="})[0] == 401  # fmt: skip


def test_the_cli_makes_lists_and_revokes_tokens(library: Served) -> None:
    env = {**os.environ, "MEDIALAKE_HOME": str(library.home)}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cli", "user", "token", *args],
            capture_output=True, text=True, timeout=120, env=env,
        )  # fmt: skip

    made = cli("add", "mel", "home assistant")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]
    token_id = made.stdout.split()[1]
    bearer = {"authorization": f"Bearer {token}"}
    assert call(library, "/api/collections", None, headers=bearer)[0] == 200
    listed = cli("list", "mel")
    assert "home assistant" in listed.stdout
    assert token not in listed.stdout
    assert cli("revoke", "mel", token_id).returncode == 0
    time.sleep(auth.CACHE_S + 0.1)
    assert call(library, "/api/collections", None, headers=bearer)[0] == 401


def test_collections_keep_order_and_only_the_owner_changes_one(
    library: Served, mel: str
) -> None:
    items = [{"server_id": SERVER, "native_id": n} for n in ("m3", "s1", "m1", "e11")]
    status, made = call(library, "/api/collections", mel, "POST",
                        {"name": "Sunday <b>films</b>", "items": items})  # fmt: skip
    assert status == 201, made
    cid = made["collection_id"]
    assert made["owner"] == "mel"
    assert [(i["native_id"], i["item_kind"]) for i in made["items"]] == [
        ("m3", "movie"),
        ("s1", "show"),
        ("m1", "movie"),
        ("e11", "episode"),
    ]
    # reordered and one dropped; sending the same list twice changes nothing
    again = {"items": [items[2], items[0], items[3]]}
    for _ in range(2):
        status, edited = call(library, f"/api/collections/{cid}", mel, "PATCH", again)
        assert status == 200
        assert [i["native_id"] for i in edited["items"]] == ["m1", "m3", "e11"]
        assert [i["position"] for i in edited["items"]] == [1, 2, 3]
    other = library.sign_in("max")
    assert call(library, f"/api/collections/{cid}", other)[0] == 200  # shared
    assert call(library, f"/api/collections/{cid}", other, "PATCH",
                {"name": "mine now"})[0] == 403  # fmt: skip
    assert call(library, f"/api/collections/{cid}", other, "DELETE")[0] == 403
    unknown = {"items": [{"server_id": SERVER, "native_id": "no-such"}]}
    status, refused = call(library, f"/api/collections/{cid}", mel, "PATCH", unknown)
    assert status == 400
    assert "no-such" in refused["detail"]
    assert len(call(library, f"/api/collections/{cid}", mel)[1]["items"]) == 3
    evil = {"origin": "https://evil.example", "sec-fetch-site": "cross-site"}
    assert call(library, f"/api/collections/{cid}", mel, "DELETE", None,
                evil)[0] == 403  # fmt: skip
    wh = Warehouse(lake.catalog(library.home))
    with wh.read() as con:
        rows = con.execute(
            "SELECT collection, owner, position, native_id, title"
            " FROM collection_entries WHERE collection_id = ? ORDER BY position",
            [cid],
        ).fetchall()
    assert rows[0] == ("Sunday <b>films</b>", "mel", 1, "m1", "Amélie")
    assert [r[3] for r in rows] == ["m1", "m3", "e11"]
    admin = library.sign_in("ada")
    assert call(library, f"/api/collections/{cid}", admin, "DELETE")[0] == 204
    assert call(library, f"/api/collections/{cid}", mel)[0] == 404
    _, listed = call(library, "/api/collections", mel)
    assert cid not in {c["collection_id"] for c in listed["items"]}
