"""The medialake dashboard: ``medialake dashboard`` runs ``streamlit run`` on this file.

One page per module under ``pages/``; shared helpers live in :mod:`dashboards.data`.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

PAGES = Path(__file__).with_name("pages")


def main() -> None:
    """Configure the app and run the page the user chose."""
    st.set_page_config(
        page_title="medialake", page_icon=":material/movie:", layout="wide"
    )
    pages = [
        st.Page(
            PAGES / "overview.py",
            title="Overview",
            icon=":material/home:",
            default=True,
        ),
        st.Page(
            PAGES / "library.py",
            title="Library",
            icon=":material/library_music:",
            url_path="library",
        ),
        st.Page(
            PAGES / "jobs.py",
            title="Jobs",
            icon=":material/play_circle:",
            url_path="jobs",
        ),
        st.Page(
            PAGES / "analytics.py",
            title="Analytics",
            icon=":material/monitoring:",
            url_path="analytics",
        ),
        st.Page(
            PAGES / "sql.py", title="SQL", icon=":material/database:", url_path="sql"
        ),
        st.Page(
            PAGES / "playlists.py",
            title="Playlists",
            icon=":material/queue_music:",
            url_path="playlists",
        ),
        st.Page(
            PAGES / "sessions.py",
            title="Sessions",
            icon=":material/groups:",
            url_path="sessions",
        ),
    ]
    st.navigation(pages).run()


main()
