"""The Reading page and the Library page's article/book matches, run with AppTest
over a warehouse holding a hostile article and a book."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tasks.context import warehouse
from tests.dashboards.filled import become
from warehouse import cdrips, fingerprints
from warehouse.reading import merge_articles, merge_books

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
HOSTILE = '<img src=x onerror="alert(1)"> **Flood** report'


def _fill() -> None:
    with warehouse().write() as con:
        merge_articles(
            con,
            [
                {
                    "url": "http://127.0.0.1/flood.html",
                    "title": HOSTILE,
                    "author": "Jane Doe",
                    "site": "Example News",
                    "published": "2024-03-05",
                    "word_count": 3,
                    "text": "<script>alert(2)</script> the river rose",
                    "markdown_path": "Articles/x.md",
                    "archive_path": "Articles/x.html",
                }
            ],
        )
        merge_books(
            con,
            [
                {
                    "book_id": "m1",
                    "origin": "manual",
                    "title": "River Songs",
                    "authors": ["A. Writer"],
                }
            ],
        )
        run_id = fingerprints.start_run(con, 1, None)
        fingerprints.merge_matches(
            con,
            [
                {
                    "path": "/music/a/track01.flac",
                    "folder": "/music/a",
                    "status": "review",
                    "score": 0.7,
                    "title": "<b>Blue</b> Blood Blues",
                    "reason": "AcoustID score 0.70",
                    "run_id": run_id,
                }
            ],
        )
        fingerprints.add_to_run(con, run_id, files_done=1, review=1)
        rip_id, _ = cdrips.start(con, "/dev/sr0", "disc-<i>1</i>", None)
        assert rip_id
        cdrips.update(con, rip_id, "review", tracks=3, tracks_done=3)


def _page(name: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page(f"screens/{name}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_reading_page_shows_articles_as_text_and_books(
    ml_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill()
    become(monkeypatch, "member")
    at = _page("reading")

    articles = at.dataframe[0].value
    assert list(articles["title"]) == [HOSTILE]  # a cell, not markup
    at.selectbox[0].select(0).run()
    assert at.text[0].value == "<script>alert(2)</script> the river rose"
    assert not any("onerror" in str(m.value) for m in at.markdown)
    assert list(at.dataframe[1].value["title"]) == ["River Songs"]
    runs, matches = at.dataframe[2].value, at.dataframe[3].value
    assert list(runs["files_done"]) == [1]
    assert list(matches["title"]) == ["<b>Blue</b> Blood Blues"]
    assert list(at.dataframe[4].value["disc_id"]) == ["disc-<i>1</i>"]
    assert any("1 waiting for review" in c.value for c in at.caption)
    at.text_input[0].input("nothing like this").run()
    assert at.caption[0].value == "0 articles"


def test_library_search_also_finds_articles_and_books(
    ml_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    become(monkeypatch, "member")
    _fill()
    at = _page("library")
    at.text_input[0].input("river").run()

    assert not at.exception
    shown = [list(frame.value["title"]) for frame in at.dataframe]
    assert [HOSTILE] in shown
    assert ["River Songs"] in shown
