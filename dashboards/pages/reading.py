"""Reading and acquisition extras: articles kept from the web, books on the shelf, and
music identified by fingerprint."""

from __future__ import annotations

import streamlit as st

from dashboards.reading import articles_tab, books_tab, identify_tab


def main() -> None:
    """Render the page."""
    st.title("Reading")
    articles, books, identify = st.tabs(["Articles", "Books", "Identified music"])
    with articles:
        articles_tab()
    with books:
        books_tab()
    with identify:
        identify_tab()


main()
