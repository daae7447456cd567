"""The Library as a grid: each item of the page with its picture (its album's for a
track) or a placeholder, titles from tags shown as text; an item's page shows its
poster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from connectors.metadata import images
from tests import lake
from tests.connectors.metadata import pictures
from tests.dashboards.sample_home import copy_home
from warehouse import artwork
from warehouse.db import Warehouse

pytest_plugins = ["tests.dashboards.filled"]

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
HOSTILE = "**Loud** ![x](http://evil.example/x.png) <b>"


@pytest.fixture
def home(filled_home, tmp_path: Path, use_home, sign_in) -> dict[str, Any]:
    found = use_home(copy_home(filled_home, tmp_path).home)
    sign_in("member")
    wh = Warehouse(lake.catalog(found))
    with wh.read() as con:
        movie = con.execute(
            "SELECT server_id, native_id FROM movies WHERE removed_at IS NULL"
            " ORDER BY title LIMIT 1"
        ).fetchone()
        album = con.execute(
            "SELECT server_id, album_native_id, album FROM tracks"
            " WHERE removed_at IS NULL AND album_native_id IS NOT NULL"
            " ORDER BY server_id, title LIMIT 1"
        ).fetchone()
    assert movie is not None
    assert album is not None
    rows = []
    for entity, (sid, nid, *_), colour in (
        ("movie", movie, "teal"),
        ("album", album, "red"),
    ):
        kept = images.store(pictures.jpeg(400, 600, colour), found, 10**7, 240)
        rows.append(
            {"entity": entity, "server_id": sid, "native_id": nid, "source": "tmdb",
             "basis": "|", "digest": kept.digest, "image_path": kept.image_path,
             "thumb_path": kept.thumb_path, "width": kept.width,
             "height": kept.height, "size_bytes": kept.size_bytes, "error": None}
        )  # fmt: skip
    with wh.write() as con:
        artwork.store(con, rows)
        con.execute(
            "UPDATE movies SET title = ? WHERE server_id = ? AND native_id = ?",
            [HOSTILE, *movie],
        )
    return {"home": found, "movie": movie, "album": album[2]}


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def library() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    run(at)
    at.switch_page("screens/library.py")
    return run(at)


def shown_images(at: AppTest) -> list[str]:
    """The alternative text of every picture on the page (each is served from
    Streamlit's media route, behind the sign-in)."""
    return [img.alt for el in at.get("image") for img in el.proto.imgs]


def test_the_grid_shows_pictures_and_placeholders_and_titles_as_text(
    home: dict[str, Any],
) -> None:
    at = library()
    next(w for w in at.selectbox if w.label == "Kind").select("movie").run()
    assert shown_images(at) == []  # the list view has no pictures
    next(w for w in at.radio if w.label == "View").set_value("Grid")
    run(at)
    urls = shown_images(at)
    movies = int(at.caption[0].value.split()[0])
    assert len(urls) == movies
    assert urls.count(f"Picture: {HOSTILE}") == 1  # the movie with a picture
    assert urls.count("No picture") == movies - 1  # placeholders
    text = "\n".join(m.value for m in at.markdown)
    assert "![x](http" not in text  # a title is text, never an image
    assert "\\*\\*Loud\\*\\*" in text


def test_tracks_show_their_albums_cover_and_an_item_page_its_poster(
    home: dict[str, Any],
) -> None:
    at = library()
    next(w for w in at.selectbox if w.label == "Kind").select("track").run()
    next(w for w in at.text_input if w.label == "Album").input(home["album"]).run()
    next(w for w in at.radio if w.label == "View").set_value("Grid")
    run(at)
    shown = shown_images(at)
    assert shown
    assert all(u.startswith("Picture: ") for u in shown)  # every track of the album
    next(w for w in at.text_input if w.label == "Album").input("").run()
    next(w for w in at.selectbox if w.label == "Kind").select("movie").run()
    next(w for w in at.radio if w.label == "View").set_value("List")
    run(at)
    detail = next(w for w in at.selectbox if w.label == "Show an item of this page")
    index = next(
        i for i, label in enumerate(detail.options) if label.startswith("**Loud")
    )
    detail.select_index(index)
    run(at)
    assert shown_images(at) == ["Poster"]


def test_a_member_has_an_upload_page_with_the_limit(home: dict[str, Any]) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60)
    run(at)
    at.switch_page("screens/upload.py")
    run(at)
    assert [t.value for t in at.title] == ["Upload"]
    assert "up to 4096 MB" in at.caption[0].value
