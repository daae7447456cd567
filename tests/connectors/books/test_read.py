"""Reading EPUB and PDF metadata from real files made in the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.books.read import BookUnreadable, list_files, read_book
from tests.connectors.books.fixtures import (
    EPUB2_OPF,
    EPUB3_OPF,
    make_epub,
    make_pdf,
    make_shelf,
)


def test_epub2_with_calibre_series(tmp_path: Path) -> None:
    meta = read_book(make_epub(tmp_path / "a.epub", EPUB2_OPF))

    assert meta.title == "The Left Hand of Darkness"
    assert meta.authors == ["Ursula K. Le Guin"]  # the illustrator is not an author
    assert (meta.language, meta.publisher, meta.published) == (
        "en",
        "Ace Books",
        "1969-03-01",
    )
    assert (meta.series, meta.series_index) == ("Hainish Cycle", 4.0)
    assert meta.identifiers["uuid"] == "0b3b5a2c-1111-2222-3333-444455556666"
    assert meta.isbn == "9780441478125"


def test_epub3_with_a_collection_and_refined_roles(tmp_path: Path) -> None:
    meta = read_book(make_epub(tmp_path / "b.epub", EPUB3_OPF, "content.opf"))

    assert meta.title == "Ancillary & Justice <script>"  # text, kept as text
    assert meta.authors == ["Ann Leckie"]
    assert meta.language == "en-GB"
    assert (meta.series, meta.series_index) == ("Imperial Radch", 1.0)
    assert meta.isbn == "9780316212412"


def test_pdf_information_and_pages(tmp_path: Path) -> None:
    path = make_pdf(
        tmp_path / "p.pdf", pages=2, Title="A Paper", Author="A. One & B. Two"
    )

    meta = read_book(path)

    assert (meta.title, meta.authors, meta.pages) == (
        "A Paper",
        ["A. One", "B. Two"],
        2,
    )


@pytest.mark.parametrize(
    ("name", "data", "why"),
    [
        ("x.epub", b"not a zip", "not an EPUB (not a zip archive)"),
        ("x.pdf", b"%PDF-1.4 garbage", "not a readable PDF"),
    ],
)
def test_a_broken_file_says_why(tmp_path: Path, name: str, data: bytes, why: str):
    path = tmp_path / name
    path.write_bytes(data)

    with pytest.raises(
        BookUnreadable, match=why.replace("(", r"\(").replace(")", r"\)")
    ):
        read_book(path)


def test_an_epub_with_entities_does_not_expand_them(tmp_path: Path) -> None:
    opf = EPUB2_OPF.replace(
        '<?xml version="1.0" encoding="utf-8"?>',
        '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    ).replace("The Left Hand of Darkness", "&x;")
    meta = read_book(make_epub(tmp_path / "e.epub", opf))

    assert "root:" not in (meta.title or "")


def test_listing_skips_hidden_and_other_files(tmp_path: Path) -> None:
    root = make_shelf(tmp_path / "shelf")

    names = [p.relative_to(root).as_posix() for p, _, _ in list_files(root)]

    assert names == [
        "Broken.epub",
        "Le Guin/Left Hand.epub",
        "Leckie/Ancillary Justice.epub",
        "Papers/paper.pdf",
    ]
