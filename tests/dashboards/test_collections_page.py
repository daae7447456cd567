"""The Collections page, run with AppTest: a member makes a collection, fills and
orders it; another member sees it but cannot change it; hostile names stay text."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboards.filled import become
from warehouse.current import warehouse
from warehouse.library import upsert_server, write_batch

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
HOSTILE = '<img src=x onerror="alert(1)"> **Best**'


def _fill() -> None:
    with warehouse().write() as con:
        upsert_server(con, "box", "folder", "/films")
        write_batch(
            con,
            {
                "movies": pl.DataFrame(
                    [
                        {"server_id": "box", "native_id": n, "title": t, "year": 2000}
                        for n, t in (("m1", "Alien"), ("m2", "Brazil"), ("m3", "Heat"))
                    ]
                )
            },
        )


def _page() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page("screens/collections.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_member_makes_and_orders_a_collection_others_only_read_it(
    ml_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill()
    become(monkeypatch, "member")
    at = _page()
    assert any("No collections yet" in c.value for c in at.caption)
    at.text_input[0].input(HOSTILE)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert list(at.dataframe[0].value["name"]) == [HOSTILE]  # a cell, not markup
    # fill it in order; an unknown item is refused with its name and nothing changes
    at.text_area[0].input("box/m3\nbox/nope")
    at.button[1].click().run()

    assert any("box/nope" in e.value for e in at.error)
    at.text_area[0].input("box/m3\nbox/m1\n\nbox/m2")
    at.button[1].click().run()
    assert not at.error
    items = at.dataframe[1].value
    assert list(items["title"]) == ["Heat", "Alien", "Brazil"]
    assert list(items["position"]) == [1, 2, 3]
    assert not any("onerror" in str(m.value) for m in at.markdown)

    become(monkeypatch, "member")  # another member: reads it, no editor
    at = _page()
    assert list(at.dataframe[1].value["title"]) == ["Heat", "Alien", "Brazil"]
    assert not at.text_area
