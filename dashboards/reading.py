"""Articles and books on the dashboard: the matches shown under the Library page's
search, and the tables of the Reading page.

Everything here comes from pages, files or users, so it is shown only through
``st.dataframe`` and ``st.text`` (plain text), never as Markdown or HTML.
"""

from __future__ import annotations

import streamlit as st

from dashboards import data
from warehouse.reading import search_articles, search_books


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
