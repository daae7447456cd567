"""Articles and books end to end through the CLI: ``download --kind article`` through
the acquire flow, ``books`` through its flow, the warehouse and the library."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import _load_commands, app
from tasks.context import warehouse
from tests.connectors.books.fixtures import make_pdf, make_shelf
from tests.connectors.downloads.articles import CLUTTER, STORY, write_pages
from tests.connectors.downloads.servers import MediaServer
from warehouse.downloads import rows

pytestmark = pytest.mark.usefixtures("prefect_harness")
_load_commands()


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())  # lines wrap at 80


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


def _books() -> dict[str, dict]:
    with warehouse().read() as con:
        found = rows(con, "SELECT * FROM books ORDER BY title")
    return {b["title"]: b for b in found}


def test_books_command_reads_a_shelf_then_only_what_changed(
    ml_home: Path, tmp_path: Path
) -> None:
    root = make_shelf(tmp_path / "shelf")

    code, output = cli("books", str(root))

    assert code == 0, output
    assert "4 read, 4 added, 0 updated, 0 removed, 1 unreadable" in output
    shelf = _books()
    left = shelf["The Left Hand of Darkness"]
    assert list(left["authors"]) == ["Ursula K. Le Guin"]
    assert (left["series"], left["series_index"], left["isbn"]) == (
        "Hainish Cycle",
        4.0,
        "9780441478125",
    )
    assert shelf["Attention Is All You Need"]["pages"] == 3
    assert "not a zip archive" in shelf["Broken"]["error"]

    (root / "Broken.epub").unlink()
    make_pdf(root / "Papers/paper.pdf", pages=5, Title="Attention Is All You Need")
    code, output = cli("books", str(root))

    assert code == 0, output
    assert "1 read, 0 added, 1 updated, 1 removed, 0 unreadable" in output
    assert _books()["Attention Is All You Need"]["pages"] == 5
    assert _books()["Broken"]["removed_at"] is not None
    with warehouse().read() as con:
        scans = rows(con, "SELECT status, files_done FROM book_scans ORDER BY 1, 2")
    assert [(s["status"], s["files_done"]) for s in scans] == [
        ("succeeded", 1),
        ("succeeded", 4),
    ]


def test_a_manual_record_and_a_missing_root(ml_home: Path, tmp_path: Path) -> None:
    code, output = cli(
        "books",
        "--add",
        "Paper Book",
        "--author",
        "A. Writer",
        "--isbn",
        "0-306-40615-2",
    )
    again, _ = cli("books", "--add", "Paper Book", "--author", "A. Writer")
    missing, said = cli("books", str(tmp_path / "nowhere"))
    listed, table = cli("books", "--list")
    nothing, told = cli("books")  # no root configured and no <library>/Books

    assert (code, again) == (0, 0), output
    [book] = _books().values()
    assert (book["origin"], book["isbn"], book["path"]) == ("manual", None, None)
    assert missing == 1
    assert "is not a folder" in said
    assert listed == 0
    assert "Paper Book" in table
    assert nothing == 0
    assert "no books root" in told
