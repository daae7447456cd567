"""Analytics: plays over time, top artists and albums, the quality mix, the growth of
the library, and the servers side by side."""

from __future__ import annotations

import streamlit as st

from dashboards import data
from warehouse.queries import overview


def main() -> None:
    """Render the page."""
    st.title("Analytics")
    _plays()
    _quality()
    _growth()
    st.subheader("Servers side by side")
    st.dataframe(data.read(overview.server_comparison), hide_index=True)


def _plays() -> None:
    st.subheader("Plays")
    total = data.read(overview.play_count)
    artists = data.read(overview.top_artists)
    if total == 0 and artists.height == 0:
        st.info(
            "No plays recorded yet. Play history and play counts come from servers "
            "that report them (Plex, Jellyfin, Subsonic); a plain folder has none."
        )
        return
    st.metric("Play events", total)
    per_day = data.read(overview.plays_per_day)
    if per_day.height:
        st.line_chart(per_day, x="played_on", y="plays", color="server_id")
    left, right = st.columns(2)
    left.markdown("**Top artists**")
    left.bar_chart(artists, x="artist", y="plays", horizontal=True, sort="-plays")
    right.markdown("**Top albums**")
    right.dataframe(data.read(overview.top_albums), hide_index=True)


def _quality() -> None:
    st.subheader("Quality mix")
    mix = data.read(overview.quality_mix)
    if mix.height == 0:
        st.caption("No files yet.")
        return
    left, right = st.columns(2)
    left.markdown("**Files per container**")
    left.bar_chart(mix, x="container", y="files", color="server_id", stack=True)
    right.markdown("**Audio files per bitrate band**")
    right.bar_chart(
        data.read(overview.bitrate_bands),
        x="bitrate_band",
        y="files",
        color="server_id",
    )


def _growth() -> None:
    st.subheader("Growth of the library")
    growth = data.read(overview.growth)
    if growth.height == 0:
        st.caption("No items yet.")
        return
    st.line_chart(growth, x="day", y="total", color="item_kind")
    st.caption("Items still in the library, by the day they were added (cumulative).")


main()
