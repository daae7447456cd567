"""Sessions: synchronized watch sessions (a placeholder until that feature lands)."""

from __future__ import annotations

import streamlit as st


def main() -> None:
    """Say plainly that the feature is not built yet."""
    st.title("Watch sessions")
    st.info(
        "Watch sessions are not built yet. When they are, this page will list the "
        "running sessions, who is in them and where each one is, with controls to "
        "start, pause and end a session."
    )


main()
