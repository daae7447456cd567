"""The Library's item detail reads as facts with a Play button opening the player; the
Overview offers the signed-in member's unfinished titles ("continue watching")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from medialake.runtime import settings
from playback.server import base_url
from tests import lake
from tests.dashboards.sample_home import copy_home
from warehouse import hls, progress
from warehouse.db import Warehouse

pytest_plugins = ["tests.dashboards.filled"]

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
ASSET = "0123456789abcdef0123456789abcdef"
HOSTILE = "**Loud** ![x](http://evil.example/x.png) <b>"


@pytest.fixture
def home(filled_home, tmp_path: Path, use_home, sign_in) -> dict[str, Any]:
    found = use_home(copy_home(filled_home, tmp_path).home)
    name = sign_in("member")
    wh = Warehouse(lake.catalog(found))
    with wh.read() as con:
        [movie] = con.execute(
            "SELECT server_id, native_id, title, file_native_id FROM movies"
            " WHERE removed_at IS NULL ORDER BY title LIMIT 1"
        ).fetchall()
        user_id = progress.user_id_of(con, name)
    with wh.write() as con:
        hls.publish_asset(
            con,
            {
                "asset_id": ASSET,
                "server_id": movie[0],
                "file_native_id": movie[3],
                "item_table": "movies",
                "item_native_id": movie[1],
                "title": HOSTILE,
                "decision": "remux",
                "mode": "copy",
            },
            [],
        )
    return {"home": found, "movie": movie, "user_id": user_id, "wh": wh}


def run(name: str | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    if name:
        at.switch_page(f"screens/{name}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def links(at: AppTest) -> dict[str, str]:
    return {b.proto.label: b.proto.url for b in at.get("link_button")}


def test_a_playable_item_reads_as_facts_and_has_a_play_button(
    home: dict[str, Any],
) -> None:
    title = home["movie"][2]
    at = run("library")
    next(w for w in at.text_input if w.label == "Title").input(title).run()
    next(w for w in at.selectbox if w.label == "Kind").select("movie").run()
    next(w for w in at.selectbox if w.label == "Show an item of this page").select(
        0
    ).run()
    assert not at.exception
    text = "\n".join(m.value for m in at.markdown)
    assert title in text
    assert "runtime" in text or "container" in text
    assert f"On **{home['movie'][0]}**" in text
    watch = f"{base_url(settings())}/watch/{ASSET}"
    assert links(at)["▶ Play"] == watch


def test_an_item_without_an_asset_says_it_cannot_play_yet(
    home: dict[str, Any],
) -> None:
    at = run("library")
    next(w for w in at.selectbox if w.label == "Kind").select("track").run()
    next(w for w in at.selectbox if w.label == "Show an item of this page").select(
        0
    ).run()
    assert "▶ Play" not in links(at)
    assert any("Not playable" in c.value for c in at.caption)


def test_the_overview_offers_to_continue_watching(home: dict[str, Any]) -> None:
    assert "Continue watching" not in [s.value for s in run().subheader]
    with home["wh"].write() as con:
        progress.append_events(
            con,
            [
                {
                    "event_id": "e1",
                    "user_id": home["user_id"],
                    "asset_id": ASSET,
                    "position_s": 2472.0,
                    "duration_s": 6000.0,
                    "finished": False,
                    "recorded_at": dt.datetime.now(dt.UTC),
                }
            ],
        )
    at = run()
    assert "Continue watching" in [s.value for s in at.subheader]
    shown = "\n".join(m.value for m in at.markdown)
    assert "resume at 41:12" in shown
    assert "![x](http" not in shown  # the title is text, never an image or bold
    assert "\\*\\*Loud\\*\\*" in shown
    assert links(at)["▶ Resume"] == f"{base_url(settings())}/watch/{ASSET}"
