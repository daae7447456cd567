"""Articles through the DownloadEngine: a real page served on 127.0.0.1 lands in the
library as Markdown and a cleaned HTML archive, with a warehouse row; broken pages are
recorded with their error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.downloads.articles import ArticleSource
from connectors.downloads.records import Kind, Request
from medialake.settings import DownloadsSettings
from tests.connectors.downloads.articles import CLUTTER, STORY, write_pages
from tests.connectors.downloads.fixtures import (
    FAST,
    job_rows,
    library_files,
    wanted_row,
)
from tests.connectors.downloads.servers import MediaServer
from warehouse.reading import search_articles


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MediaServer]:
    root = tmp_path_factory.mktemp("site")
    write_pages(root)
    with MediaServer(root) as server:
        yield server


def _run(make_engine, url: str):
    engine = make_engine(sources=[ArticleSource(DownloadsSettings(**FAST))])
    wanted_id, _, _ = engine.submit(Request.parse(url, Kind.ARTICLE))
    return engine.run(wanted_id), wanted_id


def test_an_article_lands_with_its_text_and_without_the_clutter(
    make_engine, pages, warehouse, tmp_path: Path
) -> None:
    outcome, _ = _run(make_engine, pages.url("pages/flood.html"))

    assert outcome.status == "imported", outcome.reason
    folder = tmp_path / "library/Articles/Example News"
    markdown = (folder / "Valley Flood Report.md").read_text(encoding="utf-8")
    archive = (folder / "Valley Flood Report.html").read_text(encoding="utf-8")
    assert outcome.path == folder / "Valley Flood Report.md"
    for sentence in STORY:
        assert sentence in markdown
    for clutter in (*CLUTTER, "World", "Sport"):
        assert clutter not in markdown
    assert 'author: "Jane Doe"' in markdown
    # the archive keeps the page but nothing that runs
    assert STORY[0] in archive
    lowered = archive.lower()
    for active in ("<script", "onload", "onerror", "javascript:", "<iframe"):
        assert active not in lowered
    assert "script-src 'none'" in archive
    with warehouse.read() as con:
        [row] = search_articles(con).to_dicts()
    assert row["title"] == "Valley Flood Report"
    assert row["author"] == "Jane Doe"
    assert row["published"] == "2024-03-05"
    assert row["site"] == "Example News"
    assert 60 < row["word_count"] < 100
    assert row["markdown_path"] == str(folder / "Valley Flood Report.md")


def test_articles_are_searchable_by_their_text_not_their_clutter(
    make_engine, pages, warehouse
) -> None:
    _run(make_engine, pages.url("pages/flood.html"))

    with warehouse.read() as con:
        assert search_articles(con, "stone bridge").height == 1
        assert search_articles(con, "jane").height == 1
        assert search_articles(con, "watches").height == 0
        assert search_articles(con, "100%_").height == 0  # LIKE characters escaped


def test_the_same_page_twice_is_one_article(make_engine, pages, warehouse) -> None:
    url = pages.url("pages/flood.html")
    _run(make_engine, url)

    again, _ = _run(make_engine, url)

    assert again.status == "duplicate"
    with warehouse.read() as con:
        assert search_articles(con).height == 1


@pytest.mark.parametrize(
    ("page", "error"),
    [
        ("pages/missing.html", "HTTP 404"),
        ("pages/empty.html", "no article text found"),
        ("pages/data.json", "not a web page (application/json)"),
    ],
)
def test_a_broken_page_is_recorded_with_its_error(
    make_engine, pages, warehouse, tmp_path: Path, page: str, error: str
) -> None:
    outcome, wanted_id = _run(make_engine, pages.url(page))

    assert outcome.status == "wanted"  # retried later, with a backoff
    [job] = job_rows(warehouse, wanted_id)
    assert job["state"] == "failed"
    assert error in job["reason"]
    assert error in wanted_row(warehouse, wanted_id)["last_reason"]
    assert library_files(tmp_path / "library") == []
    with warehouse.read() as con:
        assert search_articles(con).height == 0
