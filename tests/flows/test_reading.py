"""Articles and books end to end through the CLI: ``download --kind article`` through
the acquire flow, ``books`` through its flow, the warehouse and the library."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medialake.cli import _load_commands, app
from tasks.context import warehouse
from tests.connectors.downloads.articles import CLUTTER, STORY, write_pages
from tests.connectors.downloads.servers import MediaServer
from warehouse.downloads import rows

pytestmark = pytest.mark.usefixtures("prefect_harness")
_load_commands()


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MediaServer]:
    root = tmp_path_factory.mktemp("site")
    write_pages(root)
    with MediaServer(root) as server:
        yield server


def test_download_kind_article_keeps_the_text_and_records_a_broken_page(
    ml_home: Path, site: MediaServer
) -> None:
    good, broken = site.url("pages/flood.html"), site.url("pages/empty.html")

    code, output = cli("download", good, broken, "--kind", "article")

    assert code == 1, output  # one of the two failed: said, and the exit code shows it
    markdown = ml_home / "library/Articles/Example News/Valley Flood Report.md"
    text = markdown.read_text(encoding="utf-8")
    assert STORY[1] in text
    assert CLUTTER[0] not in text
    assert markdown.with_suffix(".html").is_file()
    with warehouse().read() as con:
        articles = rows(con, "SELECT title, site, word_count FROM articles")
        jobs = rows(con, "SELECT state, reason FROM download_jobs ORDER BY reason")
    assert [(a["title"], a["site"]) for a in articles] == [
        ("Valley Flood Report", "Example News")
    ]
    assert [j["state"] for j in jobs] == ["failed", "imported"]
    assert "no article text found" in jobs[0]["reason"]
