"""The medialake dashboard's pages (served by :mod:`dashboards.server`).

One page per module under ``screens/`` (not ``pages/``: Streamlit would serve a
folder of that name as pages of their own, outside this script and its sign-in
check); shared helpers live in :mod:`dashboards.data`. Every run checks who is
signed in (:mod:`dashboards.auth`); the pages follow the role: admins get everything,
members browse (no SQL page, no job or playlist controls).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboards.auth import require_user, sidebar

PAGES = Path(__file__).with_name("screens")


def main() -> None:
    """Configure the app and run the page the user chose."""
    st.set_page_config(
        page_title="medialake", page_icon=":material/movie:", layout="wide"
    )
    user = require_user()
    sidebar(user)
    admin_only = {"jobs", "sql", "playlists"}
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
        st.Page(PAGES / "reading.py", title="Reading", icon=":material/menu_book:"),
        st.Page(
            PAGES / "collections.py",
            title="Collections",
            icon=":material/collections_bookmark:",
            url_path="collections",
        ),
        st.Page(PAGES / "upload.py", title="Upload", icon=":material/upload:"),
    ]
    allowed = [p for p in pages if user.is_admin or p.url_path not in admin_only]
    st.navigation(allowed).run()


main()
