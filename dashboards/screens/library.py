"""Library: search and filter every server's items (keyset pages in SQL), and one
item's detail with its file, streams, identities and plays."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboards import artwork, data, facts
from dashboards.reading import library_matches
from medialake.runtime import settings
from warehouse.queries.catalog import item as item_facts
from warehouse.queries.library import (
    Cursor,
    LibraryFilter,
    facets,
    item_detail,
    search,
)

ANY = "(any)"


def main() -> None:
    """Render the page."""
    st.title("Library")
    choices = data.read(facets)
    flt = _filters(choices)
    if st.session_state.get("library_filter") != flt:
        st.session_state["library_filter"] = flt
        st.session_state["library_cursors"] = [None]
    page_size = settings().dashboard.page_size
    cursors: list[Cursor | None] = st.session_state.setdefault(
        "library_cursors", [None]
    )
    found = data.read(search, flt, cursors[-1], page_size)
    pages = max(1, -(-found.total // page_size))
    st.caption(f"{found.total} items · page {len(cursors)} of {pages}")
    _pager(cursors, found.next)
    rows = found.rows
    if rows.height == 0:
        st.info("Nothing matches these filters.")
        library_matches(flt.text)
        return
    view = st.radio("View", ["List", "Grid"], horizontal=True, key="library_view")
    if view == "Grid":
        artwork.grid(rows)
    else:
        _table(rows)
    _detail(rows.to_dicts())
    library_matches(flt.text)


def _table(rows: Any) -> None:
    st.dataframe(
        rows.drop("native_id", "art_native_id"),
        hide_index=True,
        column_config={
            "duration_s": st.column_config.NumberColumn("duration (s)", format="%.0f"),
            "bitrate": st.column_config.NumberColumn("bitrate (b/s)"),
            "size": st.column_config.NumberColumn("size (bytes)"),
        },
    )


def _filters(choices: dict[str, list[Any]]) -> LibraryFilter:
    text = st.text_input("Search", placeholder="title, artist, album or show")
    c1, c2, c3, c4 = st.columns(4)
    artist = c1.text_input("Artist")
    album = c2.text_input("Album")
    title = c3.text_input("Title")
    genre = c4.selectbox("Genre", [ANY, *choices["genres"]])
    c5, c6, c7, c8, c9 = st.columns(5)
    year_from = c5.number_input(
        "Year from", min_value=0, max_value=3000, value=None, step=1
    )
    year_to = c6.number_input(
        "Year to", min_value=0, max_value=3000, value=None, step=1
    )
    codec = c7.selectbox("Codec / container", [ANY, *choices["codecs"]])
    server = c8.selectbox("Server", [ANY, *choices["servers"]])
    kind = c9.selectbox("Kind", [ANY, *choices["kinds"]])
    return LibraryFilter(
        text=text,
        artist=artist,
        album=album,
        title=title,
        genre="" if genre == ANY else genre,
        year_from=None if year_from is None else int(year_from),
        year_to=None if year_to is None else int(year_to),
        codec="" if codec == ANY else codec,
        server="" if server == ANY else server,
        kind="" if kind == ANY else kind,
    )


def _pager(cursors: list[Cursor | None], after: Cursor | None) -> None:
    """First, previous and next page; ``cursors`` holds where each page so far began."""
    first, left, right, _ = st.columns([1, 1, 1, 5])
    if first.button("⏮ First", disabled=len(cursors) == 1):
        del cursors[1:]
        st.rerun()
    if left.button("← Previous", disabled=len(cursors) == 1):
        cursors.pop()
        st.rerun()
    if right.button("Next →", disabled=after is None):
        cursors.append(after)
        st.rerun()


def _label(row: dict[str, Any]) -> str:
    who = row.get("artist") or row.get("show_title") or row["item_kind"]
    return f"{row['title']} · {who} · {row['server_id']}"


def _detail(rows: list[dict[str, Any]]) -> None:
    st.subheader("Item detail")
    options = [None, *range(len(rows))]
    choice = st.selectbox(
        "Show an item of this page",
        options,
        format_func=lambda i: "(choose an item)" if i is None else _label(rows[i]),
    )
    if choice is None:
        return
    row = rows[choice]
    detail = data.read(item_detail, row["server_id"], row["native_id"])
    if detail is None:
        st.warning("This item is no longer in the library.")
        return
    readable = data.read(item_facts, row["server_id"], row["native_id"])
    artwork.poster(row)
    if readable is not None:
        st.markdown("  \n".join(facts.lines(readable)))
        if readable["asset_id"]:
            st.link_button("▶ Play", facts.player_url(readable["asset_id"]))
        else:
            st.caption("Not playable in the browser yet (no HLS asset).")
    with st.expander("All fields"):
        left, right = st.columns(2)
        left.markdown("**Item**")
        left.json(_plain(detail["item"]), expanded=True)
        right.markdown("**File**")
        if detail["file"]:
            right.json(_plain(detail["file"]), expanded=True)
        else:
            right.info("No file is recorded for this item.")
    for table, rows_of in detail["related"].items():
        st.markdown(f"**{table}**")
        if rows_of.height:
            st.dataframe(rows_of, hide_index=True)
        else:
            st.caption(f"no {table} rows for this item yet")
    st.markdown("**Plays**")
    if detail["plays"].height:
        st.dataframe(detail["plays"], hide_index=True)
    else:
        st.caption("no plays recorded")


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, int | float | str | bool | None) else str(v)
        for k, v in values.items()
    }


main()
