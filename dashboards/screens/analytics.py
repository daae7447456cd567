"""Analytics: plays over time, top artists and albums, the quality mix (audio and
video apart), the growth of the library, and the servers side by side. The charts
scroll with the page (:mod:`dashboards.charts`)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards import charts, data
from warehouse.queries import overview


def main() -> None:
    """Render the page."""
    st.title("Analytics")
    _plays()
    _quality()
    _growth()
    st.subheader("Servers side by side")
    st.dataframe(
        data.read(overview.server_comparison), hide_index=True, width="stretch"
    )


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
        charts.show(
            charts.bars(
                per_day,
                "played_on",
                "plays",
                "server_id",
                "Plays per day",
                temporal=True,
            )
        )
    left, right = st.columns(2)
    charts.show(
        charts.bars(artists, "artist", "plays", None, "Top artists", horizontal=True),
        left,
    )
    right.markdown("**Top albums**")
    right.dataframe(data.read(overview.top_albums), hide_index=True, width="stretch")


def _quality() -> None:
    st.subheader("Quality mix")
    mix = data.read(overview.quality_mix)
    if mix.height == 0:
        st.caption("No files yet.")
        return
    kinds = [k for k in ("audio", "video") if k in set(mix["media_kind"].to_list())]
    for where, kind in zip(st.columns(len(kinds) or 1), kinds, strict=False):
        part = mix.filter(pl.col("media_kind") == kind)
        title = f"{kind.capitalize()} files per container"
        charts.show(charts.bars(part, "container", "files", "server_id", title), where)
    bands = data.read(overview.bitrate_bands)
    if bands.height:
        charts.show(
            charts.bars(
                bands,
                "bitrate_band",
                "files",
                "server_id",
                "Audio files per bitrate band",
            )
        )


def _growth() -> None:
    st.subheader("Growth of the library")
    growth = data.read(overview.growth)
    if growth.height == 0:
        st.caption("No items yet.")
        return
    if growth["day"].n_unique() < 2:
        first = str(growth["day"].min())
        st.caption(
            f"All {growth['added'].sum()} items were added on {first}: the growth "
            "chart starts once items arrive on a second day."
        )
        return
    growth = growth.with_columns(
        series=pl.concat_str("server_id", pl.lit(" "), "item_kind")
    )
    charts.show(charts.line(growth, "day", "total", "series", "Items in the library"))
    st.caption("Items still in the library, by the day they were added (cumulative).")


main()
