"""Reading: the articles kept from the web and the books on the shelf."""

from __future__ import annotations

import streamlit as st

from dashboards.reading import articles_tab, books_tab


def main() -> None:
    """Render the page."""
    st.title("Reading")
    articles, books = st.tabs(["Articles", "Books"])
    with articles:
        articles_tab()
    with books:
        books_tab()


main()
