"""Articles, books, fingerprint identifications and audio CD rips on the dashboard:
the matches shown under the Library page's search, and the tabs of the Reading page.

Everything here comes from pages, files or users, so it is shown only through
``st.dataframe`` and ``st.text`` (plain text), never as Markdown or HTML.
"""

from __future__ import annotations

import streamlit as st

from dashboards import data
from warehouse import cdrips, fingerprints
from warehouse.reading import article_text, book_scans, search_articles, search_books


def library_matches(text: str) -> None:
    """Articles and books matching the Library page's search text."""
    if not text.strip():
        return
    articles = data.read(search_articles, text, 50)
    books = data.read(search_books, text, 50)
    st.subheader("Articles and books")
    if articles.height == 0 and books.height == 0:
        st.caption("no article or book matches this search")
        return
    if articles.height:
        st.dataframe(
            articles.select("title", "author", "site", "published", "word_count"),
            hide_index=True,
        )
    if books.height:
        st.dataframe(
            books.select("title", "authors", "series", "format", "path"),
            hide_index=True,
        )


def articles_tab() -> None:
    """Articles: search, the list, one article's text as plain text."""
    text = st.text_input("Search articles", placeholder="title, author, site or text")
    found = data.read(search_articles, text, 200)
    st.caption(f"{found.height} articles")
    if found.height == 0:
        st.info("No article yet: `medialake download URL --kind article` adds one.")
        return
    st.dataframe(found.drop("article_id", "archive_path"), hide_index=True)
    rows = found.to_dicts()
    choice = st.selectbox(
        "Read an article",
        [None, *range(len(rows))],
        format_func=lambda i: "(choose one)" if i is None else str(rows[i]["title"]),
    )
    if choice is not None:
        body = data.read(article_text, rows[choice]["article_id"])
        st.text(body or "")


def books_tab() -> None:
    """Books: search, the shelf, the latest scans with their progress."""
    text = st.text_input("Search books", placeholder="title, author or series")
    found = data.read(search_books, text, 500)
    st.caption(f"{found.height} books")
    if found.height:
        st.dataframe(found.drop("book_id"), hide_index=True)
    else:
        st.info("No book yet: `medialake books ROOT` reads a folder of EPUB/PDF files.")
    scans = data.read(book_scans, 10)
    if scans.height:
        st.markdown("**Scans**")
        st.dataframe(scans, hide_index=True)


def identify_tab() -> None:
    """Fingerprint identifications: the latest runs (progress) and the files."""
    runs = data.read(fingerprints.runs, 10)
    if runs.height == 0:
        st.info("Nothing identified yet: `medialake identify FOLDER` identifies music.")
        return
    st.markdown("**Runs**")
    st.dataframe(runs, hide_index=True)
    matches = data.read(fingerprints.latest_matches, 500)
    st.caption(f"{matches.height} files (those waiting for review first)")
    st.dataframe(matches, hide_index=True)


def cd_tab() -> None:
    """Audio CD rips: the review queue (placeholders) first, then the newest."""
    found = data.read(cdrips.rips, 50)
    if found.height == 0:
        st.info("No CD ripped yet: `medialake rip-cd /dev/sr0` rips one.")
        return
    waiting = found.filter(found["state"] == "review").height
    st.caption(f"{found.height} rips · {waiting} waiting for review")
    st.dataframe(found.drop("rip_id"), hide_index=True)
