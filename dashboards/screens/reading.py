"""Reading and acquisition extras: articles kept from the web, books on the shelf,
music identified by fingerprint, and audio CD rips with their review queue."""

from __future__ import annotations

import streamlit as st

from dashboards.reading import articles_tab, books_tab, cd_tab, identify_tab


def main() -> None:
    """Render the page."""
    st.title("Reading")
    articles, books, identify, cds = st.tabs(
        ["Articles", "Books", "Identified music", "Audio CDs"]
    )
    with articles:
        articles_tab()
    with books:
        books_tab()
    with identify:
        identify_tab()
    with cds:
        cd_tab()


main()
